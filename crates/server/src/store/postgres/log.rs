//! The PostgreSQL side of the per-user stream: lock, append inside a transaction, read, prune.
//!
//! Gapless seqs: a stream's head only moves by `head = head + 1` on its row, which row-locks the
//! stream until the transaction ends, so the writers of one user are serialised and a rollback
//! undoes the head and the event rows together. No deadlocks: a transaction takes every stream
//! lock it will need at once, in `user_id` order ([`lock_streams`]), before it writes anything
//! else; later appends inside it only touch rows it already holds.

use std::collections::HashMap;
use std::sync::Arc;

use herald_protocol::wire::{Event, EventFrame};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::rows::{now_micros, to_micros};
use crate::config::Retention;
use crate::error::{Error, Result};
use crate::stream::{decode_event, encode_event, Committed, StreamHead};

/// A fresh epoch per created row, 32 hex digits like `stream::new_epoch`.
const NEW_EPOCH: &str = "replace(gen_random_uuid()::text, '-', '')";

/// The ids sorted and deduplicated: the one order every transaction locks streams in.
fn sorted<S: AsRef<str>>(user_ids: &[S]) -> Vec<&str> {
    let mut ids: Vec<&str> = user_ids.iter().map(AsRef::as_ref).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Creates the missing streams of `user_ids` and row-locks all of them, in `user_id` order, in
/// one statement (an upsert walks its input in order, inserting or locking each row; locking
/// in a separate `SELECT … FOR UPDATE` after the inserts would hold the new rows out of order).
/// Call it first in every transaction that appends, with every user it will append to.
pub async fn lock_streams<S: AsRef<str>>(conn: &mut PgConnection, user_ids: &[S]) -> Result<()> {
    let ids = sorted(user_ids);
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO streams (user_id, epoch, head, pruned_through) \
         SELECT i, {NEW_EPOCH}, 0, 0 FROM unnest($1::text[]) AS i ORDER BY i \
         ON CONFLICT (user_id) DO UPDATE SET head = streams.head"
    )))
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends `event` to `user_id`'s stream. Must run inside the transaction of the change.
pub async fn append(conn: &mut PgConnection, user_id: &str, event: Event) -> Result<Committed> {
    let mut out = append_many(conn, &[user_id], event).await?;
    out.pop()
        .ok_or_else(|| Error::Internal("append returned no event".into()))
}

/// Appends the same `event` to the stream of every user in `user_ids` (duplicates count once)
/// in one statement whatever their number: store the body once, advance every head by one
/// (creating missing streams at 1, locking in `user_id` order), and insert every user's
/// (seq → body) row from the new heads. The event is serialized once; the returned
/// [`Committed`] share it and follow the order of `user_ids`.
/// Must run inside the transaction of the change.
pub async fn append_many<S: AsRef<str>>(
    conn: &mut PgConnection,
    user_ids: &[S],
    event: Event,
) -> Result<Vec<Committed>> {
    let ids = sorted(user_ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json: Arc<str> = encode_event(&event)?.into();
    let event = Arc::new(event);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH body AS (INSERT INTO event_bodies (payload) VALUES ($2) RETURNING id), \
         heads AS (INSERT INTO streams (user_id, epoch, head, pruned_through) \
           SELECT i, {NEW_EPOCH}, 1, 0 FROM unnest($1::text[]) AS i ORDER BY i \
           ON CONFLICT (user_id) DO UPDATE SET head = streams.head + 1 \
           RETURNING user_id, head), \
         rows AS (INSERT INTO events (user_id, seq, body_id, created_at) \
           SELECT heads.user_id, heads.head, body.id, $3 FROM heads, body) \
         SELECT user_id, head FROM heads"
    )))
    .bind(&ids)
    .bind(&*json)
    .bind(now_micros())
    .fetch_all(&mut *conn)
    .await?;
    let mut seqs = HashMap::with_capacity(rows.len());
    for r in &rows {
        let user: String = r.try_get("user_id")?;
        let head: i64 = r.try_get("head")?;
        seqs.insert(user, u64::try_from(head).unwrap_or(0));
    }
    let mut out = Vec::with_capacity(seqs.len());
    for id in user_ids.iter().map(AsRef::as_ref) {
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
pub async fn head(conn: &mut PgConnection, user_id: &str) -> Result<StreamHead> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO streams (user_id, epoch, head, pruned_through) \
         VALUES ($1, {NEW_EPOCH}, 0, 0) ON CONFLICT (user_id) DO NOTHING"
    )))
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    read_head(conn, user_id).await
}

/// The stream position without creating it (inside read transactions); an absent stream reads
/// as empty with an empty epoch.
pub async fn read_head(conn: &mut PgConnection, user_id: &str) -> Result<StreamHead> {
    let row = sqlx::query("SELECT epoch, head, pruned_through FROM streams WHERE user_id = $1")
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
    conn: &mut PgConnection,
    user_id: &str,
    after: u64,
    limit: u32,
) -> Result<Vec<EventFrame>> {
    let rows = sqlx::query(
        "SELECT e.seq, b.payload FROM events e JOIN event_bodies b ON b.id = e.body_id \
         WHERE e.user_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3",
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
/// and records how far each affected stream was pruned.
pub async fn prune(
    conn: &mut PgConnection,
    retention: Retention,
    now: OffsetDateTime,
) -> Result<u64> {
    let cutoff = to_micros(now) - i64::try_from(retention.max_age.as_micros()).unwrap_or(i64::MAX);
    let keep = i64::try_from(retention.min_events).unwrap_or(i64::MAX);
    // The heads are read without locks: a head that moves on meanwhile only keeps more.
    let affected: Vec<(String, i64)> = sqlx::query_as(
        "WITH gone AS (DELETE FROM events e USING streams s \
           WHERE s.user_id = e.user_id AND e.created_at < $1 AND e.seq <= s.head - $2 \
           RETURNING e.user_id) \
         SELECT user_id, COUNT(*) FROM gone GROUP BY user_id ORDER BY user_id",
    )
    .bind(cutoff)
    .bind(keep)
    .fetch_all(&mut *conn)
    .await?;
    if affected.is_empty() {
        return Ok(0);
    }
    let deleted: i64 = affected.iter().map(|(_, n)| n).sum();
    let ids: Vec<&str> = affected.iter().map(|(id, _)| id.as_str()).collect();
    // Lock in user_id order like every writer, then record the gap.
    sqlx::query("SELECT 1 FROM streams WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE streams SET pruned_through = COALESCE( \
         (SELECT MIN(e.seq) - 1 FROM events e WHERE e.user_id = streams.user_id), head) \
         WHERE user_id = ANY($1)",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    // Body ids grow with time: every body older than the oldest one still referenced is
    // unreferenced (a range delete instead of an anti-join). Bodies of transactions not yet
    // committed are invisible here, so they are never deleted.
    sqlx::query(
        "DELETE FROM event_bodies WHERE id < \
         COALESCE((SELECT MIN(body_id) FROM events), (SELECT MAX(id) + 1 FROM event_bodies))",
    )
    .execute(&mut *conn)
    .await?;
    Ok(u64::try_from(deleted).unwrap_or(0))
}
