//! Row <-> wire object conversions shared by the PostgreSQL store's modules.
//!
//! Loaders take a `&mut PgConnection` so the same code reads inside a write transaction (to
//! build the objects an event carries) and inside a read transaction. The encodings (ids, kinds,
//! statuses, unix-microsecond times) are the SQLite store's, from its `rows` module.

use herald_protocol::wire::{FriendRequest, Link, Message, Notification, Room, User};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::error::{Error, Result};
use crate::store::sqlite::rows::{from_micros, parse_kind, parse_status};

pub use crate::store::sqlite::rows::{kind_str, new_id, now_micros, status_str, to_micros};

/// The columns `message_from_row` reads (`m` messages joined with `u` users).
pub const MESSAGE_COLUMNS: &str = "m.id, m.room_id, m.sender_id, u.name AS sender_name, m.text, \
     m.client_msg_id, m.reply_to, m.created_at, m.edited_at";

/// The columns `notification_from_row` reads.
pub const NOTIFICATION_COLUMNS: &str = "id, kind, title, body, priority, link, meta, created_at, \
     read, archived, snoozed_until";

/// The columns (and joins) `friend_request_from_row` reads.
pub const FRIEND_REQUEST_FROM: &str = "SELECT f.id, f.status, f.created_at, a.id AS from_id, \
     a.name AS from_name, b.id AS to_id, b.name AS to_name FROM friend_requests f \
     JOIN users a ON a.id = f.from_id JOIN users b ON b.id = f.to_id";

pub fn user_from_row(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
    })
}

pub async fn user(conn: &mut PgConnection, id: &str) -> Result<User> {
    let row = sqlx::query("SELECT id, name FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {id}")))?;
    user_from_row(&row)
}

/// `NotFound` unless every id is a user.
pub async fn require_users(conn: &mut PgConnection, ids: &[&str]) -> Result<()> {
    let missing: Option<String> = sqlx::query_scalar(
        "SELECT i FROM unnest($1::text[]) AS i WHERE NOT EXISTS \
         (SELECT 1 FROM users WHERE id = i) LIMIT 1",
    )
    .bind(ids)
    .fetch_optional(&mut *conn)
    .await?;
    match missing {
        Some(id) => Err(Error::NotFound(format!("user {id}"))),
        None => Ok(()),
    }
}

pub fn message_from_row(row: &PgRow) -> Result<Message> {
    Ok(Message {
        id: row.try_get("id")?,
        room_id: row.try_get("room_id")?,
        sender: User {
            id: row.try_get("sender_id")?,
            name: row.try_get("sender_name")?,
        },
        text: row.try_get("text")?,
        client_msg_id: row.try_get("client_msg_id")?,
        reply_to: row.try_get("reply_to")?,
        created_at: from_micros(row.try_get("created_at")?),
        edited_at: row.try_get::<Option<i64>, _>("edited_at")?.map(from_micros),
    })
}

pub async fn message(conn: &mut PgConnection, id: &str) -> Result<Option<Message>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(message_from_row).transpose()
}

/// Whether `user_id` is a member of `room_id`: `NotFound` for no such room, `Forbidden` for a
/// room of others (one round trip).
pub async fn require_member(conn: &mut PgConnection, user_id: &str, room_id: &str) -> Result<()> {
    let member: Option<bool> = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM room_members WHERE room_id = r.id AND user_id = $2) \
         FROM rooms r WHERE r.id = $1",
    )
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    match member {
        None => Err(Error::NotFound(format!("room {room_id}"))),
        Some(true) => Ok(()),
        Some(false) => Err(Error::Forbidden(format!(
            "you are not a member of room {room_id}"
        ))),
    }
}

/// The members of a room, ordered by id.
pub async fn member_ids(conn: &mut PgConnection, room_id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY user_id")
            .bind(room_id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// A room as `user_id` sees it (their unread count). The caller checked membership.
pub async fn room(conn: &mut PgConnection, room_id: &str, user_id: &str) -> Result<Room> {
    let row = sqlx::query(
        "SELECT r.id, r.name, r.kind, r.updated_at, m.unread_count FROM rooms r \
         JOIN room_members m ON m.room_id = r.id AND m.user_id = $1 WHERE r.id = $2",
    )
    .bind(user_id)
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("room {room_id}")))?;
    let members = sqlx::query(
        "SELECT u.id, u.name FROM room_members m JOIN users u ON u.id = m.user_id \
         WHERE m.room_id = $1 ORDER BY u.name, u.id",
    )
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(user_from_row)
    .collect::<Result<Vec<_>>>()?;
    let last = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = $1 ORDER BY m.pos DESC LIMIT 1"
    )))
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await?;
    let unread: i32 = row.try_get("unread_count")?;
    Ok(Room {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: parse_kind(row.try_get::<&str, _>("kind")?),
        members,
        unread_count: u32::try_from(unread).unwrap_or(0),
        last_message: last.as_ref().map(message_from_row).transpose()?,
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

pub fn notification_from_row(row: &PgRow) -> Result<Notification> {
    let link: Option<String> = row.try_get("link")?;
    let meta: String = row.try_get("meta")?;
    let priority: i32 = row.try_get("priority")?;
    Ok(Notification {
        id: row.try_get("id")?,
        kind: row.try_get::<String, _>("kind")?.into(),
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        priority: u8::try_from(priority).unwrap_or(3),
        link: link.and_then(|l| serde_json::from_str::<Link>(&l).ok()),
        meta: serde_json::from_str(&meta).unwrap_or_default(),
        created_at: from_micros(row.try_get("created_at")?),
        read: row.try_get("read")?,
        archived: row.try_get("archived")?,
        snoozed_until: row
            .try_get::<Option<i64>, _>("snoozed_until")?
            .map(from_micros),
    })
}

/// The user's notification `id`; `NotFound` for anybody else's.
pub async fn notification(
    conn: &mut PgConnection,
    user_id: &str,
    id: &str,
) -> Result<Notification> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"
    )))
    .bind(id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("notification {id}")))?;
    notification_from_row(&row)
}

pub async fn friend_request(conn: &mut PgConnection, id: &str) -> Result<Option<FriendRequest>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{FRIEND_REQUEST_FROM} WHERE f.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(friend_request_from_row).transpose()
}

pub fn friend_request_from_row(row: &PgRow) -> Result<FriendRequest> {
    Ok(FriendRequest {
        id: row.try_get("id")?,
        from: User {
            id: row.try_get("from_id")?,
            name: row.try_get("from_name")?,
        },
        to: User {
            id: row.try_get("to_id")?,
            name: row.try_get("to_name")?,
        },
        status: parse_status(row.try_get::<&str, _>("status")?),
        created_at: from_micros(row.try_get("created_at")?),
    })
}
