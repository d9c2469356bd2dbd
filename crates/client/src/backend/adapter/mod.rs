//! The adapter: a sans-IO translator between a backend that is not herald-server (Django
//! Channels, Socket.IO) and the engine, which only speaks Herald wire v1.
//!
//! The engine stays one: it sends `hello`, requests and typing frames, and receives
//! `welcome`, `snapshot`, ordered `event`s and `reply`s. The adapter turns the engine's frames
//! into the backend's socket frames or REST calls, and the backend's frames and REST answers
//! into wire frames, numbering events with a local `seq`. It never does IO and never reads the
//! clock: the driver feeds it socket text, REST answers and `now`, and executes its
//! [`AdapterOutput`]s (the driver still owns the one socket).
//!
//! These backends cannot replay, so on every (re)connect the adapter reads over REST what the
//! backend can return (`[sync]`) and merges it with what the engine holds, by id:
//! - a first sign-in (no stream position) gets a `snapshot` built from the REST answers;
//! - a reconnect resumes the engine's local stream (`recovered: true`) and the adapter sends,
//!   as ordinary events, everything the REST answers hold that the engine does not (new
//!   notifications, friend requests, rooms and the messages after each room's newest held
//!   one) plus what changed (read state, unread counts). The engine's persisted dedupe set
//!   then notifies each new item once and never repeats one, also across restarts.
//!
//! Live frames that arrive while that read is under way are held back and sent after it.

mod catchup;
mod inbound;
mod outbound;
mod room_sockets;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_room_sockets;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_protocol::wire::{
    Event, EventFrame, FriendRequest, FriendRequestStatus, Hello, Message, Notification,
    ServerFrame, User,
};
use herald_protocol::Timestamp;
use serde_json::Value;

use super::fields::{fill, Var};
use super::profile::{Profile, Transport};
use super::socketio;
use catchup::SyncRun;
use outbound::{PendingSend, Purpose};

/// What the engine holds when a socket opens: the adapter sends only what differs.
#[derive(Debug, Clone, Default)]
pub struct Held {
    /// Room id -> its newest message (id, time), if any.
    pub rooms: HashMap<String, Option<(String, Timestamp)>>,
    pub notifications: HashMap<String, Notification>,
    pub friend_requests: HashMap<String, FriendRequestStatus>,
}

/// A REST call for the driver to make.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// A REST answer (the body is `Null` when it was empty or not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Value,
}

/// What the adapter asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum AdapterOutput {
    /// Feed this frame to the engine.
    Engine(ServerFrame),
    /// Send this text on the backend socket.
    Send(String),
    /// Make this REST call and feed the answer to [`Adapter::http_answer`] with `id`.
    Http { id: u64, request: HttpRequest },
    /// Close the socket and tell the engine it closed with `code` (4001: sign in again).
    Close { code: Option<u16> },
    /// Ask the backend for a sign of life: a WebSocket ping, which every WebSocket server
    /// answers (RFC 6455). Call [`Adapter::heard`] when anything arrives.
    Probe,
    /// Open the room's own socket (`[room_socket]`) and report it with
    /// [`Adapter::room_socket_open`], [`Adapter::room_socket_text`] and
    /// [`Adapter::room_socket_closed`]. A room has at most one; an open one is never asked again.
    OpenRoomSocket {
        room_id: String,
        request: SocketRequest,
    },
    /// Send this text on the room's socket.
    SendRoom { room_id: String, text: String },
    /// Close the room's socket; it is forgotten (no close report is needed).
    CloseRoomSocket { room_id: String },
}

/// How to open the backend socket.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// Largest backend frame the adapter reads (1 MiB); bigger ones are skipped and logged.
pub const MAX_BACKEND_FRAME: usize = 1 << 20;

/// The adapter for one signed-in account. See the module docs.
#[derive(Debug)]
pub struct Adapter {
    pub(crate) profile: Arc<Profile>,
    /// `http(s)://host[:port]` of the backend.
    pub(crate) http_base: String,
    pub(crate) token: String,
    pub(crate) me: User,
    pub(crate) epoch: String,
    /// The transport is ready for frames (Socket.IO: connected to the namespace).
    pub(crate) ready: bool,
    pub(crate) hello: Option<Hello>,
    pub(crate) sync: Option<SyncRun>,
    /// Events are numbered and sent; before that they are held in `held_back`.
    pub(crate) live: bool,
    pub(crate) seq: u64,
    pub(crate) held_back: Vec<Event>,
    pub(crate) held: Held,
    pub(crate) pending_sends: Vec<PendingSend>,
    pub(crate) requests: HashMap<u64, Purpose>,
    pub(crate) next_http: u64,
    pub(crate) out: VecDeque<AdapterOutput>,
    pub(crate) warned: HashSet<String>,
    pub(crate) heartbeat_at: Option<Instant>,
    /// Emulated mark-all groups: group -> (engine request, calls left, any failed).
    pub(crate) each_waiting: HashMap<String, (String, u32, bool)>,
    /// The engine's liveness pings, answered only once the backend is heard again: a
    /// half-open socket must look dead to the engine, not be answered by the adapter itself.
    pub(crate) pending_pings: Vec<String>,
    /// How often the socket is probed with a WebSocket ping; the engine declares it dead after
    /// its ping interval + grace without hearing anything, and many backends never ping.
    pub(crate) probe_every: Duration,
    pub(crate) probe_at: Option<Instant>,
    /// The next `[sync]` poll (`sync.poll_secs`).
    pub(crate) poll_at: Option<Instant>,
    /// Rooms as last told to the engine: a poll sends only the ones that changed.
    pub(crate) rooms_seen: HashMap<String, herald_protocol::wire::Room>,
    /// The room open on screen (the only one whose room socket stays open without a send).
    pub(crate) active_room: Option<String>,
    pub(crate) room_sockets: HashMap<String, room_sockets::RoomSock>,
}

impl Adapter {
    /// An adapter for `me`, signed in to `server_url` with `token`.
    pub fn new(profile: Arc<Profile>, server_url: &str, token: String, me: User) -> Self {
        let epoch = format!("{}:{}", profile.name, me.id);
        Self {
            profile,
            http_base: crate::login::http_base(server_url),
            token,
            me,
            epoch,
            ready: false,
            hello: None,
            sync: None,
            live: false,
            seq: 0,
            held_back: Vec::new(),
            held: Held::default(),
            pending_sends: Vec::new(),
            requests: HashMap::new(),
            next_http: 0,
            out: VecDeque::new(),
            warned: HashSet::new(),
            heartbeat_at: None,
            each_waiting: HashMap::new(),
            pending_pings: Vec::new(),
            probe_every: Duration::from_secs(herald_protocol::wire::DEFAULT_PING_INTERVAL_SECS),
            probe_at: None,
            poll_at: None,
            rooms_seen: HashMap::new(),
            active_room: None,
            room_sockets: HashMap::new(),
        }
    }

    /// Probe the socket this often (the engine's ping interval).
    pub fn with_probe_every(mut self, every: Duration) -> Self {
        self.probe_every = every.max(Duration::from_millis(100));
        self
    }

    /// The local stream's epoch: one per (profile, user), so a reconnect resumes it.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The stream socket to open: URL and headers with the token placed where the profile
    /// says. `None`: the profile has no stream socket; its stream is the `[sync]` poll.
    pub fn socket_request(&self) -> Option<SocketRequest> {
        let s = self.profile.socket.as_ref()?;
        let mut url = self.fill(&s.url);
        if self.profile.transport == Transport::Socketio && !url.contains("EIO=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{}", socketio::QUERY);
        }
        let headers = s
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), self.fill(v)))
            .collect();
        Some(self.socket_at(&url, s.origin.as_deref(), headers))
    }

    /// Whether the profile has a stream socket (else the `[sync]` poll is the stream).
    pub fn has_stream_socket(&self) -> bool {
        self.profile.socket.is_some()
    }

    /// A socket request for `url` (relative to the server, or absolute) with `Origin` (the
    /// server's own unless the profile names one).
    pub(crate) fn socket_at(
        &self,
        url: &str,
        origin: Option<&str>,
        mut headers: Vec<(String, String)>,
    ) -> SocketRequest {
        let mut url = url.to_owned();
        if !url.contains("://") {
            let ws = crate::login::ws_url(&self.http_base);
            let base = ws.trim_end_matches("/ws");
            url = format!("{base}{url}");
        }
        let origin = origin
            .map(|o| self.fill(o))
            .unwrap_or_else(|| self.http_base.clone());
        headers.push(("Origin".to_owned(), origin));
        SocketRequest { url, headers }
    }

    /// A new socket opened: forget the previous connection's state, keep what the engine holds.
    pub fn socket_open(&mut self, now: Instant, held: Held) {
        // Without a stream socket there is no handshake to wait for: the poll is the stream.
        self.ready =
            self.profile.transport == Transport::Websocket || self.profile.socket.is_none();
        self.hello = None;
        self.sync = None;
        self.live = false;
        self.held_back.clear();
        self.held = held;
        // Requests of the previous socket were answered by the engine's own reconnect logic
        // (it resends unconfirmed messages and queued operations); their answers are dropped.
        self.requests.clear();
        self.pending_sends.clear();
        self.each_waiting.clear();
        self.pending_pings.clear();
        self.close_room_sockets();
        // Nothing to probe without a socket: a failed poll is what closes that stream.
        self.probe_at = self
            .profile
            .socket
            .is_some()
            .then(|| now + self.probe_every);
        self.poll_at = self.poll_every().map(|every| now + every);
        self.schedule_heartbeat(now);
    }

    /// `sync.poll_secs` as a duration.
    fn poll_every(&self) -> Option<Duration> {
        self.profile.sync.poll_secs.map(Duration::from_secs)
    }

    /// The socket closed.
    pub fn socket_closed(&mut self) {
        self.ready = false;
        self.live = false;
        self.sync = None;
        self.heartbeat_at = None;
        self.requests.clear();
        self.pending_sends.clear();
        self.pending_pings.clear();
        self.probe_at = None;
        self.poll_at = None;
        self.close_room_sockets();
    }

    /// The backend sent something (a frame, a WebSocket ping or pong): it is alive, so the
    /// engine's pings are answered.
    pub fn heard(&mut self) {
        for id in std::mem::take(&mut self.pending_pings) {
            self.reply_ok(&id, &herald_protocol::wire::Empty {});
        }
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<AdapterOutput> {
        self.out.pop_front()
    }

    /// When [`Adapter::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.heartbeat_at,
            self.probe_at,
            self.poll_at,
            self.next_room_retry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Time passed: send the heartbeat and the liveness probe, poll, retry room sockets.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let (Some(at), Some(every)) = (self.poll_at, self.poll_every()) {
            if now >= at {
                self.poll_at = Some(now + every);
                self.start_poll();
            }
        }
        self.room_retries_due(now);
        if let Some(at) = self.probe_at {
            if now >= at {
                self.out.push_back(AdapterOutput::Probe);
                self.probe_at = Some(now + self.probe_every);
            }
        }
        let heartbeat = self
            .profile
            .socket
            .as_ref()
            .and_then(|s| s.heartbeat.as_ref());
        if let (Some(at), Some(hb)) = (self.heartbeat_at, heartbeat) {
            if now >= at && self.ready {
                let frame = self.render(&hb.frame, &|_| None);
                self.send_frame(None, &frame);
                self.schedule_heartbeat(now);
            }
        }
    }

    fn schedule_heartbeat(&mut self, now: Instant) {
        self.heartbeat_at = self
            .profile
            .socket
            .as_ref()
            .and_then(|s| s.heartbeat.as_ref())
            .map(|hb| now + Duration::from_secs(hb.every_secs.max(1)));
    }

    /// Fills a URL or header template with the session's variables.
    pub(crate) fn fill(&self, template: &str) -> String {
        fill(template, |name| self.session_var(name))
    }

    pub(crate) fn session_var(&self, name: &str) -> Option<String> {
        match name {
            "token" => Some(self.token.clone()),
            "user_id" => Some(self.me.id.clone()),
            "user_name" => Some(self.me.name.clone()),
            "server" => Some(self.http_base.clone()),
            // A session sign-in's CSRF cookie, for the `X-CSRFToken` header of REST writes.
            "csrf" => self.profile.login.session.as_ref().and_then(|s| {
                super::http::CookieJar::parse(&self.token)
                    .get(&s.csrf_cookie)
                    .map(str::to_owned)
            }),
            _ => None,
        }
    }

    /// Renders a frame/body template: request variables first, then the session's.
    pub(crate) fn render(
        &self,
        template: &toml::Value,
        vars: &dyn Fn(&str) -> Option<Var>,
    ) -> Value {
        super::fields::render(template, &|name| {
            vars(name).or_else(|| self.session_var(name).map(Var::Text))
        })
    }

    /// Sends a frame on the socket (Socket.IO: as `event`, default "message").
    pub(crate) fn send_frame(&mut self, event: Option<&str>, frame: &Value) {
        let text = match self.profile.transport {
            Transport::Websocket => frame.to_string(),
            Transport::Socketio => socketio::event(event.unwrap_or("message"), frame),
        };
        self.out.push_back(AdapterOutput::Send(text));
    }

    /// Queues an event for the engine: numbered now when live, held back while syncing.
    pub(crate) fn emit(&mut self, event: Event) {
        self.note(&event);
        if self.live {
            self.seq += 1;
            self.out
                .push_back(AdapterOutput::Engine(ServerFrame::Event(EventFrame {
                    seq: self.seq,
                    event,
                })));
        } else {
            self.held_back.push(event);
        }
    }

    /// Keeps `held` current with what the engine is about to hold.
    pub(crate) fn note(&mut self, event: &Event) {
        match event {
            Event::MessageCreated { message } => {
                let head = self.held.rooms.entry(message.room_id.clone()).or_default();
                if head
                    .as_ref()
                    .map(|(_, t)| message.created_at >= *t)
                    .unwrap_or(true)
                {
                    *head = Some((message.id.clone(), message.created_at));
                }
            }
            Event::RoomCreated { room } | Event::RoomUpdated { room } => {
                self.rooms_seen.insert(room.id.clone(), room.clone());
                let head = self.held.rooms.entry(room.id.clone()).or_default();
                if let Some(m) = &room.last_message {
                    if head
                        .as_ref()
                        .map(|(_, t)| m.created_at >= *t)
                        .unwrap_or(true)
                    {
                        *head = Some((m.id.clone(), m.created_at));
                    }
                }
            }
            Event::NotificationCreated { notification }
            | Event::NotificationUpdated { notification } => {
                self.held
                    .notifications
                    .insert(notification.id.clone(), notification.clone());
            }
            Event::NotificationsReadAll {} => {
                for n in self.held.notifications.values_mut() {
                    n.read = true;
                }
            }
            Event::FriendRequestCreated { request } | Event::FriendRequestUpdated { request } => {
                self.held
                    .friend_requests
                    .insert(request.id.clone(), request.status);
            }
            Event::RoomRead(_) | Event::Unknown => {}
        }
    }

    /// Logs a problem with the backend's data once per kind, with what was expected.
    pub(crate) fn warn_once(&mut self, kind: String, detail: &str) {
        if self.warned.len() < 1024 && self.warned.insert(kind.clone()) {
            tracing::warn!(backend = %self.profile.name, kind = %kind, "{detail}; skipped (logged once per kind)");
        }
    }

    pub(crate) fn http(&mut self, purpose: Purpose, request: HttpRequest) {
        self.next_http += 1;
        let id = self.next_http;
        self.requests.insert(id, purpose);
        self.out.push_back(AdapterOutput::Http { id, request });
    }

    /// A REST request with the profile's headers.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> HttpRequest {
        let mut url = if path.contains("://") {
            path.to_owned()
        } else {
            format!("{}{}", self.http_base, path)
        };
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{}", q.join("&"));
        }
        let headers = self
            .profile
            .rest
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), self.fill(v)))
            .collect();
        HttpRequest {
            method: method.to_owned(),
            url,
            headers,
            body,
        }
    }

    /// The held friend request's status, if any.
    pub(crate) fn friend_request_known(&self, r: &FriendRequest) -> Option<FriendRequestStatus> {
        self.held.friend_requests.get(&r.id).copied()
    }

    /// Whether `m` is the signed-in user's own message.
    pub(crate) fn own(&self, m: &Message) -> bool {
        m.sender.id == self.me.id
    }
}

/// Percent-encodes a query component.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
