//! Row <-> wire object conversions shared by the SQLite store's modules.
//!
//! Loaders take a `&mut SqliteConnection` so the same code reads inside a write transaction (to
//! build the objects an event carries) and on a pooled read connection.

use herald_protocol::wire::{
    FriendRequest, FriendRequestStatus, Link, Message, Notification, Room, RoomKind, User,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// Now, as stored (unix microseconds).
pub fn now_micros() -> i64 {
    to_micros(OffsetDateTime::now_utc())
}

pub fn to_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn kind_str(kind: RoomKind) -> &'static str {
    match kind {
        RoomKind::Job => "job",
        RoomKind::Support => "support",
        RoomKind::General | RoomKind::Other => "general",
        RoomKind::Direct => "direct",
    }
}

pub fn parse_kind(s: &str) -> RoomKind {
    match s {
        "job" => RoomKind::Job,
        "support" => RoomKind::Support,
        "direct" => RoomKind::Direct,
        _ => RoomKind::General,
    }
}

pub fn status_str(s: FriendRequestStatus) -> &'static str {
    match s {
        FriendRequestStatus::Pending => "pending",
        FriendRequestStatus::Accepted => "accepted",
        FriendRequestStatus::Declined => "declined",
    }
}

pub fn parse_status(s: &str) -> FriendRequestStatus {
    match s {
        "accepted" => FriendRequestStatus::Accepted,
        "declined" => FriendRequestStatus::Declined,
        _ => FriendRequestStatus::Pending,
    }
}

pub async fn user(conn: &mut SqliteConnection, id: &str) -> Result<User> {
    let row = sqlx::query("SELECT id, name FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {id}")))?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
    })
}

pub fn message_from_row(row: &SqliteRow) -> Result<Message> {
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

pub async fn message(conn: &mut SqliteConnection, id: &str) -> Result<Option<Message>> {
    let row = sqlx::query(
        "SELECT m.id, m.room_id, m.sender_id, u.name AS sender_name, m.text, m.client_msg_id, \
         m.reply_to, m.created_at, m.edited_at FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(message_from_row).transpose()
}

/// Whether `user_id` is a member of `room_id`: `NotFound` for no such room, `Forbidden` for a
/// room of others.
pub async fn require_member(
    conn: &mut SqliteConnection,
    user_id: &str,
    room_id: &str,
) -> Result<()> {
    let exists = sqlx::query("SELECT 1 FROM rooms WHERE id = ?")
        .bind(room_id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if !exists {
        return Err(Error::NotFound(format!("room {room_id}")));
    }
    let member = sqlx::query("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?")
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if member {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "you are not a member of room {room_id}"
        )))
    }
}

/// The members of a room, ordered by id. Read as one JSON row: a room of 1,000 would otherwise
/// cost 1,000 row round trips through sqlx's worker channel on every message.
pub async fn member_ids(conn: &mut SqliteConnection, room_id: &str) -> Result<Vec<String>> {
    let ids: String = sqlx::query(
        "SELECT json_group_array(user_id) FROM \
         (SELECT user_id FROM room_members WHERE room_id = ? ORDER BY user_id)",
    )
    .bind(room_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(serde_json::from_str(&ids)?)
}

/// A room as `user_id` sees it (their unread count). The caller checked membership.
pub async fn room(conn: &mut SqliteConnection, room_id: &str, user_id: &str) -> Result<Room> {
    let row = sqlx::query(
        "SELECT r.id, r.name, r.kind, r.updated_at, m.unread_count FROM rooms r \
         JOIN room_members m ON m.room_id = r.id AND m.user_id = ? WHERE r.id = ?",
    )
    .bind(user_id)
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("room {room_id}")))?;
    let members = sqlx::query(
        "SELECT u.id, u.name FROM room_members m JOIN users u ON u.id = m.user_id \
         WHERE m.room_id = ? ORDER BY u.name, u.id",
    )
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(User {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let last = sqlx::query(
        "SELECT m.id, m.room_id, m.sender_id, u.name AS sender_name, m.text, m.client_msg_id, \
         m.reply_to, m.created_at, m.edited_at FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = ? ORDER BY m.pos DESC LIMIT 1",
    )
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await?;
    let unread: i64 = row.try_get("unread_count")?;
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

pub fn notification_from_row(row: &SqliteRow) -> Result<Notification> {
    let link: Option<String> = row.try_get("link")?;
    let meta: String = row.try_get("meta")?;
    let priority: i64 = row.try_get("priority")?;
    Ok(Notification {
        id: row.try_get("id")?,
        kind: row.try_get::<String, _>("kind")?.into(),
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        priority: u8::try_from(priority).unwrap_or(3),
        link: link.and_then(|l| serde_json::from_str::<Link>(&l).ok()),
        meta: serde_json::from_str(&meta).unwrap_or_default(),
        created_at: from_micros(row.try_get("created_at")?),
        read: row.try_get::<i64, _>("read")? != 0,
        archived: row.try_get::<i64, _>("archived")? != 0,
        snoozed_until: row
            .try_get::<Option<i64>, _>("snoozed_until")?
            .map(from_micros),
    })
}

/// The user's notification `id`; `NotFound` for anybody else's.
pub async fn notification(
    conn: &mut SqliteConnection,
    user_id: &str,
    id: &str,
) -> Result<Notification> {
    let row = sqlx::query(
        "SELECT id, kind, title, body, priority, link, meta, created_at, read, archived, \
         snoozed_until FROM notifications WHERE id = ? AND user_id = ?",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("notification {id}")))?;
    notification_from_row(&row)
}

pub async fn friend_request(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<FriendRequest>> {
    let row = sqlx::query(
        "SELECT f.id, f.status, f.created_at, a.id AS from_id, a.name AS from_name, \
         b.id AS to_id, b.name AS to_name FROM friend_requests f \
         JOIN users a ON a.id = f.from_id JOIN users b ON b.id = f.to_id WHERE f.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(friend_request_from_row).transpose()
}

pub fn friend_request_from_row(row: &SqliteRow) -> Result<FriendRequest> {
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
