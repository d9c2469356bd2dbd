//! The SQLite side of the per-user stream: append inside a transaction, read, prune.

use herald_protocol::wire::{Event, EventFrame};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::rows::{now_micros, to_micros};
use crate::config::Retention;
use crate::error::Result;
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
    ensure_stream(conn, user_id).await?;
    let seq: i64 =
        sqlx::query("UPDATE streams SET head = head + 1 WHERE user_id = ? RETURNING head")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("head")?;
    sqlx::query("INSERT INTO events (user_id, seq, payload, created_at) VALUES (?, ?, ?, ?)")
        .bind(user_id)
        .bind(seq)
        .bind(encode_event(&event)?)
        .bind(now_micros())
        .execute(&mut *conn)
        .await?;
    Ok(Committed {
        user_id: user_id.to_owned(),
        frame: EventFrame {
            seq: u64::try_from(seq).unwrap_or(0),
            event,
        },
    })
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
        "SELECT seq, payload FROM events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
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
    }
    Ok(deleted)
}
