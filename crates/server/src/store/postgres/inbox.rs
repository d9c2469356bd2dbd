//! Notifications and friend requests in PostgreSQL.

use herald_protocol::wire::{
    Event, FriendRequest, Notification, NotificationKind, NotificationPatch, RoomKind,
};
use serde_json::Map;
use sqlx::{AssertSqlSafe, PgConnection};

use super::log::{append, lock_streams};
use super::rows::NOTIFICATION_COLUMNS;
use super::rows::{self, new_id, now_micros, status_str, to_micros, FRIEND_REQUEST_FROM};
use crate::error::{Error, Result};
use crate::store::rules;
use crate::store::{NewNotification, Paged};
use crate::stream::Committed;

/// Inserts one notification for `user_id` and appends `notification_created`. The caller
/// locked the user's stream.
pub async fn create_one(
    conn: &mut PgConnection,
    user_id: &str,
    n: &NewNotification,
) -> Result<(Notification, Committed)> {
    let link = n.link.as_ref().map(serde_json::to_string).transpose()?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO notifications \
         (id, user_id, kind, title, body, priority, link, meta, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {NOTIFICATION_COLUMNS}"
    )))
    .bind(new_id())
    .bind(user_id)
    .bind(n.kind.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(i32::from(n.priority))
    .bind(link)
    .bind(serde_json::to_string(&n.meta)?)
    .bind(now_micros())
    .fetch_one(&mut *conn)
    .await?;
    let notification = rows::notification_from_row(&row)?;
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
    conn: &mut PgConnection,
    user_ids: &[String],
    n: &NewNotification,
) -> Result<(Vec<Notification>, Vec<Committed>)> {
    let ids: Vec<&str> = user_ids.iter().map(String::as_str).collect();
    rows::require_users(conn, &ids).await?;
    lock_streams(conn, &ids).await?;
    let mut created = Vec::with_capacity(user_ids.len());
    let mut events = Vec::with_capacity(user_ids.len());
    for user_id in user_ids {
        let (n, e) = create_one(conn, user_id, n).await?;
        created.push(n);
        events.push(e);
    }
    Ok((created, events))
}

pub async fn update(
    conn: &mut PgConnection,
    user_id: &str,
    id: &str,
    patch: &NotificationPatch,
) -> Result<(Notification, Vec<Committed>)> {
    rows::notification(conn, user_id, id).await?; // NotFound before any lock
    lock_streams(conn, &[user_id]).await?;
    let current = rows::notification(conn, user_id, id).await?;
    let read = patch.read.unwrap_or(current.read);
    let archived = patch.archived.unwrap_or(current.archived);
    let snoozed = patch.snoozed_until.or(current.snoozed_until).map(to_micros);
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE notifications SET read = $1, archived = $2, snoozed_until = $3 \
         WHERE id = $4 AND user_id = $5 RETURNING {NOTIFICATION_COLUMNS}"
    )))
    .bind(read)
    .bind(archived)
    .bind(snoozed)
    .bind(id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let notification = rows::notification_from_row(&row)?;
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

pub async fn mark_all_read(conn: &mut PgConnection, user_id: &str) -> Result<Vec<Committed>> {
    rows::user(conn, user_id).await?;
    lock_streams(conn, &[user_id]).await?;
    sqlx::query("UPDATE notifications SET read = TRUE WHERE user_id = $1 AND NOT read")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(vec![
        append(conn, user_id, Event::NotificationsReadAll {}).await?,
    ])
}

pub async fn list(
    conn: &mut PgConnection,
    user_id: &str,
    before: Option<&str>,
    limit: u32,
    unread_only: bool,
    include_archived: bool,
) -> Result<Paged<Notification>> {
    let before_pos: i64 = match before {
        Some(id) => {
            sqlx::query_scalar("SELECT pos FROM notifications WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| Error::NotFound(format!("notification {id}")))?
        }
        None => i64::MAX,
    };
    let limit = limit.clamp(1, 500);
    let fetched = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 AND pos < $2 \
         AND (NOT $3 OR NOT read) AND ($4 OR NOT archived) ORDER BY pos DESC LIMIT $5"
    )))
    .bind(user_id)
    .bind(before_pos)
    .bind(unread_only)
    .bind(include_archived)
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
pub async fn unread_count(conn: &mut PgConnection, user_id: &str) -> Result<u32> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND NOT read AND NOT archived \
         AND (snoozed_until IS NULL OR snoozed_until <= $2)",
    )
    .bind(user_id)
    .bind(now_micros())
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub async fn create_friend_request(
    conn: &mut PgConnection,
    from_id: &str,
    to_id: &str,
) -> Result<(FriendRequest, Vec<Committed>)> {
    if from_id == to_id {
        return Err(Error::BadRequest("you cannot befriend yourself".into()));
    }
    let from = rows::user(conn, from_id).await?;
    rows::user(conn, to_id).await?;
    // Both streams first: this also serialises two requests between the same pair, so the
    // pending check below cannot race.
    lock_streams(conn, &[from_id, to_id]).await?;
    let open: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM friend_requests WHERE status = 'pending' AND \
         ((from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1))",
    )
    .bind(from_id)
    .bind(to_id)
    .fetch_optional(&mut *conn)
    .await?;
    if open.is_some() {
        return Err(Error::Conflict(
            "a friend request between you is already pending".into(),
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO friend_requests (id, from_id, to_id, status, created_at) \
         VALUES ($1, $2, $3, 'pending', $4)",
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
    conn: &mut PgConnection,
    user_id: &str,
    id: &str,
    accept: bool,
) -> Result<(FriendRequest, Vec<Committed>)> {
    let found = rules::answerable(rows::friend_request(conn, id).await?, user_id, id)?;
    // Both streams first, then re-read: a concurrent answer to the same request has committed
    // (or rolled back) by the time the locks are ours.
    lock_streams(conn, &[found.from.id.as_str(), found.to.id.as_str()]).await?;
    let request = rows::friend_request(conn, id)
        .await?
        .ok_or_else(|| Error::Internal("friend request vanished".into()))?;
    let status = rules::answer_status(&request, accept)?;
    sqlx::query("UPDATE friend_requests SET status = $1 WHERE id = $2")
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

pub async fn friend_requests(conn: &mut PgConnection, user_id: &str) -> Result<Vec<FriendRequest>> {
    let fetched = sqlx::query(AssertSqlSafe(format!(
        "{FRIEND_REQUEST_FROM} WHERE f.from_id = $1 OR f.to_id = $1 ORDER BY f.pos DESC"
    )))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    fetched.iter().map(rows::friend_request_from_row).collect()
}
