//! Wire protocol v1: the frames a Herald server and client exchange over `GET /ws`, and the
//! objects they carry (also used by the REST API).
//!
//! JSON text frames, internally tagged by `"type"`. Both sides ignore unknown fields (serde's
//! default: we never use `deny_unknown_fields`) and unknown `type`s / event `kind`s (they decode
//! to an `Unknown` variant the receiver skips), so either side can add to the protocol without
//! breaking the other. `docs/protocol.md` is the prose version of this file.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Timestamp;

/// The protocol version this crate speaks; sent in `hello` and `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame a server accepts from a client (64 KiB): before `hello` a bigger one closes the
/// socket with 4400, after it the server answers `error {too_large}`. Server frames may be
/// larger (a `snapshot`), so clients accept several MiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest message text, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Largest page `load_history` returns.
pub const MAX_HISTORY_LIMIT: u32 = 100;
/// Default interval of the server's WebSocket pings.
pub const DEFAULT_PING_INTERVAL_SECS: u64 = 25;
/// How long past a missed ping a peer waits before it declares the socket dead.
pub const LIVENESS_GRACE_SECS: u64 = 10;

/// WebSocket close codes Herald uses besides the standard ones (1000 normal, 1001 going away).
pub mod close_code {
    /// The token is missing, invalid or expired: log in again, do not reconnect with it.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client did not read fast enough and its outbound queue overflowed: reconnect with
    /// `resume`; nothing is lost.
    pub const TOO_SLOW: u16 = 4008;
    /// Protocol violation: a frame before `hello`, an oversize frame before `hello`, a second
    /// `hello`, or an unsupported protocol version.
    pub const PROTOCOL_VIOLATION: u16 = 4400;
    /// The server is shutting down (standard "going away"): reconnect with `resume`.
    pub const GOING_AWAY: u16 = 1001;
}

/// A client-chosen request id, echoed in the `reply`.
pub type RequestId = String;

// ---------------------------------------------------------------------------------------------
// Objects

/// A person. Identity on the server always comes from the token, never from this object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
}

/// What a room is for; decides its icon and, in the seed systems, who may join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Job,
    Support,
    General,
    Direct,
    /// A kind this client does not know yet; shown like `general`.
    #[serde(other)]
    Other,
}

/// A chat room as one member sees it: `unread_count` is that member's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    pub id: String,
    pub name: String,
    pub kind: RoomKind,
    pub members: Vec<User>,
    pub unread_count: u32,
    pub last_message: Option<Message>,
    #[serde(with = "crate::time_format")]
    pub updated_at: Timestamp,
}

/// A chat message. `client_msg_id` is the sender's idempotency key (UUID v7 from Herald
/// clients); it lets the sender match its local echo to the stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub room_id: String,
    pub sender: User,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// The id of the message this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(with = "crate::time_format")]
    pub created_at: Timestamp,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time_format::option"
    )]
    pub edited_at: Option<Timestamp>,
}

/// What a notification is about. Open-ended: a kind this client does not know keeps its name
/// (`Other`) and renders with the generic icon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum NotificationKind {
    NewConversation,
    SystemAlert,
    LowStock,
    OutOfStock,
    SaleCompleted,
    FriendRequest,
    FriendRequestAccepted,
    Mention,
    Other(String),
}

impl NotificationKind {
    /// The wire name of this kind.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NewConversation => "new_conversation",
            Self::SystemAlert => "system_alert",
            Self::LowStock => "low_stock",
            Self::OutOfStock => "out_of_stock",
            Self::SaleCompleted => "sale_completed",
            Self::FriendRequest => "friend_request",
            Self::FriendRequestAccepted => "friend_request_accepted",
            Self::Mention => "mention",
            Self::Other(s) => s,
        }
    }

    /// Every kind this version knows, for filters and tests.
    pub const KNOWN: [NotificationKind; 8] = [
        Self::NewConversation,
        Self::SystemAlert,
        Self::LowStock,
        Self::OutOfStock,
        Self::SaleCompleted,
        Self::FriendRequest,
        Self::FriendRequestAccepted,
        Self::Mention,
    ];
}

impl From<String> for NotificationKind {
    fn from(s: String) -> Self {
        match s.as_str() {
            "new_conversation" => Self::NewConversation,
            "system_alert" => Self::SystemAlert,
            "low_stock" => Self::LowStock,
            "out_of_stock" => Self::OutOfStock,
            "sale_completed" => Self::SaleCompleted,
            "friend_request" => Self::FriendRequest,
            "friend_request_accepted" => Self::FriendRequestAccepted,
            "mention" => Self::Mention,
            _ => Self::Other(s),
        }
    }
}

impl From<NotificationKind> for String {
    fn from(k: NotificationKind) -> Self {
        k.as_str().to_owned()
    }
}

/// Where a notification leads when clicked: a room in Herald, or a URL in the system browser.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Link {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A server notification: what the bell shows (stock, sales, alerts, friend requests...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    /// 1 (lowest) to 5 (highest); 3 is normal. Maps to the OS urgency.
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// Free-form data from the publisher (sku, order id...); shown nowhere by default.
    #[serde(default)]
    pub meta: Map<String, Value>,
    #[serde(with = "crate::time_format")]
    pub created_at: Timestamp,
    pub read: bool,
    pub archived: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time_format::option"
    )]
    pub snoozed_until: Option<Timestamp>,
}

/// Where a friend request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    Pending,
    Accepted,
    Declined,
}

/// A friend request between two users; both see it in their stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FriendRequest {
    pub id: String,
    pub from: User,
    pub to: User,
    pub status: FriendRequestStatus,
    #[serde(with = "crate::time_format")]
    pub created_at: Timestamp,
}

/// A position in a user's ordered stream. `seq` restarts at 1 in each `epoch`; a client
/// resumes only within the same epoch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamPosition {
    pub epoch: String,
    pub seq: u64,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a request or frame was refused. Stable across versions; clients match on it, never on
/// the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Missing, invalid or expired credentials.
    Unauthorized,
    /// Authenticated, but not allowed (e.g. a room you are not a member of).
    Forbidden,
    /// The referenced object does not exist (for you).
    NotFound,
    /// Malformed frame or invalid field (bad JSON, unknown request, empty text...).
    BadRequest,
    /// Over a size limit (frame, message text).
    TooLarge,
    /// Slow down; retry later.
    RateLimited,
    /// The request conflicts with the current state (e.g. answering a settled friend request).
    Conflict,
    /// The server failed; retrying may help.
    Internal,
    /// A code this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Whether retrying the same request later can succeed (transient) or never will.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::RateLimited | Self::Internal | Self::Unknown)
    }
}

/// The body of an `error` frame and of a failed `reply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited`: how long to wait before the same request can succeed, in
    /// milliseconds (REST also sends `Retry-After`). Absent otherwise, and from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// The same body with a retry hint.
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Client -> server

/// `hello`: must be the first frame on a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// Where the client's durable state stands; `null` on a first connect.
    pub resume: Option<StreamPosition>,
}

/// A request with the client-chosen `id` its `reply` will carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Req<T> {
    pub id: RequestId,
    #[serde(flatten)]
    pub params: T,
}

/// `send_message`: idempotent on (sender, `client_msg_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    pub room_id: String,
    pub client_msg_id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// `mark_room_read`: everything up to and including message `up_to` is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRoomRead {
    pub room_id: String,
    pub up_to: String,
}

/// `mark_notification_read` and `archive_notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRef {
    pub notification_id: String,
}

/// `mark_all_notifications_read` and `ping`: no parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}

/// `snooze_notification`: hide it until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnoozeNotification {
    pub notification_id: String,
    #[serde(with = "crate::time_format")]
    pub until: Timestamp,
}

/// `load_history`: a page of messages older than `before` (a message id), newest last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadHistory {
    pub room_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// At most [`MAX_HISTORY_LIMIT`]; larger values are clamped.
    pub limit: u32,
}

/// `respond_friend_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespondFriendRequest {
    pub request_id: String,
    pub accept: bool,
}

/// `typing` from a client: ephemeral, no reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingUpdate {
    pub room_id: String,
    pub typing: bool,
}

/// Every frame a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Hello(Hello),
    SendMessage(Req<SendMessage>),
    MarkRoomRead(Req<MarkRoomRead>),
    MarkNotificationRead(Req<NotificationRef>),
    MarkAllNotificationsRead(Req<Empty>),
    ArchiveNotification(Req<NotificationRef>),
    SnoozeNotification(Req<SnoozeNotification>),
    LoadHistory(Req<LoadHistory>),
    RespondFriendRequest(Req<RespondFriendRequest>),
    Ping(Req<Empty>),
    /// A fresh token for this session, and the socket lives on until the new one expires.
    /// Send it before [`Welcome::token_expires_at`]; answered with [`RenewTokenOk`].
    RenewToken(Req<Empty>),
    Typing(TypingUpdate),
    /// A `type` this server version does not know: answered with `error {bad_request}`.
    #[serde(other)]
    Unknown,
}

impl ClientFrame {
    /// The request id, for frames that expect a `reply`.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::SendMessage(r) => Some(&r.id),
            Self::MarkRoomRead(r) => Some(&r.id),
            Self::MarkNotificationRead(r) | Self::ArchiveNotification(r) => Some(&r.id),
            Self::MarkAllNotificationsRead(r) | Self::Ping(r) | Self::RenewToken(r) => Some(&r.id),
            Self::SnoozeNotification(r) => Some(&r.id),
            Self::LoadHistory(r) => Some(&r.id),
            Self::RespondFriendRequest(r) => Some(&r.id),
            Self::Hello(_) | Self::Typing(_) | Self::Unknown => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server -> client

/// `welcome`: the answer to `hello`. `seq` is the head of the user's stream right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub protocol: u32,
    pub user: User,
    pub epoch: String,
    pub seq: u64,
    /// true: every event after the client's `resume.seq` follows in order, then live events.
    /// false: a `snapshot` follows, then live events after the snapshot's `seq`.
    pub recovered: bool,
    /// When the token this socket was opened with expires (the socket then closes with 4001).
    /// A client renews before it with `renew_token`. Absent from servers that cannot renew.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time_format::option"
    )]
    pub token_expires_at: Option<Timestamp>,
}

/// Unread count and items of a user's notifications (in a snapshot).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NotificationSummary {
    pub unread: u32,
    pub items: Vec<Notification>,
}

/// `snapshot`: the user's whole state as of `seq`; replaces what the client derived from the
/// server (never its outbox or drafts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub seq: u64,
    pub rooms: Vec<Room>,
    pub notifications: NotificationSummary,
    pub friend_requests: Vec<FriendRequest>,
}

/// `room_read`: the user's read position in a room moved (on any of their devices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRead {
    pub room_id: String,
    pub up_to: String,
    pub unread_count: u32,
}

/// A change to the user's state, as carried by `event` frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    MessageCreated {
        message: Message,
    },
    RoomCreated {
        room: Room,
    },
    RoomUpdated {
        room: Room,
    },
    RoomRead(RoomRead),
    NotificationCreated {
        notification: Notification,
    },
    NotificationUpdated {
        notification: Notification,
    },
    NotificationsReadAll {},
    FriendRequestCreated {
        request: FriendRequest,
    },
    FriendRequestUpdated {
        request: FriendRequest,
    },
    /// A kind this client does not know: it still advances the stream position.
    #[serde(other)]
    Unknown,
}

/// `event`: one entry of the user's ordered stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFrame {
    pub seq: u64,
    pub event: Event,
}

/// `typing` from the server: someone else in a room started or stopped typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingNotice {
    pub room_id: String,
    pub user: User,
    pub typing: bool,
}

/// How a request ended: `{"ok": {...}}` or `{"error": {code, message}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The request-specific payload; see the `*Ok` types.
    Ok(Value),
    Error(ErrorBody),
}

/// `reply`: exactly one per request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: RequestId,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Reply {
    /// A successful reply carrying `payload` (one of the `*Ok` types).
    pub fn ok<T: Serialize>(id: impl Into<RequestId>, payload: &T) -> Self {
        let value = serde_json::to_value(payload).unwrap_or_else(|_| Value::Object(Map::new()));
        Self {
            id: id.into(),
            outcome: Outcome::Ok(value),
        }
    }

    /// A failed reply.
    pub fn error(id: impl Into<RequestId>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            outcome: Outcome::Error(ErrorBody::new(code, message)),
        }
    }

    /// Decodes the `ok` payload as `T`, or returns the error body.
    pub fn into_result<T: serde::de::DeserializeOwned>(self) -> Result<T, ErrorBody> {
        match self.outcome {
            Outcome::Ok(v) => serde_json::from_value(v)
                .map_err(|e| ErrorBody::new(ErrorCode::BadRequest, format!("bad reply: {e}"))),
            Outcome::Error(e) => Err(e),
        }
    }
}

/// `ok` of `send_message`: the stored message (the original one on a retried client_msg_id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendMessageOk {
    pub message: Message,
}

/// `ok` of `load_history`: oldest first; `has_more` when older messages exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadHistoryOk {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// `ok` of `renew_token`: the new token (keep it for the next connection and sign-in-free
/// restarts) and when it expires; the socket now lives until then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewTokenOk {
    pub token: String,
    #[serde(with = "crate::time_format")]
    pub expires_at: Timestamp,
}

/// `ok` of `mark_room_read`: same shape as the `room_read` event.
pub type MarkRoomReadOk = RoomRead;

/// `ok` of `mark_notification_read`, `archive_notification`, `snooze_notification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationOk {
    pub notification: Notification,
}

/// `ok` of `respond_friend_request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FriendRequestOk {
    pub request: FriendRequest,
}

/// `ok` of `mark_all_notifications_read` and `ping`.
pub type EmptyOk = Empty;

/// Every frame a server sends.
///
/// `Event` is much larger than the other variants; it is not boxed because frames are built,
/// sent or decoded and then dropped one at a time (never stored in bulk), and a `Box` would
/// have to be written at every construction and match site in the server and client.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome(Welcome),
    Snapshot(Snapshot),
    Event(EventFrame),
    Typing(TypingNotice),
    Reply(Reply),
    Error(ErrorBody),
    /// A `type` this client does not know: ignored.
    #[serde(other)]
    Unknown,
}

// ---------------------------------------------------------------------------------------------
// REST bodies (same objects; see docs/protocol.md for the routes)

/// `POST /api/login` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/login` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: User,
}

/// `POST /api/rooms/{id}/messages` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// `PATCH /api/notifications/{id}` body: each present field is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotificationPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time_format::option"
    )]
    pub snoozed_until: Option<Timestamp>,
}

/// Who a published notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// One or more users, by id or username.
    Users(Vec<String>),
    /// Every user.
    All,
}

/// `POST /api/publish` body (service key): the "event happens -> save -> push" path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishRequest {
    pub to: Audience,
    pub kind: NotificationKind,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// 1..=5; defaults to 3.
    #[serde(default = "default_priority")]
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    #[serde(default)]
    pub meta: Map<String, Value>,
}

fn default_priority() -> u8 {
    3
}

/// `POST /api/publish` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishResponse {
    /// Ids of the notifications created, one per recipient.
    pub notification_ids: Vec<String>,
}

/// A page of `GET /api/rooms/{id}/messages` or `GET /api/notifications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}
