//! The SQLite side of the per-user stream: append inside a transaction, read, prune.

use std::collections::HashMap;
use std::sync::Arc;

use herald_protocol::wire::{Event, EventFrame};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::rows::{now_micros, to_micros};
use crate::config::Retention;
use crate::error::{Error, Result};
use crate::stream::{decode_event, encode_event, new_epoch, Committed, StreamHead};

/// Creates the user's stream (with a fresh epoch) unless it exists.
async fn ensure_stream(conn: &mut SqliteConnection, user_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO streams (user_id, epoch, head, pruned_through) VALUES (?, ?, 0, 0) \
         ON CONFLICT(user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(new_epoch())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends `event` to `user_id`'s stream. Must run inside the transaction of the change.
pub async fn append(conn: &mut SqliteConnection, user_id: &str, event: Event) -> Result<Committed> {
    let mut out = append_many(conn, &[user_id], event).await?;
    out.pop()
        .ok_or_else(|| Error::Internal("append returned no event".into()))
}

/// Appends the same `event` to the stream of every user in `user_ids` (duplicates count once)
/// in five statements whatever their number: create missing streams, advance every head by
/// one, store the event body once, insert every user's (seq → body) row with one
/// `INSERT … SELECT`, read the new heads back as one JSON row. The event is serialized once;
/// the returned [`Committed`] share it and follow the order of `user_ids`.
/// Must run inside the transaction of the change, which keeps each seq gapless: the writer
/// connection is exclusive, and a rollback undoes the head and the rows together.
pub async fn append_many<S: AsRef<str>>(
    conn: &mut SqliteConnection,
    user_ids: &[S],
    event: Event,
) -> Result<Vec<Committed>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = user_ids.iter().map(AsRef::as_ref).collect();
    let ids_json = serde_json::to_string(&ids)?;
    let json: Arc<str> = encode_event(&event)?.into();
    let event = Arc::new(event);
    // A stream created here gets its own random epoch (32 hex digits, like `new_epoch`).
    sqlx::query(
        "INSERT INTO streams (user_id, epoch, head, pruned_through) \
         SELECT value, lower(hex(randomblob(16))), 0, 0 FROM json_each(?) WHERE true \
         ON CONFLICT(user_id) DO NOTHING",
    )
    .bind(&ids_json)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE streams SET head = head + 1 WHERE user_id IN (SELECT value FROM json_each(?))",
    )
    .bind(&ids_json)
    .execute(&mut *conn)
    .await?;
    let body_id: i64 = sqlx::query("INSERT INTO event_bodies (payload) VALUES (?) RETURNING id")
        .bind(&*json)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sqlx::query(
        "INSERT INTO events (user_id, seq, body_id, created_at) \
         SELECT user_id, head, ?, ? FROM streams WHERE user_id IN (SELECT value FROM json_each(?))",
    )
    .bind(body_id)
    .bind(now_micros())
    .bind(&ids_json)
    .execute(&mut *conn)
    .await?;
    // The new heads as ONE row ({"user": seq, ...}): a row per user would cost a round trip
    // through sqlx's worker channel each.
    let heads: String = sqlx::query(
        "SELECT json_group_object(user_id, head) FROM streams \
         WHERE user_id IN (SELECT value FROM json_each(?))",
    )
    .bind(&ids_json)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let mut seqs: HashMap<String, u64> = serde_json::from_str(&heads)?;
    let mut out = Vec::with_capacity(seqs.len());
    for id in ids {
        // `remove` also skips a user listed twice.
        if let Some(seq) = seqs.remove(id) {
            out.push(Committed {
                user_id: id.to_owned(),
                seq,
                event: event.clone(),
                json: json.clone(),
            });
        }
    }
    Ok(out)
}

/// The user's stream position, creating the stream on first use.
pub async fn head(conn: &mut SqliteConnection, user_id: &str) -> Result<StreamHead> {
    ensure_stream(conn, user_id).await?;
    read_head(conn, user_id).await
}

/// The stream position without creating it (inside read transactions); an absent stream reads
/// as empty with an empty epoch.
pub async fn read_head(conn: &mut SqliteConnection, user_id: &str) -> Result<StreamHead> {
    let row = sqlx::query("SELECT epoch, head, pruned_through FROM streams WHERE user_id = ?")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => StreamHead {
            epoch: r.try_get("epoch")?,
            head: u64::try_from(r.try_get::<i64, _>("head")?).unwrap_or(0),
            pruned_through: u64::try_from(r.try_get::<i64, _>("pruned_through")?).unwrap_or(0),
        },
        None => StreamHead {
            epoch: String::new(),
            head: 0,
            pruned_through: 0,
        },
    })
}

pub async fn events_after(
    conn: &mut SqliteConnection,
    user_id: &str,
    after: u64,
    limit: u32,
) -> Result<Vec<EventFrame>> {
    let rows = sqlx::query(
        "SELECT e.seq, b.payload FROM events e JOIN event_bodies b ON b.id = e.body_id \
         WHERE e.user_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
    )
    .bind(user_id)
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventFrame {
                seq: u64::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
                event: decode_event(r.try_get::<&str, _>("payload")?),
            })
        })
        .collect()
}

/// Deletes events older than `max_age` that are not among each stream's last `min_events`,
/// and records how far each stream was pruned.
pub async fn prune(
    conn: &mut SqliteConnection,
    retention: Retention,
    now: OffsetDateTime,
) -> Result<u64> {
    let cutoff = to_micros(now) - i64::try_from(retention.max_age.as_micros()).unwrap_or(i64::MAX);
    let keep = i64::try_from(retention.min_events).unwrap_or(i64::MAX);
    let deleted = sqlx::query(
        "DELETE FROM events WHERE created_at < ? AND seq <= \
         (SELECT s.head - ? FROM streams s WHERE s.user_id = events.user_id)",
    )
    .bind(cutoff)
    .bind(keep)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if deleted > 0 {
        sqlx::query(
            "UPDATE streams SET pruned_through = COALESCE( \
             (SELECT MIN(e.seq) - 1 FROM events e WHERE e.user_id = streams.user_id), head)",
        )
        .execute(&mut *conn)
        .await?;
        // Body ids grow with time: every body older than the oldest one still referenced is
        // unreferenced (a cheap range delete instead of an anti-join).
        sqlx::query(
            "DELETE FROM event_bodies WHERE id < \
             COALESCE((SELECT MIN(body_id) FROM events), (SELECT MAX(id) + 1 FROM event_bodies))",
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(deleted)
}
