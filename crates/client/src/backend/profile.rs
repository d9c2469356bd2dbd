//! Backend profiles: the TOML file that says everything one backend does differently from
//! another of its kind (transport, URLs, sign-in, where the token travels, which field names a
//! frame's kind, the field paths of each object, and the frames or REST calls of each action).
//!
//! Loading is strict where a mistake would silently lose data (an unknown key, an action
//! without a frame or a path) and every error names the file, the key and what to write, so a
//! team can write a profile for its own backend without reading Herald's code. The format is
//! documented in `docs/backends.md`; the four built-in profiles (`builtin/*.toml`) are such files.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The profiles compiled into Herald, one per seed system: (name, file text).
pub const BUILTIN: [(&str, &str); 5] = [
    ("seed-001", include_str!("builtin/seed-001.toml")),
    ("ventree", include_str!("builtin/ventree.toml")),
    ("artchive", include_str!("builtin/artchive.toml")),
    ("ecleaner", include_str!("builtin/ecleaner.toml")),
    ("ecleaner-asis", include_str!("builtin/ecleaner-asis.toml")),
];

/// Why a profile could not be used. Each message names the file, the key and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("{file}: cannot read the profile ({reason}); check the path")]
    Unreadable { file: String, reason: String },
    /// The TOML does not parse or a key has the wrong type / an unknown name.
    #[error("{file}: {reason}")]
    Syntax { file: String, reason: String },
    /// A key is missing or its value cannot work.
    #[error("{file}: key `{key}`: {fix}")]
    Invalid {
        file: String,
        key: String,
        fix: String,
    },
    /// Neither a built-in name nor a file.
    #[error("`{0}` is neither a built-in backend (herald, seed-001, ventree, artchive, ecleaner, ecleaner-asis) nor a profile file")]
    Unknown(String),
}

/// How the socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Plain WebSocket, one JSON object per text frame (Django Channels, `ws`, ...).
    Websocket,
    /// Socket.IO v4 over Engine.IO 4's WebSocket transport.
    Socketio,
}

/// A whole profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name; part of the local stream's epoch, so changing it means a fresh snapshot.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub transport: Transport,
    pub login: Login,
    /// The user's stream socket. Absent: the backend has none (seed 004 as-is), so the stream
    /// is the `[sync]` read repeated every `sync.poll_secs`, as the backend's own web app polls.
    #[serde(default)]
    pub socket: Option<Socket>,
    /// A socket per room (seed 004 as-is: `/ws/job_chat/{room_id}/`), which Herald opens only
    /// while a room needs it: the room is open on screen, or a message to it is being sent.
    #[serde(default)]
    pub room_socket: Option<RoomSocket>,
    #[serde(default)]
    pub rest: Rest,
    #[serde(default)]
    pub message: Option<MessageFields>,
    #[serde(default)]
    pub room: Option<RoomFields>,
    #[serde(default)]
    pub notification: Option<NotificationFields>,
    #[serde(default)]
    pub friend_request: Option<FriendRequestFields>,
    #[serde(default)]
    pub sync: Sync,
    #[serde(default)]
    pub actions: Actions,
}

/// `[login]`: `POST` a JSON body, read the token (or keep the session cookies) and the user
/// from the answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The password sign-in endpoint; absent for a backend signed in to only by a pasted
    /// token (`[login.paste]`, e.g. behind a web SSO page).
    #[serde(default)]
    pub path: Option<String>,
    /// JSON body template; `{username}` and `{password}` are filled in.
    #[serde(default)]
    pub body: Option<toml::Value>,
    /// Path of the token in the answer (token sign-in); absent with `session`.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub user_name: String,
    /// Signing in with a token the person pastes (from the web app, an SSO page).
    #[serde(default)]
    pub paste: Option<PasteLogin>,
    /// Cookie sign-in instead of a token: Django's session + CSRF, which Channels'
    /// `AuthMiddlewareStack` reads on the socket. The cookies become `{token}` (a `Cookie`
    /// header value) and the CSRF cookie's value `{csrf}`.
    #[serde(default)]
    pub session: Option<SessionLogin>,
}

/// `[login.paste]`: who a pasted token belongs to. With `path`, a `GET` (with the `[rest]`
/// headers, `{token}` filled in) answers the user; without, the token is a JWT and the paths
/// are claims of its payload (read, not verified: the backend verifies it on every call, and
/// a refused token shows the sign-in form again).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasteLogin {
    #[serde(default)]
    pub path: Option<String>,
    pub user_id: String,
    /// Absent, or absent from the answer: the user is shown as their id until the backend
    /// names them.
    #[serde(default)]
    pub user_name: Option<String>,
}

/// `[login.session]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionLogin {
    /// A `GET` made first to receive the CSRF cookie (a view with `ensure_csrf_cookie`).
    #[serde(default)]
    pub csrf_from: Option<String>,
    /// The CSRF cookie's name (Django: `csrftoken`).
    #[serde(default = "csrf_cookie")]
    pub csrf_cookie: String,
    /// The header the CSRF value goes in on the sign-in POST (Django: `X-CSRFToken`).
    #[serde(default = "csrf_header")]
    pub csrf_header: String,
}

fn csrf_cookie() -> String {
    "csrftoken".into()
}

fn csrf_header() -> String {
    "X-CSRFToken".into()
}

/// `[socket]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Socket {
    /// Relative to the server URL (`/ws/realtime/?token={token}`) or absolute (`ws://…`).
    pub url: String,
    /// The Origin header; Channels' AllowedHostsOriginValidator refuses a handshake without
    /// one. Default: the server's own origin.
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Socket.IO only: the `auth` object of the CONNECT packet (`{ token = "{token}" }`).
    #[serde(default)]
    pub socketio_auth: Option<toml::Value>,
    /// The field whose value tells frame kinds apart (Socket.IO: the event name; unused).
    #[serde(default)]
    pub discriminator: Option<String>,
    /// An application-level ping for backends that send no WebSocket pings.
    #[serde(default)]
    pub heartbeat: Option<Heartbeat>,
    /// What each frame kind is.
    #[serde(default)]
    pub on: Vec<Rule>,
}

/// `[room_socket]`: plain WebSocket, one per room; its frames carry no room id (the socket is
/// the room), so its rules need no `room_id` path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSocket {
    /// With `{room_id}`: `/ws/job_chat/{room_id}/?token={token}`.
    pub url: String,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub discriminator: String,
    #[serde(default)]
    pub on: Vec<Rule>,
}

/// `[socket.heartbeat]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub every_secs: u64,
    pub frame: toml::Value,
}

/// What an inbound frame kind becomes in Herald.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A chat message (`[message]` fields).
    Message,
    /// A new or changed bell item (`[notification]` fields).
    Notification,
    /// A new or changed friend request (`[friend_request]` fields).
    FriendRequest,
    /// A list of rooms (`[room]` fields); each is upserted.
    Rooms,
    /// A room's unread count changed: `room_id`, `unread_count`.
    RoomUnread,
    /// Someone is typing: `room_id`, `user_id`, `user_name`, `typing`.
    Typing,
    /// A notification was marked read: `id`.
    NotificationRead,
    /// Every notification was marked read.
    NotificationsReadAll,
    /// Known and deliberately ignored (pong, acks).
    Ignore,
}

/// `[[socket.on]]`: frames whose discriminator equals `when`. (No `deny_unknown_fields`:
/// serde cannot combine it with `flatten`; `validate` checks the field names instead.)
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    pub when: String,
    #[serde(rename = "do")]
    pub kind: RuleKind,
    /// Path of the object inside the frame; empty or absent: the frame itself.
    #[serde(default)]
    pub at: Option<String>,
    /// Field paths for the small kinds (`room_id`, `unread_count`, `id`, `user_id`, ...).
    #[serde(default, flatten)]
    pub fields: BTreeMap<String, String>,
}

/// The field paths a rule may name.
const RULE_FIELDS: [&str; 6] = [
    "id",
    "room_id",
    "unread_count",
    "user_id",
    "user_name",
    "typing",
];

/// `[rest]`: what every REST call carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rest {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Field specs: a path (`sender.username`), a template (`"{title}: {body}"`) or a literal
/// (`"=job"`). See `fields.rs`.
pub type Spec = String;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageFields {
    pub id: Spec,
    pub room_id: Spec,
    pub sender_id: Spec,
    #[serde(default)]
    pub sender_name: Option<Spec>,
    pub text: Spec,
    pub created_at: Spec,
    #[serde(default)]
    pub client_msg_id: Option<Spec>,
    #[serde(default)]
    pub reply_to: Option<Spec>,
    /// `id` (default) or `name`: what of the signed-in user appears as `sender_id` on one's
    /// own messages (seed 001 sends the username).
    #[serde(default)]
    pub sender_is: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomFields {
    pub id: Spec,
    pub name: Spec,
    #[serde(default)]
    pub kind: Option<Spec>,
    /// Backend kind name -> job | support | general | direct.
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    #[serde(default)]
    pub unread_count: Option<Spec>,
    #[serde(default)]
    pub updated_at: Option<Spec>,
    /// Path of the last message (mapped with `[message]`).
    #[serde(default)]
    pub last_message: Option<String>,
    /// Path of the member list; elements are strings (names) or objects.
    #[serde(default)]
    pub members: Option<String>,
    #[serde(default)]
    pub member_id: Option<Spec>,
    #[serde(default)]
    pub member_name: Option<Spec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationFields {
    pub id: Spec,
    #[serde(default)]
    pub kind: Option<Spec>,
    /// Backend type name -> Herald kind (`low_stock`, `friend_request_accepted`, ...).
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    pub title: Spec,
    #[serde(default)]
    pub body: Option<Spec>,
    #[serde(default)]
    pub read: Option<Spec>,
    pub created_at: Spec,
    #[serde(default)]
    pub priority: Option<Spec>,
    #[serde(default)]
    pub link_room: Option<Spec>,
    #[serde(default)]
    pub link_url: Option<Spec>,
    /// Path of an object copied into `meta`.
    #[serde(default)]
    pub meta: Option<String>,
    /// Extra `meta` keys: name -> spec (ventree keeps `shop_id` for its PATCH).
    #[serde(default)]
    pub meta_fields: BTreeMap<String, Spec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FriendRequestFields {
    pub id: Spec,
    pub from_id: Spec,
    pub from_name: Spec,
    pub to_id: Spec,
    pub to_name: Spec,
    pub status: Spec,
    pub created_at: Spec,
}

/// `[sync]`: what Herald reads over REST on every (re)connect, since these backends cannot
/// replay what a client missed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sync {
    #[serde(default)]
    pub rooms: Option<Fetch>,
    #[serde(default)]
    pub notifications: Option<Fetch>,
    #[serde(default)]
    pub friend_requests: Option<Fetch>,
    /// A room's messages, newest page; `{room_id}`, `{limit}` and `{before}` are filled in
    /// (a query parameter whose value uses an absent variable is left out).
    #[serde(default)]
    pub messages: Option<Fetch>,
    /// Read `rooms`, `notifications` and `friend_requests` again every this many seconds while
    /// connected, for what the socket does not push (004 as-is: the room list and unread
    /// counts, which its web app polls every 30 s). Required without a `[socket]`.
    #[serde(default)]
    pub poll_secs: Option<u64>,
}

/// A REST read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Path of the list in the answer; empty: the answer is the list.
    #[serde(default)]
    pub at: Option<String>,
    /// Path of an unread count in the answer (summed over `for_each`).
    #[serde(default)]
    pub unread: Option<String>,
    /// Path of a "more pages exist" flag (default: a full page means more).
    #[serde(default)]
    pub has_more: Option<String>,
    /// Run this read once per element of another list first (ventree: once per shop).
    #[serde(default)]
    pub for_each: Option<ForEach>,
}

/// `for_each`: `GET path`, take the list at `at`, bind each element's `id` to `{as}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    pub path: String,
    #[serde(default)]
    pub at: Option<String>,
    pub id: String,
    #[serde(rename = "as")]
    pub bind: String,
}

/// `[actions]`: how each of Herald's requests reaches the backend. An absent action is a
/// feature the backend lacks: Herald hides it for the account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    #[serde(default)]
    pub send_message: Option<Action>,
    #[serde(default)]
    pub mark_room_read: Option<Action>,
    #[serde(default)]
    pub mark_notification_read: Option<Action>,
    /// Absent while `mark_notification_read` exists: Herald marks each unread one.
    #[serde(default)]
    pub mark_all_notifications_read: Option<Action>,
    #[serde(default)]
    pub accept_friend_request: Option<Action>,
    #[serde(default)]
    pub decline_friend_request: Option<Action>,
    #[serde(default)]
    pub typing: Option<Action>,
}

/// Which socket an action's frame goes out on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The user's stream socket, `[socket]`.
    #[default]
    Socket,
    /// The room's own socket, `[room_socket]` (opened for the frame if it is not open).
    RoomSocket,
}

/// One action: a socket frame (`frame`) or a REST call (`method` + `path`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    #[serde(default)]
    pub frame: Option<toml::Value>,
    /// The socket the frame goes out on (default: `socket`).
    #[serde(default)]
    pub via: Via,
    /// Socket.IO: the event name the frame is emitted as.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<toml::Value>,
    /// Path of the object in the REST answer (the sent message, the answered request).
    #[serde(default)]
    pub at: Option<String>,
}

/// Where a profile came from, for error messages and the session record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin(&'static str),
    File(String),
}

impl Source {
    fn label(&self) -> String {
        match self {
            Source::Builtin(n) => format!("built-in profile {n}"),
            Source::File(p) => p.clone(),
        }
    }
}

impl Profile {
    /// A built-in name or a path to a profile file.
    pub fn resolve(name_or_path: &str) -> Result<(Profile, Source), ProfileError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            let source = Source::Builtin(name);
            return Ok((Self::parse(text, &source)?, source));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ProfileError::Unknown(name_or_path.to_owned()));
        }
        let source = Source::File(name_or_path.to_owned());
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Unreadable {
            file: name_or_path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok((Self::parse(&text, &source)?, source))
    }

    /// Parses and validates a profile's text.
    pub fn parse(text: &str, source: &Source) -> Result<Profile, ProfileError> {
        let file = source.label();
        if text.len() > 256 * 1024 {
            return Err(ProfileError::Invalid {
                file,
                key: "(file)".into(),
                fix: "a profile is at most 256 KiB; this one is larger".into(),
            });
        }
        let profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Syntax {
            file: file.clone(),
            reason: e.to_string().trim().replace('\n', " "),
        })?;
        profile.validate(&file)?;
        Ok(profile)
    }

    fn validate(&self, file: &str) -> Result<(), ProfileError> {
        let bad = |key: &str, fix: &str| ProfileError::Invalid {
            file: file.to_owned(),
            key: key.to_owned(),
            fix: fix.to_owned(),
        };
        if self.name.is_empty() || self.name.contains(char::is_whitespace) {
            return Err(bad(
                "name",
                "write a short name without spaces, e.g. name = \"acme\"",
            ));
        }
        match (&self.login.path, &self.login.body, &self.login.paste) {
            (None, _, None) => {
                return Err(bad(
                    "login.path",
                    "write the sign-in endpoint, e.g. path = \"/api/auth/login/\", or add [login.paste] for a pasted token",
                ))
            }
            (Some(_), None, _) => {
                return Err(bad(
                    "login.body",
                    "write the sign-in body, e.g. body = { username = \"{username}\", password = \"{password}\" }",
                ))
            }
            (Some(_), Some(_), _) if self.login.user_id.is_empty() => {
                return Err(bad(
                    "login.user_id",
                    "write where the user's id is in the sign-in answer, e.g. user_id = \"user.id\"",
                ))
            }
            _ => {}
        }
        if self.login.paste.is_some() && self.login.session.is_some() {
            return Err(bad(
                "login.paste",
                "a pasted token travels as {token}; a cookie sign-in ([login.session]) has none: remove one",
            ));
        }
        match (&self.login.token, &self.login.session) {
            (None, None) if self.login.path.is_none() => {}
            (None, None) => {
                return Err(bad(
                    "login.token",
                    "write where the token is in the sign-in answer, e.g. token = \"access\", or add [login.session] for a cookie sign-in",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(bad(
                    "login.session",
                    "a profile signs in with a token or with session cookies, not both: remove `token` or [login.session]",
                ))
            }
            _ => {}
        }
        match (&self.socket, self.sync.poll_secs) {
            (None, None) => {
                return Err(bad(
                    "socket",
                    "write [socket] (the user's stream socket), or sync.poll_secs = 30 to poll [sync] instead when the backend has only per-room sockets",
                ))
            }
            (_, Some(0)) => return Err(bad("sync.poll_secs", "write at least 1 (seconds)")),
            _ => {}
        }
        if let Some(socket) = &self.socket {
            if self.transport == Transport::Websocket && socket.discriminator.is_none() {
                return Err(bad(
                    "socket.discriminator",
                    "write the field that tells frame kinds apart, e.g. discriminator = \"type\"",
                ));
            }
            if self.transport == Transport::Socketio && socket.socketio_auth.is_none() {
                return Err(bad(
                    "socket.socketio_auth",
                    "write the CONNECT packet's auth object, e.g. socketio_auth = { token = \"{token}\" }",
                ));
            }
            self.validate_rules(file, "socket.on", &socket.on, false)?;
        }
        if let Some(rs) = &self.room_socket {
            if self.transport != Transport::Websocket {
                return Err(bad(
                    "room_socket",
                    "per-room sockets are plain WebSockets: remove [room_socket] or write transport = \"websocket\"",
                ));
            }
            if !rs.url.contains("{room_id}") {
                return Err(bad(
                    "room_socket.url",
                    "write where the room goes, e.g. url = \"/ws/job_chat/{room_id}/?token={token}\"",
                ));
            }
            self.validate_rules(file, "room_socket.on", &rs.on, true)?;
        }
        let actions = [
            ("actions.send_message", &self.actions.send_message),
            ("actions.mark_room_read", &self.actions.mark_room_read),
            (
                "actions.mark_notification_read",
                &self.actions.mark_notification_read,
            ),
            (
                "actions.mark_all_notifications_read",
                &self.actions.mark_all_notifications_read,
            ),
            (
                "actions.accept_friend_request",
                &self.actions.accept_friend_request,
            ),
            (
                "actions.decline_friend_request",
                &self.actions.decline_friend_request,
            ),
            ("actions.typing", &self.actions.typing),
        ];
        for (key, action) in actions {
            let Some(a) = action else { continue };
            match (&a.frame, &a.path) {
                (Some(_), Some(_)) => {
                    return Err(bad(key, "write either frame = {…} (sent on the socket) or method + path (REST), not both"))
                }
                (None, None) => {
                    return Err(bad(key, "write frame = {…} (sent on the socket) or method = \"POST\" and path = \"/…\" (REST)"))
                }
                (None, Some(_)) => {
                    let m = a.method.as_deref().unwrap_or("");
                    if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m) {
                        return Err(bad(&format!("{key}.method"), "write one of GET, POST, PUT, PATCH, DELETE"));
                    }
                }
                (Some(_), None) => match a.via {
                    Via::Socket if self.socket.is_none() => {
                        return Err(bad(&format!("{key}.via"), "this profile has no [socket]: write via = \"room_socket\" or make it a REST call"))
                    }
                    Via::RoomSocket if self.room_socket.is_none() => {
                        return Err(bad(&format!("{key}.via"), "via = \"room_socket\" needs a [room_socket] table"))
                    }
                    _ => {}
                },
            }
        }
        if self.actions.send_message.is_some() && self.message.is_none() {
            return Err(bad(
                "message",
                "sending needs a [message] table to read the sent message",
            ));
        }
        if self.sync.messages.is_some() && self.message.is_none() {
            return Err(bad("message", "sync.messages needs a [message] table"));
        }
        if self.sync.rooms.is_some() && self.room.is_none() {
            return Err(bad("room", "sync.rooms needs a [room] table"));
        }
        if self.sync.notifications.is_some() && self.notification.is_none() {
            return Err(bad(
                "notification",
                "sync.notifications needs a [notification] table",
            ));
        }
        if self.sync.friend_requests.is_some() && self.friend_request.is_none() {
            return Err(bad(
                "friend_request",
                "sync.friend_requests needs a [friend_request] table",
            ));
        }
        if let Some(room) = &self.room {
            for (k, v) in &room.kinds {
                if !["job", "support", "general", "direct"].contains(&v.as_str()) {
                    return Err(bad(
                        &format!("room.kinds.{k}"),
                        "write one of job, support, general, direct",
                    ));
                }
            }
        }
        if let Some(m) = &self.message {
            if let Some(s) = &m.sender_is {
                if s != "id" && s != "name" {
                    return Err(bad("message.sender_is", "write \"id\" or \"name\""));
                }
            }
        }
        Ok(())
    }

    /// Checks a socket's `on` rules; `room_implied`: a room socket's frames need no `room_id`.
    fn validate_rules(
        &self,
        file: &str,
        prefix: &str,
        rules: &[Rule],
        room_implied: bool,
    ) -> Result<(), ProfileError> {
        let bad = |key: &str, fix: &str| ProfileError::Invalid {
            file: file.to_owned(),
            key: key.to_owned(),
            fix: fix.to_owned(),
        };
        for (i, rule) in rules.iter().enumerate() {
            let key = format!("{prefix}[{i}]");
            for field in rule.fields.keys() {
                if !RULE_FIELDS.contains(&field.as_str()) {
                    return Err(bad(
                        &format!("{key}.{field}"),
                        &format!(
                            "unknown key; a rule has when, do, at and the paths {}",
                            RULE_FIELDS.join(", ")
                        ),
                    ));
                }
            }
            let needs: &[&str] = match rule.kind {
                RuleKind::Message if self.message.is_none() => {
                    return Err(bad(&key, "do = \"message\" needs a [message] table"))
                }
                RuleKind::Notification if self.notification.is_none() => {
                    return Err(bad(
                        &key,
                        "do = \"notification\" needs a [notification] table",
                    ))
                }
                RuleKind::FriendRequest if self.friend_request.is_none() => {
                    return Err(bad(
                        &key,
                        "do = \"friend_request\" needs a [friend_request] table",
                    ))
                }
                RuleKind::Rooms if self.room.is_none() => {
                    return Err(bad(&key, "do = \"rooms\" needs a [room] table"))
                }
                RuleKind::RoomUnread if room_implied => &["unread_count"],
                RuleKind::RoomUnread => &["room_id", "unread_count"],
                RuleKind::Typing if room_implied => &["user_id", "typing"],
                RuleKind::Typing => &["room_id", "user_id", "typing"],
                RuleKind::NotificationRead => &["id"],
                _ => &[],
            };
            for field in needs {
                if !rule.fields.contains_key(*field) {
                    return Err(bad(
                        &format!("{key}.{field}"),
                        &format!(
                            "write the path of `{field}` in this frame, e.g. {field} = \"{field}\""
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// What Herald can do with this backend; the rest is hidden for the account.
    pub fn features(&self) -> Features {
        let a = &self.actions;
        Features {
            chat: self.message.is_some(),
            send: a.send_message.is_some(),
            history: self.sync.messages.is_some(),
            mark_room_read: a.mark_room_read.is_some(),
            mark_notification_read: a.mark_notification_read.is_some(),
            mark_all_notifications_read: a.mark_all_notifications_read.is_some()
                || a.mark_notification_read.is_some(),
            notifications: self.notification.is_some(),
            friend_requests: self.friend_request.is_some(),
            answer_friend_requests: a.accept_friend_request.is_some()
                && a.decline_friend_request.is_some(),
            typing: a.typing.is_some(),
            archive: false,
            snooze: false,
        }
    }

    /// The account's backend as the UI shows it.
    pub fn view(&self) -> herald_protocol::ipc::BackendView {
        let label = herald_protocol::ipc::BACKENDS
            .iter()
            .find(|b| b.name == self.name)
            .map(|b| b.label.to_owned())
            .or_else(|| (!self.description.is_empty()).then(|| self.description.clone()))
            .unwrap_or_else(|| self.name.clone());
        herald_protocol::ipc::BackendView {
            kind: self.name.clone(),
            label,
            resumes: false,
            features: self.features(),
        }
    }
}

/// What a backend supports: the IPC type the UI reads.
pub use herald_protocol::ipc::BackendFeatures as Features;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_form_offers_exactly_the_builtin_profiles() {
        let offered: Vec<&str> = herald_protocol::ipc::BACKENDS
            .iter()
            .map(|b| b.name)
            .filter(|n| *n != crate::backend::HERALD)
            .collect();
        let built: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        assert_eq!(offered, built);
    }

    #[test]
    fn every_builtin_profile_loads() {
        for (name, _) in BUILTIN {
            let (p, _) = Profile::resolve(name).unwrap();
            let rules = p.socket.as_ref().map(|s| s.on.len()).unwrap_or(0)
                + p.room_socket.as_ref().map(|s| s.on.len()).unwrap_or(0);
            assert!(rules > 0, "{name} maps no frames");
        }
    }

    /// The as-is seed 004 profile with `edit` applied, parsed as a file; the error's text.
    fn asis_error(edit: impl Fn(String) -> String) -> String {
        let text = edit(include_str!("builtin/ecleaner-asis.toml").to_owned());
        match Profile::parse(&text, &Source::File("asis.toml".into())) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_profile_without_a_stream_socket_must_poll_at_least_every_second() {
        let no_poll = asis_error(|t| t.replace("poll_secs = 30\n", ""));
        assert!(no_poll.contains("key `socket`"), "{no_poll}");
        assert!(no_poll.contains("sync.poll_secs"), "{no_poll}");
        let zero = asis_error(|t| t.replace("poll_secs = 30", "poll_secs = 0"));
        assert!(zero.contains("key `sync.poll_secs`"), "{zero}");
        assert_eq!(asis_error(|t| t), "", "the built-in loads");
    }

    #[test]
    fn an_action_over_a_socket_the_profile_lacks_is_refused_with_its_key() {
        let via_socket = asis_error(|t| t.replacen("via = \"room_socket\"", "via = \"socket\"", 1));
        assert!(
            via_socket.contains("key `actions.send_message.via`"),
            "{via_socket}"
        );
        // without [room_socket] (and its rules) nothing can carry a room-socket action
        let start = include_str!("builtin/ecleaner-asis.toml")
            .find("[room_socket]")
            .unwrap();
        let end = include_str!("builtin/ecleaner-asis.toml")
            .find("[rest]")
            .unwrap();
        let no_room_socket = asis_error(|t| format!("{}{}", &t[..start], &t[end..]));
        assert!(no_room_socket.contains(".via`"), "{no_room_socket}");
        assert!(no_room_socket.contains("[room_socket]"), "{no_room_socket}");
    }

    #[test]
    fn a_room_socket_needs_a_plain_websocket_and_a_room_in_its_url() {
        let no_room = asis_error(|t| t.replace("/ws/job_chat/{room_id}/", "/ws/job_chat/"));
        assert!(no_room.contains("key `room_socket.url`"), "{no_room}");
        let socketio =
            asis_error(|t| t.replace("transport = \"websocket\"", "transport = \"socketio\""));
        assert!(socketio.contains("key `room_socket`"), "{socketio}");
    }

    #[test]
    fn a_typo_in_a_key_names_the_file_and_the_key() {
        let text = include_str!("builtin/artchive.toml").replace("discriminator", "discriminatr");
        let err = Profile::parse(&text, &Source::File("acme.toml".into())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("acme.toml:"), "{msg}");
        assert!(msg.contains("discriminatr"), "{msg}");
    }

    #[test]
    fn a_sign_in_needs_a_token_path_or_session_cookies_but_not_both() {
        let token = include_str!("builtin/artchive.toml").replace(
            "# A token pasted from the web app: its JWT names the user (`user_id` claim).\n[login.paste]\nuser_id = \"user_id\"\n",
            "",
        );
        let neither = token.replace("token = \"access\"\n", "");
        let err = Profile::parse(&neither, &Source::File("p.toml".into())).unwrap_err();
        assert!(err.to_string().contains("key `login.token`"), "{err}");
        let both = token.replace(
            "[socket]",
            "[login.session]\ncsrf_from = \"/api/auth/csrf/\"\n\n[socket]",
        );
        let err = Profile::parse(&both, &Source::File("p.toml".into())).unwrap_err();
        assert!(err.to_string().contains("key `login.session`"), "{err}");
        let session = neither.replace(
            "[socket]",
            "[login.session]\ncsrf_from = \"/api/auth/csrf/\"\n\n[socket]",
        );
        let p = Profile::parse(&session, &Source::File("p.toml".into())).unwrap();
        let s = p.login.session.expect("session sign-in");
        assert_eq!(
            (s.csrf_cookie.as_str(), s.csrf_header.as_str()),
            ("csrftoken", "X-CSRFToken")
        );
    }

    #[test]
    fn a_profile_for_a_sso_backend_signs_in_only_by_a_pasted_token() {
        let text = base_without_actions()
            .replace("path = \"/login\"\nbody = { u = \"{username}\", p = \"{password}\" }\ntoken = \"token\"\nuser_id = \"user.id\"\nuser_name = \"user.name\"\n", "[login.paste]\nuser_id = \"sub\"\n");
        let p = Profile::parse(&text, &Source::File("sso.toml".into())).unwrap();
        assert!(p.login.path.is_none());
        assert_eq!(p.login.paste.unwrap().user_id, "sub");
        // Neither a password sign-in nor a pasted token: the error says to write one
        let none = text.replace("[login.paste]\nuser_id = \"sub\"\n", "");
        let err = Profile::parse(&none, &Source::File("sso.toml".into())).unwrap_err();
        assert!(err.to_string().contains("key `login.path`"), "{err}");
    }

    #[test]
    fn an_action_without_frame_or_path_says_what_to_write() {
        let text = format!("{}\n[actions.typing]\nat = \"x\"\n", base_without_actions());
        let err = Profile::parse(&text, &Source::File("p.toml".into())).unwrap_err();
        assert_eq!(
            err,
            ProfileError::Invalid {
                file: "p.toml".into(),
                key: "actions.typing".into(),
                fix: "write frame = {…} (sent on the socket) or method = \"POST\" and path = \"/…\" (REST)".into()
            }
        );
    }

    #[test]
    fn a_rule_missing_a_field_path_is_refused_with_the_path_to_write() {
        let text = format!(
            "{}\n[[socket.on]]\nwhen = \"unread\"\ndo = \"room_unread\"\nroom_id = \"room\"\n",
            base_without_actions()
        );
        let err = Profile::parse(&text, &Source::File("p.toml".into())).unwrap_err();
        assert!(
            err.to_string().contains("socket.on[0].unread_count"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_backend_name_lists_the_builtin_ones() {
        let err = Profile::resolve("no-such-backend").unwrap_err();
        assert!(err.to_string().contains("ventree"), "{err}");
    }

    #[test]
    fn a_backend_without_snooze_or_mark_all_hides_or_emulates_them() {
        let (p, _) = Profile::resolve("ventree").unwrap();
        let f = p.features();
        assert!(!f.snooze && !f.archive && !f.chat);
        assert!(
            f.mark_all_notifications_read,
            "emulated by marking each unread one"
        );
    }

    fn base_without_actions() -> String {
        r#"
name = "p"
transport = "websocket"
[login]
path = "/login"
body = { u = "{username}", p = "{password}" }
token = "token"
user_id = "user.id"
user_name = "user.name"
[socket]
url = "/ws/?token={token}"
discriminator = "type"
"#
        .to_owned()
    }
}
