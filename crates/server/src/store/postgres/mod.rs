//! The store for several server nodes: PostgreSQL through sqlx, schema from
//! `migrations_postgres/` (the SQLite schema's tables, BIGINT unix-microsecond times).
//!
//! One pool serves reads and writes. Every mutating method is one READ COMMITTED transaction
//! that first row-locks the streams of every user it will append to, in `user_id` order (see
//! [`log`]): that serialises the writers of each user (gapless seqs, no lost unread counts, an
//! idempotent retry waits for the first attempt and then finds it) and rules out deadlocks
//! between writers. `snapshot` and `rooms_for` read in one REPEATABLE READ transaction, so the
//! state and the seq they return belong together.

mod chat;
mod inbox;
mod log;
mod rows;

use std::time::Duration;

use herald_protocol::wire::{
    EventFrame, FriendRequest, Message, Notification, NotificationPatch, NotificationSummary, Room,
    RoomKind, RoomRead, Snapshot, User,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::{NewMessage, NewNotification, NewUser, Paged, Sent, Store, StoreFuture};
use crate::config::Retention;
use crate::error::{Error, Result};
use crate::stream::{Committed, StreamHead};

/// The transaction `snapshot` and `rooms_for` read in.
const CONSISTENT_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// PostgreSQL implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and migrates the
    /// database (nodes starting together are serialised by sqlx's migration lock).
    pub async fn connect(url: &str) -> Result<Self> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|e| Error::Storage(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations_postgres")
            .run(&pool)
            .await
            .map_err(|e| Error::Storage(format!("migrations failed: {e}")))?;
        Ok(Self { pool })
    }

    /// Closes the pool; call on shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Runs `$body` (an expression using `$c: &mut PgConnection`) in one write transaction.
macro_rules! write_tx {
    ($self:ident, |$c:ident| $body:expr) => {
        Box::pin(async move {
            let mut tx = $self.pool.begin().await?;
            let $c: &mut PgConnection = &mut tx;
            let out = $body.await?;
            tx.commit().await?;
            Ok(out)
        })
    };
}

/// Runs `$body` on a pooled connection (each statement sees the latest commits).
macro_rules! read {
    ($self:ident, |$c:ident| $body:expr) => {
        Box::pin(async move {
            let mut conn = $self.pool.acquire().await?;
            let $c: &mut PgConnection = &mut conn;
            $body.await
        })
    };
}

/// Runs `$body` in one REPEATABLE READ, READ ONLY transaction (one snapshot for every read).
macro_rules! consistent_read {
    ($self:ident, |$c:ident| $body:expr) => {
        Box::pin(async move {
            let mut tx = $self.pool.begin_with(CONSISTENT_READ).await?;
            let $c: &mut PgConnection = &mut tx;
            let out = $body.await?;
            tx.commit().await?;
            Ok(out)
        })
    };
}

async fn ensure_user(c: &mut PgConnection, u: &NewUser) -> Result<User> {
    sqlx::query(
        "INSERT INTO users (id, username, name, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
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

async fn find_user(c: &mut PgConnection, key: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "(SELECT id, name FROM users WHERE id = $1) UNION ALL \
         (SELECT id, name FROM users WHERE username = $1) LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(rows::user_from_row).transpose()
}

async fn credentials(c: &mut PgConnection, username: &str) -> Result<Option<(User, String)>> {
    let row = sqlx::query("SELECT id, name, password_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok((rows::user_from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

async fn all_users(c: &mut PgConnection) -> Result<Vec<User>> {
    sqlx::query("SELECT id, name FROM users ORDER BY id")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(rows::user_from_row)
        .collect()
}

async fn room_for(c: &mut PgConnection, user_id: &str, room_id: &str) -> Result<Room> {
    rows::require_member(c, user_id, room_id).await?;
    rows::room(c, room_id, user_id).await
}

async fn snapshot(c: &mut PgConnection, user_id: &str, limit: u32) -> Result<Snapshot> {
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

impl Store for PgStore {
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
        consistent_read!(self, |c| chat::rooms_for(c, user_id))
    }
    fn room_for<'a>(&'a self, user_id: &'a str, room_id: &'a str) -> StoreFuture<'a, Room> {
        consistent_read!(self, |c| room_for(c, user_id, room_id))
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
        consistent_read!(self, |c| snapshot(c, user_id, limit))
    }
    fn prune<'a>(&'a self, retention: Retention, now: OffsetDateTime) -> StoreFuture<'a, u64> {
        write_tx!(self, |c| log::prune(c, retention, now))
    }
}
