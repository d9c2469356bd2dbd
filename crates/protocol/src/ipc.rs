//! The IPC contract between the desktop core (src-tauri + herald-client) and the UI (herald-ui).
//!
//! The UI sends intents ([`UiCommand`], through one Tauri command, `dispatch`) and renders what
//! the core tells it ([`UiEventBatch`], one Tauri event, `herald://events`). The core decides
//! everything else: reconnects, retries, which notifications to show. A reloaded webview calls
//! [`EngineCommand::GetViewState`] and gets the whole [`ViewState`] without a server round trip.

use serde::{Deserialize, Serialize};

use crate::wire::{self, FriendRequest, Notification, NotificationKind, Room, User};
use crate::Timestamp;

/// The Tauri command every [`UiCommand`] goes through.
pub const DISPATCH_COMMAND: &str = "dispatch";
/// The Tauri event carrying [`UiEventBatch`]es.
pub const EVENTS_CHANNEL: &str = "herald://events";

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a command failed, as the UI sees it: matched on, never parsed from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The server could not be reached (login, load older while offline...).
    ServerUnreachable,
    /// Username or password is wrong.
    WrongPassword,
    /// The session expired or was revoked: sign in again.
    Unauthorized,
    /// A command that needs a session was sent while signed out.
    NotSignedIn,
    /// The command's input is invalid (empty message, text too long, bad URL...).
    InvalidInput,
    /// The server refused: you may not do this.
    Forbidden,
    /// The referenced room, message or notification does not exist.
    NotFound,
    /// The server asked us to slow down.
    RateLimited,
    /// The request conflicts with the current state.
    Conflict,
    /// The local store failed (disk full, corrupt file).
    Storage,
    /// Checking for or installing an update failed.
    UpdateFailed,
    /// Signing in would send the password unencrypted (`http://` to a host that is not this
    /// machine): ask the person, then retry with `allow_cleartext`.
    InsecureServer,
    /// Anything else; the message says what happened.
    Internal,
    /// A code this UI does not know yet.
    #[serde(other)]
    Unknown,
}

impl From<wire::ErrorCode> for ErrorCode {
    fn from(c: wire::ErrorCode) -> Self {
        match c {
            wire::ErrorCode::Unauthorized => Self::Unauthorized,
            wire::ErrorCode::Forbidden => Self::Forbidden,
            wire::ErrorCode::NotFound => Self::NotFound,
            wire::ErrorCode::BadRequest | wire::ErrorCode::TooLarge => Self::InvalidInput,
            wire::ErrorCode::RateLimited => Self::RateLimited,
            wire::ErrorCode::Conflict => Self::Conflict,
            wire::ErrorCode::Internal | wire::ErrorCode::Unknown => Self::Internal,
        }
    }
}

/// A failed command: `{code, message}`; the message is for a person and says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    pub code: ErrorCode,
    pub message: String,
}

impl UiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for UiError {}

// ---------------------------------------------------------------------------------------------
// Settings

/// Colour scheme; `System` follows the OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// A daily window (local time, "HH:MM") with no native notifications. `from > to` spans
/// midnight (22:00–07:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from: String,
    pub to: String,
}

/// The user's settings, stored by the desktop shell (tauri-plugin-store). Every field has a
/// default so an old or partial settings file still loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Do not disturb: no native notifications or toasts at all.
    pub dnd: bool,
    pub quiet_hours: Option<QuietHours>,
    /// Rooms that never notify.
    pub muted_rooms: Vec<String>,
    /// Notify only for mentions and direct rooms.
    pub mentions_only: bool,
    /// Show message text in native notifications (off = "New message from Bob").
    pub previews: bool,
    /// Closing the window hides it to the tray instead of quitting.
    pub close_to_tray: bool,
    pub start_on_login: bool,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dnd: false,
            quiet_hours: None,
            muted_rooms: Vec::new(),
            mentions_only: false,
            previews: true,
            close_to_tray: true,
            start_on_login: false,
            theme: Theme::System,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// View state

/// The connection as the nav bar's pill shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnStatus {
    /// Not signed in: nothing to connect to.
    SignedOut,
    /// A connection attempt is under way.
    Connecting { attempt: u32 },
    /// Live: events arrive as they happen.
    Connected,
    /// Lost; the next attempt starts at `retry_at` ("Reconnecting in 4 s", with "Retry now").
    Reconnecting {
        #[serde(with = "crate::time_format")]
        retry_at: Timestamp,
        reason: DisconnectReason,
    },
    /// No network or the server is down for long: cached data is shown.
    Offline { reason: DisconnectReason },
}

/// Why the connection ended, for the pill's tooltip and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectReason {
    /// The TCP/TLS/WebSocket connection closed or failed.
    TransportClosed,
    /// Could not connect within the connect timeout.
    ConnectTimeout,
    /// Nothing heard for ping interval + grace: the socket is half-open.
    NoPing,
    /// The server is restarting (close 1001).
    ServerRestart,
    /// The token was refused (close 4001 / HTTP 401).
    Unauthorized,
    /// The server dropped us for reading too slowly (close 4008).
    TooSlow,
    /// The server said we broke the protocol (close 4400).
    ProtocolViolation,
    /// The machine slept or the clock jumped.
    Resumed,
    /// The user signed out.
    Logout,
    #[serde(other)]
    Unknown,
}

/// Who is signed in, if anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Session {
    SignedOut {
        /// The last server URL used, to prefill the login form.
        last_server_url: Option<String>,
    },
    SignedIn {
        server_url: String,
        user: User,
    },
}

/// Delivery state of a message as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Stored by the server.
    Sent,
    /// In the outbox: stored locally, being sent (clock icon).
    Pending,
    /// Gave up: `retry_send` or `discard_send`.
    Failed { code: ErrorCode, reason: String },
}

/// A message in the local model: a server message, or a local echo of an outbox entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Stable key for rendering: the client_msg_id for own messages, else the server id.
    pub key: String,
    /// The server's id once stored.
    pub id: Option<String>,
    pub room_id: String,
    pub sender: User,
    pub text: String,
    pub reply_to: Option<String>,
    #[serde(with = "crate::time_format")]
    pub created_at: Timestamp,
    pub delivery: Delivery,
}

/// A room as the chat list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomView {
    pub room: Room,
    pub muted: bool,
    /// The composer draft, kept across restarts.
    pub draft: String,
    /// Others typing right now.
    pub typing: Vec<User>,
    /// Whether older messages exist beyond what is loaded.
    pub has_more: bool,
}

/// A toast (and, when allowed, the native notification shown with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toast {
    /// Unique per toast; a coalesced burst reuses the id of its room's toast.
    pub id: String,
    pub kind: ToastKind,
    pub title: String,
    pub body: String,
    /// Where "View" goes.
    pub room_id: Option<String>,
    pub notification_id: Option<String>,
}

/// What a toast is about; decides its icon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToastKind {
    Message,
    Notification { kind: NotificationKind },
}

/// Everything the UI shows, in one value: the answer to `get_view_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewState {
    pub session: Session,
    pub connection: ConnStatus,
    pub rooms: Vec<RoomView>,
    pub active_room: Option<String>,
    /// Messages of the active room (and any other loaded room), oldest first.
    pub messages: Vec<ChatMessage>,
    pub notifications: Vec<Notification>,
    pub notifications_unread: u32,
    /// Whether older notifications may exist beyond those held (the page's infinite scroll).
    #[serde(default = "yes")]
    pub notifications_has_more: bool,
    pub friend_requests: Vec<FriendRequest>,
    pub settings: Settings,
    /// The account's backend (absent from an older core: herald-server); when signed out,
    /// the last one used, which the sign-in form offers first.
    #[serde(default)]
    pub backend: BackendView,
    /// The local store refuses writes: what to tell the person (see `UiEvent::StorageProblem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_problem: Option<UiError>,
}

fn yes() -> bool {
    true
}

/// About the running app (version shown in settings; the shell's first round trip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// The protocol version the core speaks.
    pub protocol: u32,
    /// Whether something shows Herald's tray icon (on Linux: a StatusNotifier host is
    /// registered). Without one, closing the window minimizes it instead of hiding it, and the
    /// settings page says why. Absent (an older core): assumed present.
    #[serde(default = "yes")]
    pub tray: bool,
}

/// Result of `check_for_updates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateStatus {
    UpToDate,
    /// Downloaded and verified; installed on the next restart.
    Ready {
        version: String,
    },
}

// ---------------------------------------------------------------------------------------------
// The signed-in account's backend

/// What the signed-in account's backend is and can do (docs/backends.md): the UI hides the
/// controls of what it cannot do, and the connection pill names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendView {
    /// `herald` or the profile's name (`ventree`, a file's `name`).
    pub kind: String,
    /// What the person reads: "Herald server", "Ventree shops (Socket.IO)", a file's description.
    pub label: String,
    /// Whether the backend replays what the app missed (herald-server). Without it Herald
    /// refetches over REST on every reconnect, and the pill says so.
    pub resumes: bool,
    #[serde(default)]
    pub features: BackendFeatures,
}

impl Default for BackendView {
    /// herald-server: everything, with replay.
    fn default() -> Self {
        BackendView {
            kind: "herald".into(),
            label: "Herald server".into(),
            resumes: true,
            features: BackendFeatures::default(),
        }
    }
}

/// What a backend supports. A field an older core did not send reads as supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackendFeatures {
    /// Rooms and messages (the chat button and panel).
    pub chat: bool,
    pub send: bool,
    /// Older messages on scroll-up.
    pub history: bool,
    pub mark_room_read: bool,
    /// The bell, the notification center and page.
    pub notifications: bool,
    pub mark_notification_read: bool,
    pub mark_all_notifications_read: bool,
    pub archive: bool,
    pub snooze: bool,
    /// The friend requests page.
    pub friend_requests: bool,
    pub answer_friend_requests: bool,
    pub typing: bool,
}

impl Default for BackendFeatures {
    fn default() -> Self {
        BackendFeatures {
            chat: true,
            send: true,
            history: true,
            mark_room_read: true,
            notifications: true,
            mark_notification_read: true,
            mark_all_notifications_read: true,
            archive: true,
            snooze: true,
            friend_requests: true,
            answer_friend_requests: true,
            typing: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backends the sign-in form offers

/// One backend kind the sign-in form offers: the `backend` of [`SessionCommand::Login`], what the
/// person reads, and what the username field is called on that backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendChoice {
    pub name: &'static str,
    pub label: &'static str,
    pub username_label: &'static str,
}

/// herald-server, then the profiles built into the core (`herald-client`'s `backend::BUILTIN`
/// holds the same names; a test there keeps the two lists equal). A profile file is given by
/// its path instead of a name.
pub const BACKENDS: [BackendChoice; 6] = [
    BackendChoice {
        name: "herald",
        label: "Herald server",
        username_label: "Username",
    },
    BackendChoice {
        name: "seed-001",
        label: "Django Channels chat + notifications",
        username_label: "Username",
    },
    BackendChoice {
        name: "ventree",
        label: "Ventree shops (Socket.IO)",
        username_label: "Email",
    },
    BackendChoice {
        name: "artchive",
        label: "Artchive (Django Channels)",
        username_label: "Username",
    },
    BackendChoice {
        name: "ecleaner",
        label: "E-Cleaner job chat (Django Channels)",
        username_label: "Username",
    },
    BackendChoice {
        name: "ecleaner-asis",
        label: "E-Cleaner job chat, a socket per room (as-is)",
        username_label: "Username",
    },
];

// ---------------------------------------------------------------------------------------------
// Commands (UI -> core)

/// Every intent the UI can send, by who answers it. Answered by a [`UiReply`] or a
/// [`UiError`].
///
/// The grouping is for the compiler, not the wire: each command is the flat JSON object of its
/// inner enum, `{"cmd": "open_room", "room_id": ...}` (`untagged` here, the `cmd` tag on the
/// inner enums), exactly as before the split. The desktop shell answers [`ShellCommand`]s,
/// herald-client's driver [`SessionCommand`]s, and the engine [`EngineCommand`]s; each takes
/// only its own type, so a command reaching the wrong one does not compile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UiCommand {
    Shell(ShellCommand),
    Session(SessionCommand),
    Engine(EngineCommand),
}

impl From<ShellCommand> for UiCommand {
    fn from(c: ShellCommand) -> Self {
        UiCommand::Shell(c)
    }
}

impl From<SessionCommand> for UiCommand {
    fn from(c: SessionCommand) -> Self {
        UiCommand::Session(c)
    }
}

impl From<EngineCommand> for UiCommand {
    fn from(c: EngineCommand) -> Self {
        UiCommand::Engine(c)
    }
}

/// What only the desktop shell can answer: it holds the OS (tray, updater, browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ShellCommand {
    AppInfo,
    CheckForUpdates,
    /// Opens a link in the system browser (message links never navigate the webview).
    OpenUrl {
        url: String,
    },
}

/// What herald-client's driver answers: signing in and out, and probing a server (they need
/// the network, the session or the token, never only the engine's state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum SessionCommand {
    Login {
        server_url: String,
        username: String,
        password: String,
        /// The backend kind: absent or `"herald"` for herald-server, else a built-in profile
        /// name (`seed-001`, `ventree`, `artchive`, `ecleaner`, `ecleaner-asis`) or a profile file's path.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backend: Option<String>,
        /// A pasted token instead of a password (a profile with `[login.paste]`, e.g. a
        /// backend behind a web SSO page); `username` and `password` are then ignored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The person confirmed sending the password (or token) to a non-loopback server over
        /// plain `http://`; without it such a sign-in fails with [`ErrorCode::InsecureServer`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        allow_cleartext: bool,
    },
    Logout,
    /// Guesses which backend `server_url` is (a few unauthenticated GETs), for the sign-in
    /// form to preselect; answered by [`UiReply::DetectedBackends`].
    DetectBackend {
        server_url: String,
    },
}

/// What the engine answers, at once and from its own state (it never waits on the network).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum EngineCommand {
    GetViewState,
    OpenRoom {
        room_id: String,
    },
    CloseRoom,
    SendMessage {
        room_id: String,
        text: String,
        reply_to: Option<String>,
    },
    RetrySend {
        key: String,
    },
    DiscardSend {
        key: String,
    },
    LoadOlder {
        room_id: String,
    },
    /// The next page of older notifications (the notifications page scrolled to its end).
    LoadOlderNotifications,
    MarkRoomRead {
        room_id: String,
    },
    MarkNotificationRead {
        notification_id: String,
    },
    MarkAllNotificationsRead,
    /// Every room and every bell item read at once (the tray's "Mark all as read": everything
    /// its count counts).
    MarkEverythingRead,
    /// Show a room in the UI (a native notification or the tray was clicked): the engine emits
    /// `UiEvent::Navigate`.
    ShowRoom {
        room_id: String,
    },
    ArchiveNotification {
        notification_id: String,
    },
    SnoozeNotification {
        notification_id: String,
        #[serde(with = "crate::time_format")]
        until: Timestamp,
    },
    RespondFriendRequest {
        request_id: String,
        accept: bool,
    },
    SetTyping {
        room_id: String,
        typing: bool,
    },
    SaveDraft {
        room_id: String,
        text: String,
    },
    GetSettings,
    SetSettings {
        settings: Settings,
    },
    SetRoomMuted {
        room_id: String,
        muted: bool,
    },
    RetryConnectionNow,
    /// The UI dismissed a toast (or it timed out).
    DismissToast {
        toast_id: String,
    },
}

/// A successful command's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum UiReply {
    /// Done; any state change arrives as events.
    Ack,
    AppInfo(AppInfo),
    ViewState(Box<ViewState>),
    Settings(Settings),
    Update(UpdateStatus),
    /// [`SessionCommand::DetectBackend`]'s answer: [`BACKENDS`] names, most likely first; empty
    /// when nothing known answered.
    DetectedBackends {
        names: Vec<String>,
    },
}

// ---------------------------------------------------------------------------------------------
// Events (core -> UI)

/// One change the UI applies to its stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum UiEvent {
    /// Replace everything (after login, a snapshot, or a resync).
    Reset(Box<ViewState>),
    Session(Session),
    Connection(ConnStatus),
    /// A room was created or changed (unread, last message, members, mute, draft, typing).
    RoomUpserted(Box<RoomView>),
    RoomRemoved {
        room_id: String,
    },
    ActiveRoom {
        room_id: Option<String>,
    },
    /// Messages added or changed (matched by `key`), oldest first.
    MessagesUpserted {
        room_id: String,
        messages: Vec<ChatMessage>,
    },
    /// A local echo was discarded.
    MessageRemoved {
        room_id: String,
        key: String,
    },
    /// Older messages finished loading (or failed: `error`).
    HistoryLoaded {
        room_id: String,
        has_more: bool,
        error: Option<UiError>,
    },
    NotificationUpserted(Box<Notification>),
    /// A page of older notifications arrived (only those not held before), or failed: `error`.
    NotificationsLoaded {
        notifications: Vec<Notification>,
        has_more: bool,
        error: Option<UiError>,
    },
    NotificationsReadAll,
    NotificationsUnread {
        count: u32,
    },
    FriendRequestUpserted(Box<FriendRequest>),
    Toast(Box<Toast>),
    /// Toasts for a room went away (the room was opened).
    ToastsWithdrawn {
        room_id: String,
    },
    Settings(Settings),
    /// The account's backend changed (a sign-in): what to show and hide.
    Backend(Box<BackendView>),
    /// The local store refuses writes (`Some`: what to tell the person) or writes again
    /// (`None`). Sending is held back meanwhile; nothing received is lost.
    StorageProblem {
        error: Option<UiError>,
    },
    /// The tray or a native notification asked to show a room.
    Navigate {
        room_id: String,
    },
    /// What the tray and the window title count: chat unread over all rooms plus unread bell
    /// items. Sent whenever it changes; the core's first batch carries it.
    UnreadTotal {
        count: u32,
    },
}

/// What the core emits: every change of one frame interval, coalesced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiEventBatch {
    pub events: Vec<UiEvent>,
}
