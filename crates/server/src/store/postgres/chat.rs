//! Rooms and messages in PostgreSQL: create rooms, send (idempotently), page history, read marks.

use herald_protocol::wire::{Event, Message, Room, RoomKind, RoomRead};
use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::log::{append, append_many, lock_streams};
use super::rows::{self, kind_str, new_id, now_micros, MESSAGE_COLUMNS};
use crate::error::{Error, Result};
use crate::store::rules;
use crate::store::{NewMessage, Paged, Sent};
use crate::stream::Committed;

/// Inserts a room with its members and appends `room_created` to each member's stream.
/// The caller locked (or lets this lock) the members' streams first.
pub async fn create_room(
    conn: &mut PgConnection,
    name: &str,
    kind: RoomKind,
    member_ids: &[String],
) -> Result<(Room, Vec<Committed>, String)> {
    let mut members: Vec<&str> = member_ids.iter().map(String::as_str).collect();
    members.sort_unstable();
    members.dedup();
    let first = *members
        .first()
        .ok_or_else(|| Error::BadRequest("a room needs members".into()))?;
    rows::require_users(conn, &members).await?; // NotFound for an unknown member
    lock_streams(conn, &members).await?;
    let id = new_id();
    let now = now_micros();
    sqlx::query(
        "INSERT INTO rooms (id, name, kind, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&id)
    .bind(name)
    .bind(kind_str(kind))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO room_members (room_id, user_id) SELECT $1, unnest($2::text[])")
        .bind(&id)
        .bind(&members)
        .execute(&mut *conn)
        .await?;
    // A new room looks the same to every member (no unread, no last message): one event.
    let room = rows::room(conn, &id, first).await?;
    let events = append_many(conn, &members, Event::RoomCreated { room: room.clone() }).await?;
    Ok((room, events, id))
}

pub async fn find_room_id(
    conn: &mut PgConnection,
    name: &str,
    member_id: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id \
         WHERE r.name = $1 AND m.user_id = $2 ORDER BY r.created_at, r.id LIMIT 1",
    )
    .bind(name)
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?)
}

pub async fn rooms_for(conn: &mut PgConnection, user_id: &str) -> Result<Vec<Room>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE m.user_id = $1 \
         ORDER BY r.updated_at DESC, r.id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut rooms = Vec::with_capacity(ids.len());
    for id in ids {
        rooms.push(rows::room(conn, &id, user_id).await?);
    }
    Ok(rooms)
}

async fn existing(
    conn: &mut PgConnection,
    sender_id: &str,
    client_msg_id: &str,
) -> Result<Option<Message>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM messages WHERE sender_id = $1 AND client_msg_id = $2")
            .bind(sender_id)
            .bind(client_msg_id)
            .fetch_optional(&mut *conn)
            .await?;
    match id {
        Some(id) => rows::message(conn, &id).await,
        None => Ok(None),
    }
}

pub async fn send_message(
    conn: &mut PgConnection,
    sender_id: &str,
    msg: &NewMessage,
) -> Result<Sent> {
    rows::require_member(conn, sender_id, &msg.room_id).await?;
    // Every member's stream first (this serialises the sends of one room, and a retry of the
    // same client_msg_id waits here for the first attempt, then sees it below).
    let members = rows::member_ids(conn, &msg.room_id).await?;
    lock_streams(conn, &members).await?;
    if let Some(cid) = &msg.client_msg_id {
        if let Some(original) = existing(conn, sender_id, cid).await? {
            return rules::retried_send(original, msg);
        }
    }
    if let Some(reply_to) = &msg.reply_to {
        let quoted = rows::message(conn, reply_to).await?;
        rules::check_reply_to(quoted.as_ref(), msg, reply_to)?;
    }
    let id = new_id();
    let now = now_micros();
    // Insert, bump the room and the unread counts, and mark the sender's own message read, in
    // one statement; the message comes back joined with its sender's name.
    let row = sqlx::query(AssertSqlSafe(format!(
        "WITH m AS (INSERT INTO messages \
           (id, room_id, sender_id, text, client_msg_id, reply_to, created_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *), \
         r AS (UPDATE rooms SET updated_at = $7 WHERE id = $2), \
         rm AS (UPDATE room_members SET \
           unread_count = CASE WHEN user_id = $3 THEN unread_count ELSE unread_count + 1 END, \
           last_read_id = CASE WHEN user_id = $3 THEN $1 ELSE last_read_id END \
           WHERE room_id = $2) \
         SELECT {MESSAGE_COLUMNS} FROM m JOIN users u ON u.id = m.sender_id"
    )))
    .bind(&id)
    .bind(&msg.room_id)
    .bind(sender_id)
    .bind(&msg.text)
    .bind(&msg.client_msg_id)
    .bind(&msg.reply_to)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let message = rows::message_from_row(&row)?;
    let events = append_many(
        conn,
        &members,
        Event::MessageCreated {
            message: message.clone(),
        },
    )
    .await?;
    Ok(Sent {
        message,
        events,
        duplicate: false,
    })
}

async fn message_pos(conn: &mut PgConnection, room_id: &str, id: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT pos FROM messages WHERE id = $1 AND room_id = $2")
        .bind(id)
        .bind(room_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("message {id} in room {room_id}")))
}

pub async fn history(
    conn: &mut PgConnection,
    user_id: &str,
    room_id: &str,
    before: Option<&str>,
    limit: u32,
) -> Result<Paged<Message>> {
    rows::require_member(conn, user_id, room_id).await?;
    let before_pos = match before {
        Some(id) => message_pos(conn, room_id, id).await?,
        None => i64::MAX,
    };
    let limit = limit.clamp(1, herald_protocol::wire::MAX_HISTORY_LIMIT);
    let fetched = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = $1 AND m.pos < $2 ORDER BY m.pos DESC LIMIT $3"
    )))
    .bind(room_id)
    .bind(before_pos)
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *conn)
    .await?;
    let has_more = fetched.len() > limit as usize;
    let mut items = fetched
        .iter()
        .take(limit as usize)
        .map(rows::message_from_row)
        .collect::<Result<Vec<_>>>()?;
    items.reverse();
    Ok(Paged { items, has_more })
}

pub async fn mark_room_read(
    conn: &mut PgConnection,
    user_id: &str,
    room_id: &str,
    up_to: &str,
) -> Result<(RoomRead, Vec<Committed>)> {
    rows::require_member(conn, user_id, room_id).await?;
    // The stream lock first, like every writer: a send to this room holds it too, so the
    // count below cannot race a message.
    lock_streams(conn, &[user_id]).await?;
    let pos = message_pos(conn, room_id, up_to).await?;
    let unread: i32 = sqlx::query(
        "UPDATE room_members SET last_read_id = $1, unread_count = ( \
           SELECT COUNT(*) FROM messages WHERE room_id = $2 AND pos > $3 AND sender_id <> $4) \
         WHERE room_id = $2 AND user_id = $4 RETURNING unread_count",
    )
    .bind(up_to)
    .bind(room_id)
    .bind(pos)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("unread_count")?;
    let read = RoomRead {
        room_id: room_id.to_owned(),
        up_to: up_to.to_owned(),
        unread_count: u32::try_from(unread).unwrap_or(0),
    };
    let event = append(conn, user_id, Event::RoomRead(read.clone())).await?;
    Ok((read, vec![event]))
}
