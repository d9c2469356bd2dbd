//! The embedded default store: SQLite through sqlx, in WAL mode, schema from `migrations/`.
//!
//! Writes go through a pool of ONE connection: SQLite has a single writer anyway, and queueing
//! in the pool avoids `SQLITE_BUSY` on lock upgrades. Reads use their own small pool and see a
//! consistent snapshot per transaction (WAL), which is what `snapshot` relies on. `:memory:`
//! uses one connection for both (a second connection would open a different database).

mod chat;
mod inbox;
mod log;
pub(crate) mod rows;

use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use herald_protocol::wire::{
    EventFrame, FriendRequest, Message, Notification, NotificationPatch, NotificationSummary, Room,
    RoomKind, RoomRead, Snapshot, User,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::{NewMessage, NewNotification, NewUser, Paged, Sent, Store, StoreFuture};
use crate::config::{Database, Retention};
use crate::error::{Error, Result};
use crate::stream::{Committed, StreamHead};

/// SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    /// The background checkpointer's connection (file databases only).
    checkpoint: Option<SqlitePool>,
    /// The checkpointer stops once every clone of the store is gone.
    _alive: Arc<()>,
}

fn pool(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
}

impl SqliteStore {
    /// Opens (creating when missing) and migrates the database.
    pub async fn open(db: &Database) -> Result<Self> {
        let store = match db {
            Database::Postgres(_) => {
                return Err(Error::Storage(
                    "SqliteStore cannot open a PostgreSQL database (use PgStore)".into(),
                ))
            }
            Database::SqliteMemory => {
                let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
                let p = pool(1).connect_with(opts).await?;
                Self {
                    write: p.clone(),
                    read: p,
                    checkpoint: None,
                    _alive: Arc::new(()),
                }
            }
            Database::SqliteFile(path) => {
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // A message to a room of N members appends to N per-user ranges of the
                    // event log, i.e. dirties ~N pages. Keep the working set in memory (cache,
                    // memory-mapped reads).
                    .pragma("cache_size", "-65536")
                    .pragma("mmap_size", "268435456")
                    // A checkpoint that has copied everything back lets the next write restart
                    // the WAL from its start, but the file keeps its largest size unless this
                    // is set: after a write burst the disk would stay full for good.
                    .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string());
                // The writer never checkpoints (a checkpoint after a commit stalls every write
                // queued behind it for the fsync); `checkpointer` does, beside it.
                let write = pool(1)
                    .connect_with(opts.clone().pragma("wal_autocheckpoint", "0"))
                    .await?;
                sqlx::migrate!("./migrations")
                    .run(&write)
                    .await
                    .map_err(|e| Error::Storage(format!("migrations failed: {e}")))?;
                let checkpoint = pool(1).connect_with(opts.clone()).await?;
                let alive = Arc::new(());
                tokio::spawn(checkpointer(checkpoint.clone(), Arc::downgrade(&alive)));
                let read = pool(4).connect_with(opts.read_only(true)).await?;
                return Ok(Self {
                    write,
                    read,
                    checkpoint: Some(checkpoint),
                    _alive: alive,
                });
            }
        };
        sqlx::migrate!("./migrations")
            .run(&store.write)
            .await
            .map_err(|e| Error::Storage(format!("migrations failed: {e}")))?;
        Ok(store)
    }

    /// Closes the pools (checkpointing the WAL); call on shutdown.
    pub async fn close(&self) {
        if let Some(c) = &self.checkpoint {
            c.close().await;
        }
        self.read.close().await;
        self.write.close().await;
    }
}

/// The WAL file is cut back to this size when it restarts (bytes).
pub const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the WAL in the background (PASSIVE: never blocks the writer or readers) on its
/// own connection, so commits never pay for the copy-back and its fsync. Ends when the store's
/// pools close (`SqliteStore::close`) or the last clone of the store is dropped.
async fn checkpointer(pool: SqlitePool, alive: Weak<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if alive.upgrade().is_none() {
            pool.close().await;
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
    }
}

/// Runs `$body` (an expression using `$c: &mut SqliteConnection`) in one write transaction.
macro_rules! write_tx {
    ($self:ident, |$c:ident| $body:expr) => {
        Box::pin(async move {
            let mut tx = $self.write.begin().await?;
            let $c: &mut SqliteConnection = &mut tx;
            let out = $body.await?;
            tx.commit().await?;
            Ok(out)
        })
    };
}

/// Runs `$body` on a pooled read connection.
macro_rules! read {
    ($self:ident, |$c:ident| $body:expr) => {
        Box::pin(async move {
            let mut conn = $self.read.acquire().await?;
            let $c: &mut SqliteConnection = &mut conn;
            $body.await
        })
    };
}

async fn ensure_user(c: &mut SqliteConnection, u: &NewUser) -> Result<User> {
    sqlx::query(
        "INSERT INTO users (id, username, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&u.id)
    .bind(&u.username)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(rows::now_micros())
    .execute(&mut *c)
    .await?;
    find_user(c, &u.username)
        .await?
        .ok_or_else(|| Error::Conflict("user id already taken".into()))
}

async fn find_user(c: &mut SqliteConnection, key: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT id, name FROM users WHERE id = ? UNION ALL \
         SELECT id, name FROM users WHERE username = ? LIMIT 1",
    )
    .bind(key)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok::<_, Error>(User {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

async fn credentials(c: &mut SqliteConnection, username: &str) -> Result<Option<(User, String)>> {
    let row = sqlx::query("SELECT id, name, password_hash FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| {
        Ok((
            User {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            },
            r.try_get("password_hash")?,
        ))
    })
    .transpose()
}

async fn all_users(c: &mut SqliteConnection) -> Result<Vec<User>> {
    sqlx::query("SELECT id, name FROM users ORDER BY id")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok(User {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

async fn room_for(c: &mut SqliteConnection, user_id: &str, room_id: &str) -> Result<Room> {
    rows::require_member(c, user_id, room_id).await?;
    rows::room(c, room_id, user_id).await
}

async fn snapshot(c: &mut SqliteConnection, user_id: &str, limit: u32) -> Result<Snapshot> {
    let head = log::read_head(c, user_id).await?;
    let rooms = chat::rooms_for(c, user_id).await?;
    let items = inbox::list(c, user_id, None, limit, false, false)
        .await?
        .items;
    let unread = inbox::unread_count(c, user_id).await?;
    let friend_requests = inbox::friend_requests(c, user_id).await?;
    Ok(Snapshot {
        seq: head.head,
        rooms,
        notifications: NotificationSummary { unread, items },
        friend_requests,
    })
}

impl Store for SqliteStore {
    fn ensure_user<'a>(&'a self, user: &'a NewUser) -> StoreFuture<'a, User> {
        write_tx!(self, |c| ensure_user(c, user))
    }
    fn credentials<'a>(&'a self, username: &'a str) -> StoreFuture<'a, Option<(User, String)>> {
        read!(self, |c| credentials(c, username))
    }
    fn find_user<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<User>> {
        read!(self, |c| find_user(c, key))
    }
    fn all_users(&self) -> StoreFuture<'_, Vec<User>> {
        read!(self, |c| all_users(c))
    }
    fn create_room<'a>(
        &'a self,
        name: &'a str,
        kind: RoomKind,
        member_ids: &'a [String],
    ) -> StoreFuture<'a, (Room, Vec<Committed>)> {
        write_tx!(self, |c| async {
            let (room, events, _) = chat::create_room(c, name, kind, member_ids).await?;
            Ok::<_, Error>((room, events))
        })
    }
    fn find_room_id<'a>(
        &'a self,
        name: &'a str,
        member_id: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        read!(self, |c| chat::find_room_id(c, name, member_id))
    }
    fn rooms_for<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, Vec<Room>> {
        Box::pin(async move {
            let mut tx = self.read.begin().await?;
            let rooms = chat::rooms_for(&mut tx, user_id).await?;
            tx.commit().await?;
            Ok(rooms)
        })
    }
    fn room_for<'a>(&'a self, user_id: &'a str, room_id: &'a str) -> StoreFuture<'a, Room> {
        read!(self, |c| room_for(c, user_id, room_id))
    }
    fn send_message<'a>(
        &'a self,
        sender_id: &'a str,
        msg: &'a NewMessage,
    ) -> StoreFuture<'a, Sent> {
        write_tx!(self, |c| chat::send_message(c, sender_id, msg))
    }
    fn history<'a>(
        &'a self,
        user_id: &'a str,
        room_id: &'a str,
        before: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Paged<Message>> {
        read!(self, |c| chat::history(c, user_id, room_id, before, limit))
    }
    fn mark_room_read<'a>(
        &'a self,
        user_id: &'a str,
        room_id: &'a str,
        up_to: &'a str,
    ) -> StoreFuture<'a, (RoomRead, Vec<Committed>)> {
        write_tx!(self, |c| chat::mark_room_read(c, user_id, room_id, up_to))
    }
    fn create_notifications<'a>(
        &'a self,
        user_ids: &'a [String],
        n: &'a NewNotification,
    ) -> StoreFuture<'a, (Vec<Notification>, Vec<Committed>)> {
        write_tx!(self, |c| inbox::create_many(c, user_ids, n))
    }
    fn update_notification<'a>(
        &'a self,
        user_id: &'a str,
        id: &'a str,
        patch: &'a NotificationPatch,
    ) -> StoreFuture<'a, (Notification, Vec<Committed>)> {
        write_tx!(self, |c| inbox::update(c, user_id, id, patch))
    }
    fn mark_all_notifications_read<'a>(
        &'a self,
        user_id: &'a str,
    ) -> StoreFuture<'a, Vec<Committed>> {
        write_tx!(self, |c| inbox::mark_all_read(c, user_id))
    }
    fn notifications<'a>(
        &'a self,
        user_id: &'a str,
        before: Option<&'a str>,
        limit: u32,
        unread_only: bool,
    ) -> StoreFuture<'a, Paged<Notification>> {
        read!(self, |c| inbox::list(
            c,
            user_id,
            before,
            limit,
            unread_only,
            true
        ))
    }
    fn create_friend_request<'a>(
        &'a self,
        from_id: &'a str,
        to_id: &'a str,
    ) -> StoreFuture<'a, (FriendRequest, Vec<Committed>)> {
        write_tx!(self, |c| inbox::create_friend_request(c, from_id, to_id))
    }
    fn respond_friend_request<'a>(
        &'a self,
        user_id: &'a str,
        request_id: &'a str,
        accept: bool,
    ) -> StoreFuture<'a, (FriendRequest, Vec<Committed>)> {
        write_tx!(self, |c| inbox::respond_friend_request(
            c, user_id, request_id, accept
        ))
    }
    fn friend_requests<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, Vec<FriendRequest>> {
        read!(self, |c| inbox::friend_requests(c, user_id))
    }
    fn stream_head<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, StreamHead> {
        write_tx!(self, |c| log::head(c, user_id))
    }
    fn events_after<'a>(
        &'a self,
        user_id: &'a str,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<EventFrame>> {
        read!(self, |c| log::events_after(c, user_id, after, limit))
    }
    fn snapshot<'a>(&'a self, user_id: &'a str, limit: u32) -> StoreFuture<'a, Snapshot> {
        Box::pin(async move {
            let mut tx = self.read.begin().await?;
            let snap = snapshot(&mut tx, user_id, limit).await?;
            tx.commit().await?;
            Ok(snap)
        })
    }
    fn prune<'a>(&'a self, retention: Retention, now: OffsetDateTime) -> StoreFuture<'a, u64> {
        write_tx!(self, |c| log::prune(c, retention, now))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_file_store_caps_the_wal_left_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&Database::SqliteFile(dir.path().join("h.db")))
            .await
            .unwrap();
        for pool in [&store.write, &store.read] {
            let limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(limit as u64, JOURNAL_SIZE_LIMIT);
        }
        store.close().await;
    }
}
