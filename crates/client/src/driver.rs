//! The driver: the only socket code. It owns the engine and the store in one tokio task, feeds
//! the engine frames, timers and commands, and executes its outputs (open/close sockets, send
//! frames, commit store changes, hand UI batches and native-notification requests out).
//!
//! Frames that arrive together are fed to the engine together before its outputs are drained,
//! so a burst becomes one store transaction and one UI batch. Each socket lives in its own task
//! tagged with a generation number; events from an abandoned socket are ignored.

use std::collections::HashMap;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use herald_protocol::ipc::{BackendView, ConnStatus};
use herald_protocol::ipc::{
    DisconnectReason, EngineCommand, ErrorCode, SessionCommand, UiError, UiEventBatch, UiReply,
};
use herald_protocol::wire::{LoginResponse, Notification, Page, StreamPosition};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, AUTHORIZATION};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::backend::{self, Adapter, AdapterOutput, Held, Profile, SocketRequest};
use crate::engine::policy::NativeNotification;
use crate::engine::{Engine, EngineConfig, Now, Output};
use crate::login;
use crate::store::{Store, StoreError, StoredSession};

/// How the client starts.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// The token of the stored session (from the keyring / token file). Without one the client
    /// paints the cache and waits for a login.
    pub token: Option<String>,
    pub engine: EngineConfig,
    /// Messages per room loaded from the store at start.
    pub recent_messages: usize,
    /// Told every token the server renews (the shell keeps it in the keyring, so the next
    /// start signs in with it); the driver itself connects with it from then on.
    pub on_token_renewed: Option<TokenSink>,
}

/// A callback for renewed tokens; called on the driver's task, so it must not block long.
#[derive(Clone)]
pub struct TokenSink(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for TokenSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSink")
    }
}

/// Why the client could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be read.
    #[error("could not read the local store: {0}")]
    Store(#[from] StoreError),
}

/// What the engine looks like right now (tests, the CLI, diagnostics).
#[derive(Debug, Clone, PartialEq)]
pub struct DebugState {
    pub status: ConnStatus,
    pub live: bool,
    pub applied: Option<StreamPosition>,
    pub durable: Option<StreamPosition>,
    pub outbox: usize,
    pub ui_batches: u64,
}

enum Input {
    Command(EngineCommand, oneshot::Sender<Result<UiReply, UiError>>),
    SignedIn(StoredSession, String),
    Logout,
    Focus(bool),
    Reconnect(DisconnectReason),
    Debug(oneshot::Sender<DebugState>),
    Shutdown(oneshot::Sender<Result<(), UiError>>),
}

/// The answer of a REST read the driver started for the engine or the adapter.
enum HttpAnswer {
    Notifications(u64, Result<Page<Notification>, UiError>),
    Backend(u64, Result<backend::HttpAnswer, String>),
}

/// What the driver hands the socket task to send.
enum Outgoing {
    Text(String),
    /// A WebSocket ping (the adapter's liveness probe of a backend).
    Probe,
}

enum SockEvent {
    Open,
    Text(String),
    Heard,
    Closed(Option<u16>),
}

/// The desktop shell's handle: cheap to clone, every method is async and never blocks on the
/// network (except `login`, which is the HTTP call).
#[derive(Debug, Clone)]
pub struct ClientHandle {
    tx: mpsc::UnboundedSender<Input>,
}

fn stopped() -> UiError {
    UiError::new(
        ErrorCode::Internal,
        "The client has stopped; restart the app.",
    )
}

impl ClientHandle {
    /// Sends an engine command; answered at once from the engine's state.
    pub async fn command(&self, cmd: EngineCommand) -> Result<UiReply, UiError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Input::Command(cmd, tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Answers a session command: sign in (password or pasted token), sign out, or guess a
    /// server's backend. The token of a sign-in through this path is not returned: use
    /// [`ClientHandle::login`] to keep it.
    pub async fn session(&self, cmd: SessionCommand) -> Result<UiReply, UiError> {
        match cmd {
            SessionCommand::Login {
                server_url,
                username,
                password,
                backend,
                token,
                allow_cleartext,
            } => match login::check_cleartext(&server_url, allow_cleartext).map(|()| token)? {
                Some(token) => {
                    self.login_with_token(&server_url, backend.as_deref(), &token)
                        .await
                }
                None => {
                    self.login_to(&server_url, backend.as_deref(), &username, &password)
                        .await
                }
            }
            .map(|_| UiReply::Ack),
            SessionCommand::Logout => {
                self.tx.send(Input::Logout).map_err(|_| stopped())?;
                Ok(UiReply::Ack)
            }
            SessionCommand::DetectBackend { server_url } => Ok(UiReply::DetectedBackends {
                names: backend::detect::detect(&server_url).await,
            }),
        }
    }

    /// Signs in to herald-server over HTTP, then connects. Returns the token for the shell
    /// to keep (keyring).
    pub async fn login(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, UiError> {
        self.login_to(server_url, None, username, password).await
    }

    /// Signs in to herald-server (`backend` `None` or `"herald"`) or to a backend described
    /// by a profile (a built-in name or a profile file), then connects.
    pub async fn login_to(
        &self,
        server_url: &str,
        backend: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, UiError> {
        let backend = backend.filter(|b| !b.is_empty() && *b != backend::HERALD);
        let resp = match backend {
            None => login::login(server_url, username, password).await?,
            Some(b) => {
                let (profile, _) = Profile::resolve(b)
                    .map_err(|e| UiError::new(ErrorCode::InvalidInput, e.to_string()))?;
                backend::http::login(&profile, server_url, username, password).await?
            }
        };
        self.use_backend_session(
            server_url,
            backend.map(str::to_owned),
            resp.user.clone(),
            resp.token.clone(),
        )?;
        Ok(resp)
    }

    /// Signs in to a profile backend with a token the person pasted (`[login.paste]`), then
    /// connects. herald-server tokens come from its sign-in only.
    pub async fn login_with_token(
        &self,
        server_url: &str,
        backend: Option<&str>,
        token: &str,
    ) -> Result<LoginResponse, UiError> {
        let Some(backend) = backend.filter(|b| !b.is_empty() && *b != backend::HERALD) else {
            return Err(UiError::new(
                ErrorCode::InvalidInput,
                "Herald servers are signed in to with a password; choose the backend the token is from.",
            ));
        };
        let (profile, _) = Profile::resolve(backend)
            .map_err(|e| UiError::new(ErrorCode::InvalidInput, e.to_string()))?;
        let resp = backend::http::login_with_token(&profile, server_url, token).await?;
        self.use_backend_session(
            server_url,
            Some(backend.to_owned()),
            resp.user.clone(),
            resp.token.clone(),
        )?;
        Ok(resp)
    }

    /// Uses an existing token (e.g. from the keyring, or a test) for `server_url` and `user`.
    pub fn use_session(
        &self,
        server_url: &str,
        user: herald_protocol::wire::User,
        token: String,
    ) -> Result<(), UiError> {
        self.use_backend_session(server_url, None, user, token)
    }

    /// [`ClientHandle::use_session`] for a backend profile (`None`: herald-server).
    pub fn use_backend_session(
        &self,
        server_url: &str,
        backend: Option<String>,
        user: herald_protocol::wire::User,
        token: String,
    ) -> Result<(), UiError> {
        let session = StoredSession {
            server_url: server_url.to_owned(),
            user,
            backend,
        };
        self.tx
            .send(Input::SignedIn(session, token))
            .map_err(|_| stopped())
    }

    /// The window gained or lost focus.
    pub fn set_focus(&self, focused: bool) {
        let _ = self.tx.send(Input::Focus(focused));
    }

    /// Opens a room (the active room) — the same as `EngineCommand::OpenRoom`.
    pub async fn set_active_room(&self, room_id: Option<String>) -> Result<UiReply, UiError> {
        match room_id {
            Some(room_id) => self.command(EngineCommand::OpenRoom { room_id }).await,
            None => self.command(EngineCommand::CloseRoom).await,
        }
    }

    /// The OS resumed from sleep: reconnect now.
    pub fn os_resumed(&self) {
        let _ = self.tx.send(Input::Reconnect(DisconnectReason::Resumed));
    }

    /// The network changed (interface up/down): reconnect now.
    pub fn network_changed(&self) {
        let _ = self
            .tx
            .send(Input::Reconnect(DisconnectReason::TransportClosed));
    }

    pub async fn debug_state(&self) -> Result<DebugState, UiError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Input::Debug(tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Commits pending changes, flushes the store, closes the socket and stops the task.
    pub async fn shutdown(&self) -> Result<(), UiError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Input::Shutdown(tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// Starts clients. See [`Client::start`].
#[derive(Debug)]
pub struct Client;

/// The receivers a started client hands back.
pub type Started = (
    ClientHandle,
    mpsc::UnboundedReceiver<UiEventBatch>,
    mpsc::UnboundedReceiver<NativeNotification>,
);

impl Client {
    /// Starts the client task on the current tokio runtime: paints the cache (the first UI
    /// batch is a `Reset`), then connects if the store has a session and `config.token` is set.
    pub fn start<S: Store + 'static>(
        config: ClientConfig,
        store: S,
    ) -> Result<Started, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let recent = if config.recent_messages == 0 {
            50
        } else {
            config.recent_messages
        };
        let stored = store.load(recent)?;
        let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
        let clock = Clock { offset };
        let mut engine = Engine::new(seeded_from_os(config.engine.clone()), stored, clock.now());
        let (tx, rx) = mpsc::unbounded_channel();
        let (ui_tx, ui_rx) = mpsc::unbounded_channel();
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        if config.token.is_some() && engine.session().is_some() {
            engine.start(clock.now());
        }
        let mut driver = Driver {
            engine,
            store: Box::new(store),
            token: config.token,
            on_token_renewed: config.on_token_renewed,
            clock,
            ui_tx,
            notify_tx,
            socket: None,
            generation: 0,
            adapter: None,
            room_sockets: RoomSockets::new(),
        };
        driver.choose_adapter();
        tokio::spawn(driver.run(rx));
        Ok((ClientHandle { tx }, ui_rx, notify_rx))
    }
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    offset: time::UtcOffset,
}

impl Clock {
    fn now(&self) -> Now {
        Now {
            mono: Instant::now(),
            wall: time::OffsetDateTime::now_utc().to_offset(self.offset),
        }
    }
}

struct Socket {
    out: mpsc::UnboundedSender<Outgoing>,
    task: JoinHandle<()>,
}

struct Driver {
    engine: Engine,
    store: Box<dyn Store>,
    token: Option<String>,
    on_token_renewed: Option<TokenSink>,
    clock: Clock,
    ui_tx: mpsc::UnboundedSender<UiEventBatch>,
    notify_tx: mpsc::UnboundedSender<NativeNotification>,
    socket: Option<Socket>,
    generation: u64,
    /// The translator for a backend that is not herald-server (from the session's profile).
    adapter: Option<Adapter>,
    /// The adapter's per-room sockets (`[room_socket]` profiles), each its own task.
    room_sockets: RoomSockets,
}

/// The per-room sockets the adapter asked for: room id -> (generation, socket). Events come
/// back on one channel tagged with the generation, so a late event of a replaced socket is
/// dropped.
struct RoomSockets {
    open: HashMap<String, (u64, Socket)>,
    rooms: HashMap<u64, String>,
    next: u64,
    tx: mpsc::UnboundedSender<(u64, SockEvent)>,
    rx: Option<mpsc::UnboundedReceiver<(u64, SockEvent)>>,
}

impl RoomSockets {
    fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            open: HashMap::new(),
            rooms: HashMap::new(),
            next: 0,
            tx,
            rx: Some(rx),
        }
    }

    fn open(&mut self, room_id: String, request: SocketRequest) {
        self.close(&room_id);
        self.next += 1;
        let gen = self.next;
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let events = self.tx.clone();
        let task = tokio::spawn(socket_task(gen, request, true, events, out_rx));
        self.rooms.insert(gen, room_id.clone());
        self.open
            .insert(room_id, (gen, Socket { out: out_tx, task }));
    }

    fn send(&self, room_id: &str, text: String) {
        if let Some((_, s)) = self.open.get(room_id) {
            let _ = s.out.send(Outgoing::Text(text));
        }
    }

    fn close(&mut self, room_id: &str) {
        if let Some((gen, s)) = self.open.remove(room_id) {
            self.rooms.remove(&gen);
            stop_socket(s);
        }
    }

    fn close_all(&mut self) {
        let ids: Vec<String> = self.open.keys().cloned().collect();
        for id in ids {
            self.close(&id);
        }
    }

    /// The room of a current socket's event; `None` for a replaced or closed one. A closed
    /// event also forgets the socket.
    fn room_of(&mut self, gen: u64, ev: &SockEvent) -> Option<String> {
        let room = self.rooms.get(&gen).cloned()?;
        if matches!(ev, SockEvent::Closed(_)) {
            self.rooms.remove(&gen);
            self.open.remove(&room);
        }
        Some(room)
    }
}

/// Largest number of socket events fed to the engine before its outputs are drained.
const MAX_BATCH: usize = 4096;

impl Driver {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Input>) {
        let (sock_tx, mut sock_rx) = mpsc::unbounded_channel::<(u64, SockEvent)>();
        let Some(mut room_rx) = self.room_sockets.rx.take() else {
            return;
        };
        let (http_tx, mut http_rx) = mpsc::unbounded_channel::<HttpAnswer>();
        loop {
            self.drain(&sock_tx, &http_tx);
            let deadline = match (
                self.engine.poll_timeout(),
                self.adapter.as_ref().and_then(Adapter::poll_timeout),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = rx.recv() => {
                    let Some(input) = input else { break };
                    if let Some(done) = self.handle_input(input) {
                        self.drain(&sock_tx, &http_tx);
                        let result = self.store.flush().map_err(|e| UiError::new(ErrorCode::Storage, e.to_string()));
                        self.close_socket();
                        self.room_sockets.close_all();
                        let _ = done.send(result);
                        break;
                    }
                }
                ev = sock_rx.recv() => {
                    let Some((gen, ev)) = ev else { break };
                    let now = self.clock.now();
                    self.handle_sock(now, gen, ev);
                    let mut n = 1;
                    while n < MAX_BATCH {
                        match sock_rx.try_recv() {
                            Ok((gen, ev)) => self.handle_sock(now, gen, ev),
                            Err(_) => break,
                        }
                        n += 1;
                    }
                }
                Some((gen, ev)) = room_rx.recv() => {
                    let now = self.clock.now();
                    self.handle_room_sock(now, gen, ev);
                }
                Some(answer) = http_rx.recv() => {
                    let now = self.clock.now();
                    match answer {
                        HttpAnswer::Notifications(request, result) => {
                            self.engine.notifications_page(now, request, result)
                        }
                        HttpAnswer::Backend(id, result) => {
                            if let Some(a) = self.adapter.as_mut() {
                                a.http_answer(now.wall, id, result);
                            }
                        }
                    }
                }
                _ = sleep => {
                    let now = self.clock.now();
                    if let Some(a) = self.adapter.as_mut() {
                        a.handle_timeout(now.mono);
                    }
                    self.engine.handle_timeout(now);
                }
            }
        }
        self.close_socket();
    }

    fn handle_room_sock(&mut self, now: Now, gen: u64, ev: SockEvent) {
        let Some(room) = self.room_sockets.room_of(gen, &ev) else {
            return;
        };
        let Some(a) = self.adapter.as_mut() else {
            return;
        };
        match ev {
            SockEvent::Open => a.room_socket_open(&room),
            SockEvent::Text(t) => a.room_socket_text(now.wall, &room, &t),
            SockEvent::Heard => {}
            SockEvent::Closed(_) => a.room_socket_closed(now.mono, &room),
        }
    }

    /// Returns the shutdown reply channel when asked to stop.
    fn handle_input(&mut self, input: Input) -> Option<oneshot::Sender<Result<(), UiError>>> {
        let now = self.clock.now();
        match input {
            Input::Command(cmd, reply) => {
                let _ = reply.send(self.engine.handle_command(now, cmd));
            }
            Input::SignedIn(session, token) => {
                self.token = Some(token);
                self.engine.sign_in(now, session);
                self.choose_adapter();
            }
            Input::Logout => {
                self.token = None;
                self.adapter = None;
                self.room_sockets.close_all();
                self.engine.sign_out(now);
            }
            Input::Focus(f) => self.engine.set_focus(now, f),
            Input::Reconnect(reason) => self.engine.reconnect_now(now, reason),
            Input::Debug(reply) => {
                let (applied, durable) = self.engine.position();
                let _ = reply.send(DebugState {
                    status: self.engine.status(),
                    live: self.engine.is_live(),
                    applied: applied.cloned(),
                    durable: durable.cloned(),
                    outbox: self.engine.outbox_len(),
                    ui_batches: self.engine.ui_batches(),
                });
            }
            Input::Shutdown(done) => return Some(done),
        }
        None
    }

    /// Runs a REST read off the driver's task; the answer comes back on `http_tx`.
    fn fetch_notifications(
        &self,
        http_tx: &mpsc::UnboundedSender<HttpAnswer>,
        request: u64,
        before: Option<String>,
        limit: u32,
    ) {
        let answer = http_tx.clone();
        if self.adapter.is_some() {
            // A profile backend's notifications come from its own REST read on connect; it
            // has no paging Herald can rely on, so the page ends here.
            let page = Page {
                items: Vec::new(),
                has_more: false,
            };
            let _ = answer.send(HttpAnswer::Notifications(request, Ok(page)));
            return;
        }
        let server = self.engine.session().map(|s| s.server_url.clone());
        let token = self.token.clone();
        tokio::spawn(async move {
            let result = match (server, token) {
                (Some(server), Some(token)) => {
                    crate::rest::notifications_page(&server, &token, before.as_deref(), limit).await
                }
                _ => Err(UiError::new(
                    ErrorCode::NotSignedIn,
                    "Sign in to load older notifications.",
                )),
            };
            let _ = answer.send(HttpAnswer::Notifications(request, result));
        });
    }

    fn handle_sock(&mut self, now: Now, gen: u64, ev: SockEvent) {
        if gen != self.generation || self.socket.is_none() {
            return;
        }
        match (ev, self.adapter.as_mut()) {
            (SockEvent::Open, Some(a)) => {
                a.socket_open(now.mono, held(&self.engine));
                self.engine.transport_open(now);
            }
            (SockEvent::Open, None) => self.engine.transport_open(now),
            (SockEvent::Text(t), Some(a)) => {
                // Liveness counts every frame the backend sends, whatever it becomes.
                self.engine.heard(now);
                a.socket_text(now.wall, &t);
            }
            (SockEvent::Text(t), None) => self.engine.handle_text(now, &t),
            (SockEvent::Heard, a) => {
                self.engine.heard(now);
                if let Some(a) = a {
                    a.heard();
                }
            }
            (SockEvent::Closed(code), a) => {
                if let Some(a) = a {
                    a.socket_closed();
                }
                self.socket = None;
                self.engine.transport_closed(now, code);
            }
        }
    }

    /// Builds the adapter the session's backend needs (none for herald-server). A profile
    /// that no longer loads (a moved file) signs the person out with the reason logged, so
    /// the sign-in form shows; Herald never talks Herald wire v1 to a foreign backend.
    fn choose_adapter(&mut self) {
        self.adapter = None;
        self.room_sockets.close_all();
        let Some(session) = self.engine.session().cloned() else {
            self.engine.set_backend(BackendView::default());
            return;
        };
        let Some(name) = session.backend.as_deref() else {
            self.engine.set_backend(BackendView::default());
            return;
        };
        let token = self.token.clone().unwrap_or_default();
        match Profile::resolve(name) {
            Ok((profile, _)) => {
                self.engine.set_backend(profile.view());
                self.adapter = Some(
                    Adapter::new(
                        std::sync::Arc::new(profile),
                        &session.server_url,
                        token,
                        session.user.clone(),
                    )
                    .with_probe_every(self.engine.config().connection.ping_interval),
                );
            }
            Err(e) => {
                // Without a token the socket "closes" as unauthorized: the sign-in form shows.
                tracing::error!(error = %e, "the session's backend profile does not load; sign in again");
                self.token = None;
            }
        }
    }

    /// Feeds what the adapter produced to the engine, the socket and the REST executor.
    /// Returns whether it produced anything.
    fn drain_adapter(&mut self, http_tx: &mpsc::UnboundedSender<HttpAnswer>) -> bool {
        let mut any = false;
        // The room open on screen decides which room sockets the adapter keeps.
        let active = self.engine.active_room().map(str::to_owned);
        if let Some(a) = self.adapter.as_mut() {
            a.set_active_room(active);
        }
        loop {
            let Some(out) = self.adapter.as_mut().and_then(Adapter::poll_output) else {
                return any;
            };
            any = true;
            let now = self.clock.now();
            match out {
                // Every frame counts as heard; a polled stream (no socket) stays alive by the
                // adapter's answers to the engine's heartbeat, and a failed poll closes it.
                AdapterOutput::Engine(frame) => self.engine.handle_frame(now, frame),
                AdapterOutput::Send(text) => {
                    if let Some(s) = &self.socket {
                        let _ = s.out.send(Outgoing::Text(text));
                    }
                }
                AdapterOutput::Probe => {
                    if let Some(s) = &self.socket {
                        let _ = s.out.send(Outgoing::Probe);
                    }
                }
                AdapterOutput::Http { id, request } => {
                    let answer = http_tx.clone();
                    tokio::spawn(async move {
                        let result = backend::http::execute(request).await;
                        let _ = answer.send(HttpAnswer::Backend(id, result));
                    });
                }
                AdapterOutput::OpenRoomSocket { room_id, request } => {
                    self.room_sockets.open(room_id, request)
                }
                AdapterOutput::SendRoom { room_id, text } => self.room_sockets.send(&room_id, text),
                AdapterOutput::CloseRoomSocket { room_id } => self.room_sockets.close(&room_id),
                AdapterOutput::Close { code } => {
                    self.close_socket();
                    // Later events of this socket are ignored (its generation is over).
                    self.generation += 1;
                    if let Some(a) = self.adapter.as_mut() {
                        a.socket_closed();
                    }
                    self.engine.transport_closed(now, code);
                }
            }
        }
    }

    fn drain(
        &mut self,
        sock_tx: &mpsc::UnboundedSender<(u64, SockEvent)>,
        http_tx: &mpsc::UnboundedSender<HttpAnswer>,
    ) {
        loop {
            self.drain_engine(sock_tx, http_tx);
            if !self.drain_adapter(http_tx) {
                return;
            }
        }
    }

    fn drain_engine(
        &mut self,
        sock_tx: &mpsc::UnboundedSender<(u64, SockEvent)>,
        http_tx: &mpsc::UnboundedSender<HttpAnswer>,
    ) {
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::Open { .. } => self.open_socket(sock_tx),
                Output::Close { .. } => self.close_socket(),
                Output::Send(frame) if self.adapter.is_some() => {
                    let now = self.clock.now();
                    if let Some(a) = self.adapter.as_mut() {
                        a.client_frame(now.wall, frame);
                    }
                }
                Output::Send(frame) => {
                    if let Some(s) = &self.socket {
                        match serde_json::to_string(&frame) {
                            Ok(text) => {
                                let _ = s.out.send(Outgoing::Text(text));
                            }
                            Err(e) => tracing::error!(error = %e, "frame did not serialize"),
                        }
                    }
                }
                Output::Persist(changes) => match self.store.apply(&changes) {
                    Ok(()) => self.engine.persisted(&changes),
                    Err(e) => {
                        let now = self.clock.now();
                        self.engine.persist_failed(now, *changes, &e.to_string())
                    }
                },
                Output::LoadCached {
                    room_id,
                    before,
                    limit,
                } => {
                    let page = self.store.messages_before(
                        &room_id,
                        before.as_ref().map(|(t, id)| (*t, id.as_str())),
                        limit as usize,
                    );
                    let now = self.clock.now();
                    match page {
                        Ok(page) => self.engine.cached_page(now, &room_id, page, limit),
                        Err(e) => {
                            self.engine
                                .cached_page_failed(now, &room_id, limit, &e.to_string())
                        }
                    }
                }
                Output::FetchNotifications {
                    request,
                    before,
                    limit,
                } => self.fetch_notifications(http_tx, request, before, limit),
                Output::Ui(batch) => {
                    let _ = self.ui_tx.send(batch);
                }
                Output::Notify(n) => {
                    let _ = self.notify_tx.send(n);
                }
                Output::TokenRenewed { token, expires_at } => {
                    tracing::info!(%expires_at, "the server renewed the session's token");
                    if let Some(sink) = &self.on_token_renewed {
                        (sink.0)(&token);
                    }
                    self.token = Some(token);
                }
            }
        }
    }

    fn open_socket(&mut self, sock_tx: &mpsc::UnboundedSender<(u64, SockEvent)>) {
        self.close_socket();
        self.generation += 1;
        let gen = self.generation;
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let request = match (&self.adapter, self.engine.session(), self.token.clone()) {
            (_, None, _) | (_, _, None) => None,
            (Some(a), Some(_), Some(_)) => match a.socket_request() {
                Some(r) => Some((r, true)),
                None => {
                    // No stream socket (a polled backend): the stream "opens" at once and
                    // ends when the driver closes it (a failed poll, a sign-out).
                    let events = sock_tx.clone();
                    let task = tokio::spawn(async move {
                        let _ = events.send((gen, SockEvent::Open));
                        let mut out_rx = out_rx;
                        while out_rx.recv().await.is_some() {}
                    });
                    self.socket = Some(Socket { out: out_tx, task });
                    return;
                }
            },
            (None, Some(s), Some(token)) => Some((
                SocketRequest {
                    url: login::ws_url(&s.server_url),
                    headers: vec![(AUTHORIZATION.to_string(), format!("Bearer {token}"))],
                },
                false,
            )),
        };
        let events = sock_tx.clone();
        let task = tokio::spawn(async move {
            let Some((request, foreign)) = request else {
                let _ = events.send((
                    gen,
                    SockEvent::Closed(Some(herald_protocol::wire::close_code::UNAUTHORIZED)),
                ));
                return;
            };
            socket_task(gen, request, foreign, events, out_rx).await;
        });
        self.socket = Some(Socket { out: out_tx, task });
    }

    fn close_socket(&mut self) {
        if let Some(s) = self.socket.take() {
            stop_socket(s);
        }
    }
}

/// Dropping the sender lets a healthy socket send a Close frame; the abort covers a stuck one
/// (half-open, black-holed).
fn stop_socket(s: Socket) {
    drop(s.out);
    let task = s.task;
    tokio::spawn(async move {
        let abort = task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(1), task)
            .await
            .is_err()
        {
            abort.abort();
        }
    });
}

/// Runs one socket. `foreign`: a profile backend, whose refusal of the handshake (daphne
/// answers a consumer's refusal with 403, never 401) means the token was refused.
async fn socket_task(
    gen: u64,
    req: SocketRequest,
    foreign: bool,
    events: mpsc::UnboundedSender<(u64, SockEvent)>,
    mut out: mpsc::UnboundedReceiver<Outgoing>,
) {
    let send = |ev: SockEvent| {
        let _ = events.send((gen, ev));
    };
    let mut request = match req.url.as_str().into_client_request() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, url = %req.url, "bad server URL");
            send(SockEvent::Closed(None));
            return;
        }
    };
    for (name, value) in &req.headers {
        let (Ok(name), Ok(value)) = (
            tokio_tungstenite::tungstenite::http::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            tracing::error!(header = %name, "a socket header is not valid HTTP");
            send(SockEvent::Closed(Some(
                herald_protocol::wire::close_code::UNAUTHORIZED,
            )));
            return;
        };
        request.headers_mut().insert(name, value);
    }
    let max = if foreign {
        backend::adapter::MAX_BACKEND_FRAME
    } else {
        16 << 20
    };
    let config = WebSocketConfig::default().max_message_size(Some(max));
    let ws = match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
        Ok((ws, _)) => ws,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp))
            if resp.status().as_u16() == 401 || (foreign && resp.status().as_u16() == 403) =>
        {
            send(SockEvent::Closed(Some(
                herald_protocol::wire::close_code::UNAUTHORIZED,
            )));
            return;
        }
        Err(e) => {
            tracing::debug!(error = %e, "connect failed");
            send(SockEvent::Closed(None));
            return;
        }
    };
    send(SockEvent::Open);
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(WsMessage::Text(t))) => send(SockEvent::Text(t.as_str().to_owned())),
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Binary(_) | WsMessage::Frame(_))) => {
                    send(SockEvent::Heard)
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    send(SockEvent::Closed(frame.map(|f| u16::from(f.code))));
                    return;
                }
                Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(e))) => {
                    // An oversize frame: tungstenite cannot skip it, so the socket goes and
                    // the engine reconnects (and the adapter re-reads over REST).
                    tracing::warn!(error = %e, "a frame over the size limit; reconnecting");
                    send(SockEvent::Closed(None));
                    return;
                }
                Some(Err(_)) | None => {
                    send(SockEvent::Closed(None));
                    return;
                }
            },
            next = out.recv() => match next {
                Some(next) => {
                    let msg = match next {
                        Outgoing::Text(text) => WsMessage::Text(text.into()),
                        Outgoing::Probe => WsMessage::Ping(Default::default()),
                    };
                    if sink.send(msg).await.is_err() {
                        send(SockEvent::Closed(None));
                        return;
                    }
                }
                None => {
                    let _ = sink.close().await;
                    return;
                }
            },
        }
    }
}

/// The engine's randomness (backoff jitter, the random bits of `client_msg_id`) seeded from the
/// OS for each start: with the fixed default seed every install would wait the same "random"
/// delays and reconnect in lockstep after a server restart, which jitter exists to prevent.
/// Engine tests construct the engine directly and keep fixed seeds.
fn seeded_from_os(mut cfg: EngineConfig) -> EngineConfig {
    cfg.seed = rand::random();
    cfg
}

/// What the engine holds, for the adapter to merge a backend's REST answers against.
fn held(engine: &Engine) -> Held {
    let model = engine.model();
    Held {
        rooms: model
            .rooms
            .iter()
            .map(|(id, r)| {
                let newest = model
                    .messages
                    .get(id)
                    .and_then(|m| m.list.last())
                    .map(|m| (m.id.clone(), m.created_at));
                let last = r
                    .room
                    .last_message
                    .as_ref()
                    .map(|m| (m.id.clone(), m.created_at));
                let head = match (newest, last) {
                    (Some(a), Some(b)) => Some(if a.1 >= b.1 { a } else { b }),
                    (a, b) => a.or(b),
                };
                (id.clone(), head)
            })
            .collect(),
        notifications: model
            .notifications
            .iter()
            .map(|(id, n)| (id.clone(), n.clone()))
            .collect(),
        friend_requests: model
            .friend_requests
            .iter()
            .map(|(id, f)| (id.clone(), f.status))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::connection::Rng;

    #[test]
    fn two_installs_wait_different_random_delays_before_reconnecting() {
        // The connection draws each backoff from its seeded Rng in [min, cap]
        let delays = |cfg: EngineConfig| {
            let mut rng = Rng::new(cfg.seed);
            let (lo, hi) = (cfg.connection.backoff_min, cfg.connection.backoff_max);
            (0..5).map(|_| rng.between(lo, hi)).collect::<Vec<_>>()
        };
        let a = seeded_from_os(EngineConfig::default());
        let b = seeded_from_os(EngineConfig::default());
        assert_ne!(a.seed, b.seed);
        assert_ne!(delays(a), delays(b), "the same jitter on two machines");
    }
}
