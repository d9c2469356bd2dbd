//! Notifications and friend requests in SQLite.

use herald_protocol::wire::{
    Event, FriendRequest, Notification, NotificationKind, NotificationPatch, RoomKind,
};
use serde_json::Map;
use sqlx::{Row, SqliteConnection};

use super::log::append;
use super::rows::{self, new_id, now_micros, status_str, to_micros};
use crate::error::{Error, Result};
use crate::store::rules;
use crate::store::{NewNotification, Paged};
use crate::stream::Committed;

/// Inserts one notification for `user_id` and appends `notification_created`.
pub async fn create_one(
    conn: &mut SqliteConnection,
    user_id: &str,
    n: &NewNotification,
) -> Result<(Notification, Committed)> {
    let id = new_id();
    let link = n.link.as_ref().map(serde_json::to_string).transpose()?;
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, priority, link, meta, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(n.kind.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(i64::from(n.priority))
    .bind(link)
    .bind(serde_json::to_string(&n.meta)?)
    .bind(now_micros())
    .execute(&mut *conn)
    .await?;
    let notification = rows::notification(conn, user_id, &id).await?;
    let event = append(
        conn,
        user_id,
        Event::NotificationCreated {
            notification: notification.clone(),
        },
    )
    .await?;
    Ok((notification, event))
}

pub async fn create_many(
    conn: &mut SqliteConnection,
    user_ids: &[String],
    n: &NewNotification,
) -> Result<(Vec<Notification>, Vec<Committed>)> {
    let mut created = Vec::with_capacity(user_ids.len());
    let mut events = Vec::with_capacity(user_ids.len());
    for user_id in user_ids {
        rows::user(conn, user_id).await?;
        let (n, e) = create_one(conn, user_id, n).await?;
        created.push(n);
        events.push(e);
    }
    Ok((created, events))
}

pub async fn update(
    conn: &mut SqliteConnection,
    user_id: &str,
    id: &str,
    patch: &NotificationPatch,
) -> Result<(Notification, Vec<Committed>)> {
    let current = rows::notification(conn, user_id, id).await?;
    let read = patch.read.unwrap_or(current.read);
    let archived = patch.archived.unwrap_or(current.archived);
    let snoozed = patch.snoozed_until.or(current.snoozed_until).map(to_micros);
    sqlx::query("UPDATE notifications SET read = ?, archived = ?, snoozed_until = ? WHERE id = ?")
        .bind(i64::from(read))
        .bind(i64::from(archived))
        .bind(snoozed)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let notification = rows::notification(conn, user_id, id).await?;
    let event = append(
        conn,
        user_id,
        Event::NotificationUpdated {
            notification: notification.clone(),
        },
    )
    .await?;
    Ok((notification, vec![event]))
}

pub async fn mark_all_read(conn: &mut SqliteConnection, user_id: &str) -> Result<Vec<Committed>> {
    rows::user(conn, user_id).await?;
    sqlx::query("UPDATE notifications SET read = 1 WHERE user_id = ? AND read = 0")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(vec![
        append(conn, user_id, Event::NotificationsReadAll {}).await?,
    ])
}

pub async fn list(
    conn: &mut SqliteConnection,
    user_id: &str,
    before: Option<&str>,
    limit: u32,
    unread_only: bool,
    include_archived: bool,
) -> Result<Paged<Notification>> {
    let before_pos = match before {
        Some(id) => sqlx::query("SELECT pos FROM notifications WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get::<i64, _>("pos"))
            .transpose()?
            .ok_or_else(|| Error::NotFound(format!("notification {id}")))?,
        None => i64::MAX,
    };
    let limit = limit.clamp(1, 500);
    let fetched = sqlx::query(
        "SELECT id, kind, title, body, priority, link, meta, created_at, read, archived, \
         snoozed_until FROM notifications WHERE user_id = ? AND pos < ? \
         AND (? = 0 OR read = 0) AND (? = 1 OR archived = 0) ORDER BY pos DESC LIMIT ?",
    )
    .bind(user_id)
    .bind(before_pos)
    .bind(i64::from(unread_only))
    .bind(i64::from(include_archived))
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *conn)
    .await?;
    let has_more = fetched.len() > limit as usize;
    let items = fetched
        .iter()
        .take(limit as usize)
        .map(rows::notification_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged { items, has_more })
}

/// Unread, not archived and not snoozed now (a snoozed item counts again from its time).
pub async fn unread_count(conn: &mut SqliteConnection, user_id: &str) -> Result<u32> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read = 0 AND archived = 0 \
         AND (snoozed_until IS NULL OR snoozed_until <= ?)",
    )
    .bind(user_id)
    .bind(now_micros())
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub async fn create_friend_request(
    conn: &mut SqliteConnection,
    from_id: &str,
    to_id: &str,
) -> Result<(FriendRequest, Vec<Committed>)> {
    if from_id == to_id {
        return Err(Error::BadRequest("you cannot befriend yourself".into()));
    }
    let from = rows::user(conn, from_id).await?;
    rows::user(conn, to_id).await?;
    let open = sqlx::query(
        "SELECT 1 FROM friend_requests WHERE status = 'pending' AND \
         ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?))",
    )
    .bind(from_id)
    .bind(to_id)
    .bind(to_id)
    .bind(from_id)
    .fetch_optional(&mut *conn)
    .await?;
    if open.is_some() {
        return Err(Error::Conflict(
            "a friend request between you is already pending".into(),
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO friend_requests (id, from_id, to_id, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
    )
    .bind(&id)
    .bind(from_id)
    .bind(to_id)
    .bind(now_micros())
    .execute(&mut *conn)
    .await?;
    let request = rows::friend_request(conn, &id)
        .await?
        .ok_or_else(|| Error::Internal("friend request vanished".into()))?;
    let mut events = Vec::new();
    for user in [from_id, to_id] {
        events.push(
            append(
                conn,
                user,
                Event::FriendRequestCreated {
                    request: request.clone(),
                },
            )
            .await?,
        );
    }
    let note = NewNotification {
        kind: NotificationKind::FriendRequest,
        title: format!("{} wants to be friends", from.name),
        body: String::new(),
        priority: 3,
        link: None,
        meta: Map::from_iter([("request_id".to_owned(), id.clone().into())]),
    };
    events.push(create_one(conn, to_id, &note).await?.1);
    Ok((request, events))
}

pub async fn respond_friend_request(
    conn: &mut SqliteConnection,
    user_id: &str,
    id: &str,
    accept: bool,
) -> Result<(FriendRequest, Vec<Committed>)> {
    let request = rules::answerable(rows::friend_request(conn, id).await?, user_id, id)?;
    let status = rules::answer_status(&request, accept)?;
    sqlx::query("UPDATE friend_requests SET status = ? WHERE id = ?")
        .bind(status_str(status))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let request = rows::friend_request(conn, id)
        .await?
        .ok_or_else(|| Error::Internal("friend request vanished".into()))?;
    let mut events = Vec::new();
    for user in [&request.from.id, &request.to.id] {
        events.push(
            append(
                conn,
                user,
                Event::FriendRequestUpdated {
                    request: request.clone(),
                },
            )
            .await?,
        );
    }
    if accept {
        let members = [request.from.id.clone(), request.to.id.clone()];
        let name = rules::direct_room_name(&request);
        let (_, room_events, room_id) =
            super::chat::create_room(conn, &name, RoomKind::Direct, &members).await?;
        events.extend(room_events);
        let note = rules::accepted_notification(&request, room_id);
        events.push(create_one(conn, &request.from.id, &note).await?.1);
    }
    Ok((request, events))
}

pub async fn friend_requests(
    conn: &mut SqliteConnection,
    user_id: &str,
) -> Result<Vec<FriendRequest>> {
    let fetched = sqlx::query(
        "SELECT f.id, f.status, f.created_at, a.id AS from_id, a.name AS from_name, \
         b.id AS to_id, b.name AS to_name FROM friend_requests f \
         JOIN users a ON a.id = f.from_id JOIN users b ON b.id = f.to_id \
         WHERE f.from_id = ? OR f.to_id = ? ORDER BY f.pos DESC",
    )
    .bind(user_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    fetched.iter().map(rows::friend_request_from_row).collect()
}
