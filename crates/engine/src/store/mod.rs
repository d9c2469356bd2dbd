//! The local store's contract: what the client keeps across restarts ([`StoredState`]), the
//! writes the engine asks for ([`Changes`]) and the one [`Store`] trait the driver applies them
//! through.
//!
//! The engine never touches a store; it emits [`Changes`] and the driver applies each one in ONE
//! transaction (a 10k-message burst is one commit, not 10k), together with the stream position
//! those changes cover, so the position never runs ahead of the data. The contract lives here,
//! beside the engine, because the engine's outputs are made of these types; the SQLite
//! implementation lives in herald-client (it does IO). Both implementations, SQLite and
//! [`MemoryStore`] (tests, throwaway clients), share one conformance suite
//! (`herald_client::store::conformance`).

pub mod memory;

use std::collections::HashSet;

use herald_protocol::ipc::{self, Settings};
use herald_protocol::wire::{FriendRequest, Message, Notification, Room, StreamPosition, User};
use herald_protocol::Timestamp;
use serde::{Deserialize, Serialize};

pub use memory::MemoryStore;

/// The error of the database under a store (SQLite's, for the real one), kept as the source so
/// its message and chain reach the log; this crate has no database dependency to name it.
pub type DatabaseError = Box<dyn std::error::Error + Send + Sync>;

/// A store failure. The UI sees it as `ErrorCode::Storage`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused (disk full, corrupt file, locked).
    #[error("sqlite: {0}")]
    Database(DatabaseError),
    /// The schema could not be migrated.
    #[error("migration: {0}")]
    Migration(DatabaseError),
    /// A stored JSON value does not decode.
    #[error("decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Who is signed in, as stored. The token is NOT stored here (the desktop shell keeps it in
/// the OS keyring, the CLI in a 0600 file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    pub server_url: String,
    pub user: User,
    /// The backend profile (a built-in name or a profile file's path) when the server is not
    /// herald-server; `None`: herald-server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// An outbox entry: a message the user sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// UUID v7, the idempotency key on the server and the local echo's key.
    pub client_msg_id: String,
    pub room_id: String,
    pub text: String,
    pub reply_to: Option<String>,
    #[serde(with = "herald_protocol::time_format")]
    pub created_at: Timestamp,
    /// Transmissions so far.
    pub attempts: u32,
    /// Set once the engine gave up; cleared by `retry_send`.
    pub failed: Option<(ipc::ErrorCode, String)>,
}

/// A queued read mark, notification action or friend request answer the server has not
/// settled yet, as the engine encoded it (the store does not interpret it). Kept so that a
/// crash or quit before it was sent loses nothing; `key` sorts in queue order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOp {
    pub key: String,
    pub json: String,
}

/// One atomic change set. Applied in one transaction, in this order: reset, upserts, removals,
/// then the position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Set by a snapshot: drop rooms, messages, notifications and friend requests first (never
    /// the outbox, queued operations, drafts, settings or the dedupe set).
    pub reset_server_state: bool,
    pub rooms: Vec<Room>,
    pub removed_rooms: Vec<String>,
    pub messages: Vec<Message>,
    pub notifications: Vec<Notification>,
    pub notifications_unread: Option<u32>,
    pub friend_requests: Vec<FriendRequest>,
    pub outbox: Vec<OutboxEntry>,
    pub outbox_removed: Vec<String>,
    /// Operations queued (upserted by key) and settled (removed by key).
    pub ops: Vec<StoredOp>,
    pub ops_removed: Vec<String>,
    /// (room_id, text); an empty text deletes the draft.
    pub drafts: Vec<(String, String)>,
    pub notified: Vec<String>,
    pub settings: Option<Settings>,
    /// `Some(None)` signs out (and wipes the profile's server state).
    pub session: Option<Option<StoredSession>>,
    pub position: Option<StreamPosition>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self == &Changes::default()
    }

    /// This (failed, not written) change set followed by `later`, as one: what `later`
    /// removes of this one's rows is not written, a later snapshot (`reset_server_state`)
    /// drops this one's server rows, and the newest position, session and settings win. So
    /// a batch retried after a failed write never lets the position pass the rows it covers.
    pub fn then(mut self, later: Changes) -> Changes {
        if later.reset_server_state {
            self.reset_server_state = true;
            self.rooms.clear();
            self.removed_rooms.clear();
            self.messages.clear();
            self.notifications.clear();
            self.notifications_unread = None;
            self.friend_requests.clear();
        }
        self.rooms.retain(|r| !later.removed_rooms.contains(&r.id));
        self.removed_rooms
            .retain(|id| !later.rooms.iter().any(|r| &r.id == id));
        for room in later.rooms {
            self.put_room(room);
        }
        self.removed_rooms.extend(later.removed_rooms);
        self.messages.extend(later.messages);
        self.notifications.extend(later.notifications);
        self.notifications_unread = later.notifications_unread.or(self.notifications_unread);
        self.friend_requests.extend(later.friend_requests);
        self.outbox
            .retain(|e| !later.outbox_removed.contains(&e.client_msg_id));
        self.outbox_removed
            .retain(|id| !later.outbox.iter().any(|e| &e.client_msg_id == id));
        self.outbox.extend(later.outbox);
        self.outbox_removed.extend(later.outbox_removed);
        self.ops.retain(|o| !later.ops_removed.contains(&o.key));
        self.ops_removed
            .retain(|k| !later.ops.iter().any(|o| &o.key == k));
        self.ops.extend(later.ops);
        self.ops_removed.extend(later.ops_removed);
        self.drafts.extend(later.drafts);
        self.notified.extend(later.notified);
        self.settings = later.settings.or(self.settings);
        self.session = later.session.or(self.session);
        self.position = later.position.or(self.position);
        self
    }

    /// Queues a room upsert, replacing an earlier one of the same room in this change set: a
    /// burst of 10k messages in one room is one room write, not 10k.
    pub fn put_room(&mut self, room: Room) {
        match self.rooms.iter_mut().rev().find(|r| r.id == room.id) {
            Some(slot) => *slot = room,
            None => self.rooms.push(room),
        }
    }
}

/// Everything loaded at start (offline-first: painted before connecting).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoredState {
    pub session: Option<StoredSession>,
    pub position: Option<StreamPosition>,
    pub rooms: Vec<Room>,
    /// The newest messages of each room (up to the `recent` limit asked for), oldest first.
    pub messages: Vec<Message>,
    pub notifications: Vec<Notification>,
    pub notifications_unread: u32,
    pub friend_requests: Vec<FriendRequest>,
    pub outbox: Vec<OutboxEntry>,
    /// Unsettled operations, oldest first.
    pub ops: Vec<StoredOp>,
    pub drafts: Vec<(String, String)>,
    #[serde(skip)]
    pub notified: HashSet<String>,
    pub settings: Option<Settings>,
}

/// The store contract; see the module docs. `Send` so the driver can own it in its task.
pub trait Store: Send {
    /// Loads the state with the newest `recent` messages per room.
    fn load(&self, recent: usize) -> Result<StoredState, StoreError>;
    /// Applies one change set atomically.
    fn apply(&mut self, changes: &Changes) -> Result<(), StoreError>;
    /// Up to `limit` messages of a room older than `before` (created_at, id), oldest first.
    fn messages_before(
        &self,
        room_id: &str,
        before: Option<(Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError>;
    /// Makes everything durable (WAL checkpoint); called on shutdown.
    fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn load(&self, recent: usize) -> Result<StoredState, StoreError> {
        (**self).load(recent)
    }
    fn apply(&mut self, changes: &Changes) -> Result<(), StoreError> {
        (**self).apply(changes)
    }
    fn messages_before(
        &self,
        room_id: &str,
        before: Option<(Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        (**self).messages_before(room_id, before, limit)
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        (**self).flush()
    }
}

/// The total order of messages in a room: creation time, then id.
pub fn message_order(m: &Message) -> (i128, &str) {
    (m.created_at.unix_timestamp_nanos(), m.id.as_str())
}
