//! Persistence behind one trait, so the embedded SQLite store ([`SqliteStore`], one node) and the
//! PostgreSQL store ([`PgStore`], several nodes sharing one database) are interchangeable.
//!
//! Every mutating method is one transaction that changes state AND appends the resulting events
//! to each affected user's stream, returning them as [`Committed`]; the caller publishes them only
//! after the method returned (after commit). Methods take the acting user's id and enforce
//! membership and ownership themselves, because only the store can do so atomically.
//! The trait is object-safe (`Arc<dyn Store>`): methods return boxed futures.

pub mod postgres;
pub mod rules;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use herald_protocol::wire::{
    EventFrame, FriendRequest, Link, Message, Notification, NotificationKind, NotificationPatch,
    Room, RoomKind, RoomRead, Snapshot, User,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::config::{Database, Retention};
use crate::error::Result;
use crate::stream::{Committed, StreamHead};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The store a [`Database`] names, opened: what the server keeps to share it and to close it.
#[derive(Debug, Clone)]
pub enum OpenStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl OpenStore {
    /// Opens (and migrates) the store `db` names.
    pub async fn open(db: &Database) -> Result<Self> {
        Ok(match db {
            Database::Postgres(url) => Self::Postgres(PgStore::connect(url).await?),
            Database::SqliteFile(_) | Database::SqliteMemory => {
                Self::Sqlite(SqliteStore::open(db).await?)
            }
        })
    }

    /// The store as the domain uses it.
    pub fn shared(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => Arc::new(s.clone()),
            Self::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Closes its connections (SQLite checkpoints its WAL); call on shutdown.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.close().await,
        }
    }
}

/// The boxed future every [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A user to create (the password already hashed).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub name: String,
    pub password_hash: String,
}

/// A validated message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: String,
    pub client_msg_id: Option<String>,
    pub text: String,
    pub reply_to: Option<String>,
}

/// A validated notification to create for one or more users.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub priority: u8,
    pub link: Option<Link>,
    pub meta: Map<String, Value>,
}

/// The result of `send_message`.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message: Message,
    /// Empty when `duplicate`.
    pub events: Vec<Committed>,
    /// The (sender, client_msg_id) pair was seen before: `message` is the original.
    pub duplicate: bool,
}

/// A page of results, newest-first or oldest-first as the method says.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// Herald's persistence. See the module docs for the transaction contract.
pub trait Store: Send + Sync + 'static {
    /// Creates the user unless one with that id or username exists; returns the stored user.
    fn ensure_user<'a>(&'a self, user: &'a NewUser) -> StoreFuture<'a, User>;
    /// The user and password hash for a login name.
    fn credentials<'a>(&'a self, username: &'a str) -> StoreFuture<'a, Option<(User, String)>>;
    /// A user by id, or else by username.
    fn find_user<'a>(&'a self, id_or_username: &'a str) -> StoreFuture<'a, Option<User>>;
    /// Every user (publish to `all`).
    fn all_users(&self) -> StoreFuture<'_, Vec<User>>;

    /// Creates a room; `room_created` goes to every member.
    fn create_room<'a>(
        &'a self,
        name: &'a str,
        kind: RoomKind,
        member_ids: &'a [String],
    ) -> StoreFuture<'a, (Room, Vec<Committed>)>;
    /// The id of a room with this name that `member_id` belongs to (idempotent seeding).
    fn find_room_id<'a>(
        &'a self,
        name: &'a str,
        member_id: &'a str,
    ) -> StoreFuture<'a, Option<String>>;
    /// The rooms of a user, most recently active first, as that user sees them.
    fn rooms_for<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, Vec<Room>>;
    /// One room as `user_id` sees it; `NotFound` or `Forbidden` otherwise.
    fn room_for<'a>(&'a self, user_id: &'a str, room_id: &'a str) -> StoreFuture<'a, Room>;

    /// Stores a message (idempotent on (sender, client_msg_id)), bumps the other members'
    /// unread counts and appends `message_created` to every member's stream.
    fn send_message<'a>(&'a self, sender_id: &'a str, msg: &'a NewMessage)
        -> StoreFuture<'a, Sent>;
    /// Messages older than `before` (a message id), oldest first.
    fn history<'a>(
        &'a self,
        user_id: &'a str,
        room_id: &'a str,
        before: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Paged<Message>>;
    /// Moves the user's read position to `up_to`; `room_read` to the user.
    fn mark_room_read<'a>(
        &'a self,
        user_id: &'a str,
        room_id: &'a str,
        up_to: &'a str,
    ) -> StoreFuture<'a, (RoomRead, Vec<Committed>)>;

    /// Creates one notification per user; `notification_created` to each.
    fn create_notifications<'a>(
        &'a self,
        user_ids: &'a [String],
        n: &'a NewNotification,
    ) -> StoreFuture<'a, (Vec<Notification>, Vec<Committed>)>;
    /// Applies a patch to the user's notification; `notification_updated` to the user.
    fn update_notification<'a>(
        &'a self,
        user_id: &'a str,
        notification_id: &'a str,
        patch: &'a NotificationPatch,
    ) -> StoreFuture<'a, (Notification, Vec<Committed>)>;
    /// Marks every notification read; `notifications_read_all` to the user.
    fn mark_all_notifications_read<'a>(
        &'a self,
        user_id: &'a str,
    ) -> StoreFuture<'a, Vec<Committed>>;
    /// The user's notifications older than `before` (an id), newest first.
    fn notifications<'a>(
        &'a self,
        user_id: &'a str,
        before: Option<&'a str>,
        limit: u32,
        unread_only: bool,
    ) -> StoreFuture<'a, Paged<Notification>>;

    /// A pending request; `friend_request_created` to both users and a `friend_request`
    /// notification to the recipient.
    fn create_friend_request<'a>(
        &'a self,
        from_id: &'a str,
        to_id: &'a str,
    ) -> StoreFuture<'a, (FriendRequest, Vec<Committed>)>;
    /// Accepts or declines (only the recipient may, only while pending). Accepting also creates
    /// a `friend_request_accepted` notification for the sender and a direct room for both.
    fn respond_friend_request<'a>(
        &'a self,
        user_id: &'a str,
        request_id: &'a str,
        accept: bool,
    ) -> StoreFuture<'a, (FriendRequest, Vec<Committed>)>;
    /// The requests a user sent or received, newest first.
    fn friend_requests<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, Vec<FriendRequest>>;

    /// The user's stream position (creating the stream, with a new epoch, on first use).
    fn stream_head<'a>(&'a self, user_id: &'a str) -> StoreFuture<'a, StreamHead>;
    /// Up to `limit` events with seq > `after`, in order.
    fn events_after<'a>(
        &'a self,
        user_id: &'a str,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<EventFrame>>;
    /// The user's whole state and the stream seq it corresponds to, read consistently.
    fn snapshot<'a>(
        &'a self,
        user_id: &'a str,
        notification_limit: u32,
    ) -> StoreFuture<'a, Snapshot>;
    /// Drops events outside retention as of `now`; returns how many were removed.
    fn prune<'a>(&'a self, retention: Retention, now: OffsetDateTime) -> StoreFuture<'a, u64>;
}
