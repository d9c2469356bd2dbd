//! Rooms and messages in SQLite: create rooms, send (idempotently), page history, read marks.

use herald_protocol::wire::{Event, Message, Room, RoomKind, RoomRead};
use sqlx::{Row, SqliteConnection};

use super::log::{append, append_many};
use super::rows::{self, kind_str, new_id, now_micros};
use crate::error::{Error, Result};
use crate::store::rules;
use crate::store::{NewMessage, Paged, Sent};
use crate::stream::Committed;

/// Inserts a room with its members and appends `room_created` to each member's stream.
pub async fn create_room(
    conn: &mut SqliteConnection,
    name: &str,
    kind: RoomKind,
    member_ids: &[String],
) -> Result<(Room, Vec<Committed>, String)> {
    let id = new_id();
    let now = now_micros();
    sqlx::query(
        "INSERT INTO rooms (id, name, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(name)
    .bind(kind_str(kind))
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let mut members: Vec<&String> = member_ids.iter().collect();
    members.sort();
    members.dedup();
    for m in &members {
        rows::user(conn, m).await?; // NotFound for an unknown member
        sqlx::query("INSERT INTO room_members (room_id, user_id) VALUES (?, ?)")
            .bind(&id)
            .bind(m.as_str())
            .execute(&mut *conn)
            .await?;
    }
    // A new room looks the same to every member (no unread, no last message): one event.
    let first = members
        .first()
        .ok_or_else(|| Error::BadRequest("a room needs members".into()))?;
    let room = rows::room(conn, &id, first).await?;
    let events = append_many(conn, &members, Event::RoomCreated { room: room.clone() }).await?;
    Ok((room, events, id))
}

pub async fn find_room_id(
    conn: &mut SqliteConnection,
    name: &str,
    member_id: &str,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id \
         WHERE r.name = ? AND m.user_id = ? ORDER BY r.created_at LIMIT 1",
    )
    .bind(name)
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub async fn rooms_for(conn: &mut SqliteConnection, user_id: &str) -> Result<Vec<Room>> {
    let ids = sqlx::query(
        "SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE m.user_id = ? \
         ORDER BY r.updated_at DESC, r.id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut rooms = Vec::with_capacity(ids.len());
    for r in ids {
        let id: String = r.try_get("id")?;
        rooms.push(rows::room(conn, &id, user_id).await?);
    }
    Ok(rooms)
}

async fn existing(
    conn: &mut SqliteConnection,
    sender_id: &str,
    client_msg_id: &str,
) -> Result<Option<Message>> {
    let row = sqlx::query("SELECT id FROM messages WHERE sender_id = ? AND client_msg_id = ?")
        .bind(sender_id)
        .bind(client_msg_id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => rows::message(conn, r.try_get("id")?).await,
        None => Ok(None),
    }
}

pub async fn send_message(
    conn: &mut SqliteConnection,
    sender_id: &str,
    msg: &NewMessage,
) -> Result<Sent> {
    rows::require_member(conn, sender_id, &msg.room_id).await?;
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
    sqlx::query(
        "INSERT INTO messages (id, room_id, sender_id, text, client_msg_id, reply_to, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&msg.room_id)
    .bind(sender_id)
    .bind(&msg.text)
    .bind(&msg.client_msg_id)
    .bind(&msg.reply_to)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE rooms SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(&msg.room_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE room_members SET unread_count = unread_count + 1 WHERE room_id = ? AND user_id <> ?",
    )
    .bind(&msg.room_id)
    .bind(sender_id)
    .execute(&mut *conn)
    .await?;
    // The sender has read their own message.
    sqlx::query("UPDATE room_members SET last_read_id = ? WHERE room_id = ? AND user_id = ?")
        .bind(&id)
        .bind(&msg.room_id)
        .bind(sender_id)
        .execute(&mut *conn)
        .await?;
    let message = rows::message(conn, &id)
        .await?
        .ok_or_else(|| Error::Internal("message vanished inside its transaction".into()))?;
    let members = rows::member_ids(conn, &msg.room_id).await?;
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

async fn message_pos(conn: &mut SqliteConnection, room_id: &str, id: &str) -> Result<i64> {
    sqlx::query("SELECT pos FROM messages WHERE id = ? AND room_id = ?")
        .bind(id)
        .bind(room_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("pos"))
        .transpose()?
        .ok_or_else(|| Error::NotFound(format!("message {id} in room {room_id}")))
}

pub async fn history(
    conn: &mut SqliteConnection,
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
    let fetched = sqlx::query(
        "SELECT m.id, m.room_id, m.sender_id, u.name AS sender_name, m.text, m.client_msg_id, \
         m.reply_to, m.created_at, m.edited_at FROM messages m JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = ? AND m.pos < ? ORDER BY m.pos DESC LIMIT ?",
    )
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
    conn: &mut SqliteConnection,
    user_id: &str,
    room_id: &str,
    up_to: &str,
) -> Result<(RoomRead, Vec<Committed>)> {
    rows::require_member(conn, user_id, room_id).await?;
    let pos = message_pos(conn, room_id, up_to).await?;
    let unread: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE room_id = ? AND pos > ? AND sender_id <> ?",
    )
    .bind(room_id)
    .bind(pos)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    sqlx::query(
        "UPDATE room_members SET last_read_id = ?, unread_count = ? WHERE room_id = ? AND user_id = ?",
    )
    .bind(up_to)
    .bind(unread)
    .bind(room_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    let read = RoomRead {
        room_id: room_id.to_owned(),
        up_to: up_to.to_owned(),
        unread_count: u32::try_from(unread).unwrap_or(0),
    };
    let event = append(conn, user_id, Event::RoomRead(read.clone())).await?;
    Ok((read, vec![event]))
}
