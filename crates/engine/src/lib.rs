//! The sans-IO client engine: everything the client decides, with no sockets, no clock reads
//! and no threads.
//!
//! The contract follows str0m and quinn: feed an input (a frame, a transport event, a command,
//! a timeout — each carrying [`Now`]), then drain [`Engine::poll_output`] until it returns
//! `None`, then sleep until [`Engine::poll_timeout`]. The driver is the only thing that turns
//! outputs into IO. Output order is meaningful: a [`Output::Persist`] always precedes the
//! notifications and UI batch derived from it, and an outbox entry is persisted before the frame
//! that transmits it. Feeding several frames before draining batches their store writes into one
//! `Persist` (one transaction).
//!
//! This crate has no IO dependency at all (no tokio, reqwest, rusqlite, clap), and its
//! clippy.toml forbids reading the clock, so "the engine never does IO and never reads the
//! clock" is checked by the compiler and clippy. The driver that runs it, the SQLite store and the
//! CLI are in herald-client.

pub mod commands;
pub mod connection;
mod frames;
pub mod notification_pages;
mod op_queue;
pub mod ops;
pub mod outbox;
mod persist;
pub mod policy;
pub mod reducer;
mod snooze;
pub mod store;
pub mod sync;
mod token_renewal;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use herald_protocol::ipc::{
    BackendView, ConnStatus, DisconnectReason, Session, Settings, UiEvent, UiEventBatch, ViewState,
};
use herald_protocol::wire::{ClientFrame, Req, StreamPosition};
use herald_protocol::Timestamp;

use crate::store::{Changes, StoredSession, StoredState};
use connection::{ConnAction, ConnState, Connection, ConnectionConfig, Rng};
use op_queue::OpQueue;
use ops::Op;
use outbox::Outbox;
use policy::{NativeNotification, Policy};
use reducer::{chat_message, Model, UiQueue};
use sync::Sync;

/// The time of an input: monotonic for timers, wall (with the user's UTC offset) for
/// timestamps, quiet hours and sleep detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub mono: Instant,
    pub wall: Timestamp,
}

/// Engine settings, passed explicitly.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub connection: ConnectionConfig,
    /// At most one UI batch per this interval.
    pub frame_interval: Duration,
    /// At most one native notification per room (or for the bell) per this window.
    pub burst_window: Duration,
    /// Messages per `load_older` page.
    pub page_size: u32,
    /// Seed of the engine's randomness (jitter, client_msg_id); tests fix it.
    pub seed: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            connection: ConnectionConfig::default(),
            frame_interval: Duration::from_millis(16),
            burst_window: Duration::from_secs(3),
            page_size: 50,
            seed: 0x4845_5241_4c44,
        }
    }
}

/// What the engine asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a WebSocket to the server (with the session's token).
    Open { attempt: u32 },
    /// Close the socket, if one is open.
    Close { reason: DisconnectReason },
    /// Send one frame on the open socket.
    Send(ClientFrame),
    /// Commit these changes in one transaction, then call [`Engine::persisted`].
    Persist(Box<Changes>),
    /// Read cached messages of a room older than `before` and feed them to
    /// [`Engine::cached_page`].
    LoadCached {
        room_id: String,
        before: Option<(Timestamp, String)>,
        limit: u32,
    },
    /// Fetch a page of notifications older than `before` (a notification id; `None`: the
    /// newest) with REST `GET /api/notifications` and feed it, with `request`, to
    /// [`Engine::notifications_page`].
    FetchNotifications {
        request: u64,
        before: Option<String>,
        limit: u32,
    },
    /// Hand a batch to the UI.
    Ui(UiEventBatch),
    /// Ask the OS to show a notification.
    Notify(NativeNotification),
    /// The server renewed the session's token: connect with it from now on, and keep it
    /// where the old one was kept (the keyring). Never shown to the UI.
    TokenRenewed {
        token: String,
        expires_at: Timestamp,
    },
}

/// The engine. See the module docs.
#[derive(Debug)]
pub struct Engine {
    pub(crate) cfg: EngineConfig,
    pub(crate) conn: Connection,
    pub(crate) sync: Sync,
    pub(crate) model: Model,
    pub(crate) outbox: Outbox,
    pub(crate) policy: Policy,
    pub(crate) ui: UiQueue,
    pub(crate) settings: Settings,
    pub(crate) session: Option<StoredSession>,
    /// What the session's backend is and can do (set by the driver, which reads the profile).
    pub(crate) backend: BackendView,
    pub(crate) active_room: Option<String>,
    /// The last `UiEvent::UnreadTotal` sent (the tray's count), so it is sent only on change.
    shown_total: Option<u32>,
    pub(crate) focused: bool,
    pub(crate) out: VecDeque<Output>,
    pub(crate) changes: Changes,
    pub(crate) deferred: Vec<Output>,
    /// Operations queued and in flight, and the request counter (see `op_queue.rs`).
    pub(crate) ops: OpQueue,
    pub(crate) rng: Rng,
    pub(crate) now: Now,
    /// Set while the store refuses writes; see `persist.rs`.
    pub(crate) store_failure: Option<persist::StoreFailure>,
    /// When the socket's token expires, as the last `welcome` or renewal said.
    pub(crate) token_expires_at: Option<Timestamp>,
    /// When to send `renew_token` next (see `token_renewal.rs`).
    pub(crate) token_renewal_at: Option<Instant>,
}

impl Engine {
    /// Builds the engine from the stored state (offline-first: the first UI batch is a `Reset`
    /// of the cached model). Call [`Engine::start`] once a token is available.
    pub fn new(cfg: EngineConfig, stored: StoredState, now: Now) -> Self {
        let mut model = Model {
            me: stored.session.as_ref().map(|s| s.user.clone()),
            ..Default::default()
        };
        let mut scratch = Changes::default();
        for r in stored.rooms {
            model.upsert_room(r, &mut scratch);
        }
        for m in stored.messages {
            model
                .messages
                .entry(m.room_id.clone())
                .or_default()
                .upsert(m);
        }
        for n in stored.notifications {
            model.notifications.insert(n.id.clone(), n);
        }
        model.notifications_unread = stored.notifications_unread;
        for f in stored.friend_requests {
            model.friend_requests.insert(f.id.clone(), f);
        }
        model.drafts = stored.drafts.into_iter().collect();
        // Operations queued before the last exit (or crash) go out again once connected.
        let (ops, unreadable) = OpQueue::restore(&stored.ops);
        let mut e = Self {
            conn: Connection::new(cfg.connection.clone(), cfg.seed),
            sync: Sync::new(stored.position),
            model,
            outbox: Outbox::new(stored.outbox),
            policy: Policy::new(stored.notified, cfg.burst_window),
            ui: UiQueue::new(cfg.frame_interval),
            settings: stored.settings.unwrap_or_default(),
            session: stored.session,
            backend: BackendView::default(),
            active_room: None,
            shown_total: None,
            focused: true,
            out: VecDeque::new(),
            changes: Changes {
                ops_removed: unreadable,
                ..Default::default()
            },
            deferred: Vec::new(),
            ops,
            store_failure: None,
            token_expires_at: None,
            token_renewal_at: None,
            rng: Rng::new(cfg.seed ^ 0x5EED),
            now,
            cfg,
        };
        e.conn.observe(now);
        e.ui.push(UiEvent::Reset(Box::new(e.view_state())));
        // Snoozes that ended while Herald was closed come back now.
        e.end_snoozes(now);
        e
    }

    // -----------------------------------------------------------------------------------------
    // Accessors

    pub fn session(&self) -> Option<&StoredSession> {
        self.session.as_ref()
    }

    pub fn connection_state(&self) -> &ConnState {
        self.conn.state()
    }

    pub fn status(&self) -> ConnStatus {
        self.conn.status(self.now)
    }

    pub fn position(&self) -> (Option<&StreamPosition>, Option<&StreamPosition>) {
        (self.sync.applied(), self.sync.durable())
    }

    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn ui_batches(&self) -> u64 {
        self.ui.batches
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The configuration the engine runs with (the driver paces its probes by it).
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// The room open on screen, if any (the adapter keeps that room's socket open).
    pub fn active_room(&self) -> Option<&str> {
        self.active_room.as_deref()
    }

    /// Whether the socket is live and caught up.
    pub fn is_live(&self) -> bool {
        matches!(self.conn.state(), ConnState::Connected { .. })
    }

    // -----------------------------------------------------------------------------------------
    // Inputs: session and connection

    /// Starts connecting for the stored session (the driver has its token).
    pub fn start(&mut self, now: Now) {
        self.tick(now);
        if self.session.is_some() {
            let actions = self.conn.start(now);
            self.run_conn(actions);
        }
    }

    /// Signed in (after a login): a different user starts from an empty profile.
    pub fn sign_in(&mut self, now: Now, session: StoredSession) {
        self.tick(now);
        let same = self.session.as_ref().map(|s| {
            s.user.id == session.user.id
                && s.server_url == session.server_url
                && s.backend == session.backend
        });
        if same != Some(true) {
            self.model = Model {
                drafts: Default::default(),
                ..Default::default()
            };
            self.outbox.clear();
            self.policy.clear();
            self.sync.clear();
            self.ops.clear();
        }
        self.model.me = Some(session.user.clone());
        self.changes.session = Some(Some(session.clone()));
        self.session = Some(session);
        self.ui.push(UiEvent::Reset(Box::new(self.view_state())));
        let actions = self.conn.start(now);
        self.run_conn(actions);
    }

    /// The session's backend (herald-server, or a profile's view): the UI hides what it
    /// cannot do. The driver calls this after each sign-in and at start.
    pub fn set_backend(&mut self, backend: BackendView) {
        if self.backend != backend {
            self.backend = backend.clone();
            self.ui.push(UiEvent::Backend(Box::new(backend)));
        }
    }

    /// Signed out: close, forget the profile's server state, outbox and position.
    pub fn sign_out(&mut self, now: Now) {
        self.tick(now);
        let actions = self.conn.stop(DisconnectReason::Logout);
        self.run_conn(actions);
        self.session = None;
        self.token_expires_at = None;
        self.token_renewal_at = None;
        // `backend` stays: the sign-in form offers the same backend again.
        self.model = Model::default();
        self.outbox.clear();
        self.policy.clear();
        self.sync.clear();
        self.ops.clear();
        self.changes = Changes {
            session: Some(None),
            ..Default::default()
        };
        self.ui.push(UiEvent::Reset(Box::new(self.view_state())));
    }

    /// The socket is open: say hello with the durable position.
    pub fn transport_open(&mut self, now: Now) {
        self.tick(now);
        self.conn.transport_open(now);
        let hello = self.sync.hello();
        self.out.push_back(Output::Send(ClientFrame::Hello(hello)));
        self.push_status();
    }

    /// The socket closed or could not open. `code` is the close code (4001 also for an HTTP
    /// 401 on the upgrade).
    pub fn transport_closed(&mut self, now: Now, code: Option<u16>) {
        self.tick(now);
        let actions = self.conn.transport_closed(now, code);
        self.after_disconnect();
        self.run_conn(actions);
        if matches!(
            self.conn.state(),
            ConnState::Closed {
                reason: DisconnectReason::Unauthorized
            }
        ) {
            self.ui.push(UiEvent::Session(Session::SignedOut {
                last_server_url: self.session.as_ref().map(|s| s.server_url.clone()),
            }));
            // Herald usually runs hidden in the tray: without this, a session that ended
            // (token expired and not renewed, or revoked) would silently stop notifying.
            if !self.focused && self.session.is_some() {
                self.out.push_back(Output::Notify(NativeNotification {
                    id: "session-ended".into(),
                    title: "Herald is signed out".into(),
                    body: "Sign in again to keep receiving notifications.".into(),
                    room_id: None,
                    notification_id: None,
                    url: None,
                    priority: 4,
                }));
            }
        }
    }

    /// A WebSocket ping or pong arrived (liveness only).
    pub fn heard(&mut self, now: Now) {
        self.tick(now);
        self.conn.heard(now);
    }

    /// "Retry now", OS resume or a network change: reconnect without waiting.
    pub fn reconnect_now(&mut self, now: Now, reason: DisconnectReason) {
        self.tick(now);
        let before_open = self.conn.socket_open();
        let actions = self.conn.retry_now(now, reason);
        if before_open {
            self.after_disconnect();
        }
        self.run_conn(actions);
    }

    /// The store committed a [`Output::Persist`]: its position is now durable.
    pub fn persisted(&mut self, changes: &Changes) {
        if let Some(p) = &changes.position {
            self.sync.persisted(p.clone());
        }
        self.store_recovered();
    }

    /// Window focus changed (the shell's input).
    pub fn set_focus(&mut self, now: Now, focused: bool) {
        self.tick(now);
        self.focused = focused;
        if focused {
            if let Some(room) = self.active_room.clone() {
                self.read_room_locally(&room);
            }
        }
    }

    /// Transmits what waits for a live socket: the outbox, then queued operations.
    pub(crate) fn flush_sends(&mut self, now: Now) {
        if !self.is_live() {
            return;
        }
        if self.store_failing() {
            // Nothing is sent that the store could not record (see `persist.rs`), except
            // reads and pings, which change nothing.
            for frame in self.ops.transmit(true) {
                self.out.push_back(Output::Send(frame));
            }
            return;
        }
        let ops = &mut self.ops;
        let ready = self
            .outbox
            .take_ready(now.mono, || format!("s{}", ops.next_number()));
        for (id, params, entry) in ready {
            self.changes.outbox.push(entry);
            self.out
                .push_back(Output::Send(ClientFrame::SendMessage(Req { id, params })));
        }
        for frame in self.ops.transmit(false) {
            self.out.push_back(Output::Send(frame));
        }
    }

    /// Bookkeeping when a socket went away: in-flight sends and operations go back to pending.
    pub(crate) fn after_disconnect(&mut self) {
        self.sync.reset_phase();
        self.outbox.disconnected();
        self.ops.requeue_in_flight();
    }

    pub(crate) fn run_conn(&mut self, actions: Vec<ConnAction>) {
        for a in actions {
            match a {
                ConnAction::Open { attempt } => self.out.push_back(Output::Open { attempt }),
                ConnAction::Close { reason } => self.out.push_back(Output::Close { reason }),
            }
        }
        self.push_status();
    }

    pub(crate) fn push_status(&mut self) {
        let status = self.conn.status(self.now);
        self.ui.push(UiEvent::Connection(status));
    }

    pub(crate) fn push_room(&mut self, room_id: &str) {
        if let Some(v) = self.model.room_view(room_id, &self.settings) {
            self.ui.push(UiEvent::RoomUpserted(Box::new(v)));
        }
    }

    /// Records the time of an input: every handler calls it first, so `self.now` is the time of
    /// the input being handled.
    pub(crate) fn tick(&mut self, now: Now) {
        self.now = now;
    }

    /// Time passed: connection timers, outbox retries, typing expiry, burst flushes, snoozes.
    pub fn handle_timeout(&mut self, now: Now) {
        self.tick(now);
        let was_open = self.conn.socket_open();
        let actions = self.conn.handle_timeout(now);
        if was_open
            && actions
                .iter()
                .any(|a| matches!(a, ConnAction::Close { .. }))
        {
            self.after_disconnect();
        }
        if !actions.is_empty() {
            self.run_conn(actions);
        }
        if self.conn.take_heartbeat(now) {
            self.queue_op(now, Op::Ping, ops::Revert::Nothing);
        }
        self.renew_token_if_due(now);
        for room in self.model.expire_typing(now.mono) {
            self.push_room(&room);
        }
        self.end_snoozes(now);
        let mut alerts = Vec::new();
        self.policy.handle_timeout(now.mono, &mut alerts);
        self.emit_alerts(alerts);
        self.flush_sends(now);
    }

    /// When [`Engine::handle_timeout`] must run next (never earlier than the last input).
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.conn.poll_timeout(),
            self.outbox.poll_timeout().filter(|_| self.is_live()),
            self.model.next_typing_expiry(),
            self.snooze_deadline(),
            self.policy.poll_timeout(),
            self.ui.deadline(self.now.mono),
            self.persist_retry_at().filter(|_| !self.changes.is_empty()),
            self.token_renewal_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next output, if any. Order: queued actions and frames; then the accumulated store
    /// changes; then the notifications derived from them; then the UI batch when due.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.out.pop_front() {
            return Some(o);
        }
        if self.ops.has_read_marks_due() && self.is_live() {
            let rooms = self.ops.take_read_marks_due();
            for room in rooms {
                self.queue_mark_read(&room);
            }
            let now = self.now;
            self.flush_sends(now);
            if let Some(o) = self.out.pop_front() {
                return Some(o);
            }
        }
        if !self.changes.is_empty() && self.persist_due() {
            return Some(Output::Persist(Box::new(std::mem::take(&mut self.changes))));
        }
        if !self.deferred.is_empty() {
            let mut d = std::mem::take(&mut self.deferred);
            let first = d.remove(0);
            self.out.extend(d);
            return Some(first);
        }
        let total = self.model.unread_total();
        if self.shown_total != Some(total) {
            self.shown_total = Some(total);
            self.ui.push(UiEvent::UnreadTotal { count: total });
        }
        self.ui.take_due(self.now.mono).map(Output::Ui)
    }

    /// Everything the UI shows, in one value.
    pub fn view_state(&self) -> ViewState {
        // A refused token already told the UI `Session::SignedOut` (see `transport_closed`);
        // a reloaded webview must see the same sign-in form, not a signed-in shell.
        let refused = matches!(
            self.conn.state(),
            ConnState::Closed {
                reason: DisconnectReason::Unauthorized
            }
        );
        let session = match &self.session {
            Some(s) if refused => Session::SignedOut {
                last_server_url: Some(s.server_url.clone()),
            },
            Some(s) => Session::SignedIn {
                server_url: s.server_url.clone(),
                user: s.user.clone(),
            },
            None => Session::SignedOut {
                last_server_url: None,
            },
        };
        let mut rooms: Vec<_> = self
            .model
            .rooms
            .keys()
            .filter_map(|id| self.model.room_view(id, &self.settings))
            .collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.room.updated_at));
        let mut messages = Vec::new();
        if let Some(active) = &self.active_room {
            messages = self.room_messages(active);
        }
        let mut notifications: Vec<_> = self.model.notifications.values().cloned().collect();
        notifications.sort_by_key(|n| std::cmp::Reverse(n.created_at));
        ViewState {
            session,
            connection: self.conn.status(self.now),
            rooms,
            active_room: self.active_room.clone(),
            messages,
            notifications,
            notifications_unread: self.model.notifications_unread,
            notifications_has_more: self.model.notification_pages.has_more,
            friend_requests: self.model.friend_requests.values().cloned().collect(),
            settings: self.settings.clone(),
            backend: self.backend.clone(),
            storage_problem: self.storage_problem(),
        }
    }

    /// A room's loaded messages with the local echoes of its outbox, oldest first.
    pub fn room_messages(&self, room_id: &str) -> Vec<herald_protocol::ipc::ChatMessage> {
        let me = self.model.me.as_ref();
        let mut out: Vec<_> = self
            .model
            .messages
            .get(room_id)
            .map(|m| m.list.iter().map(|m| chat_message(m, me)).collect())
            .unwrap_or_default();
        if let Some(me) = me {
            out.extend(
                self.outbox
                    .entries()
                    .filter(|e| e.room_id == room_id)
                    .map(|e| outbox::echo(e, me)),
            );
        }
        out
    }
}
