//! Engine tests on a simulated clock with scripted frames: no sockets, no sleeps.

// The harness takes one real instant as its clock's origin; the engine itself never reads it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use herald_protocol::ipc::{
    ConnStatus, Delivery, DisconnectReason, EngineCommand, QuietHours, Settings, UiEvent,
};
use herald_protocol::wire::{
    close_code, ClientFrame, ErrorCode as WireCode, Event, EventFrame, Message, Notification,
    NotificationKind, NotificationSummary, Reply, Room, RoomKind, SendMessageOk, ServerFrame,
    Snapshot, StreamPosition, User, Welcome,
};
use time::macros::datetime;

use super::connection::{ConnState, Connection, ConnectionConfig};
use super::policy::NativeNotification;
use super::{Engine, EngineConfig, Now, Output};
use crate::store::{MemoryStore, Store, StoredSession};

mod bell_policy;
mod heartbeat;
mod notification_pages;
mod op_queue;
mod snooze;
mod store_failures;
mod token_renewal;
mod tray_commands;

fn user(id: &str) -> User {
    User {
        id: id.into(),
        name: id[..1].to_uppercase() + &id[1..],
    }
}

fn room(id: &str, name: &str) -> Room {
    Room {
        id: id.into(),
        name: name.into(),
        kind: RoomKind::Job,
        members: vec![user("alice"), user("bob")],
        unread_count: 0,
        last_message: None,
        updated_at: datetime!(2026-01-01 00:00 UTC),
    }
}

fn msg(id: &str, room: &str, from: &str, text: &str, n: i64) -> Message {
    Message {
        id: id.into(),
        room_id: room.into(),
        sender: user(from),
        text: text.into(),
        client_msg_id: None,
        reply_to: None,
        created_at: datetime!(2026-01-01 00:00 UTC) + time::Duration::seconds(n),
        edited_at: None,
    }
}

fn notif(id: &str) -> Notification {
    Notification {
        id: id.into(),
        kind: NotificationKind::LowStock,
        title: "Low stock".into(),
        body: "SKU 1".into(),
        priority: 3,
        link: None,
        meta: Default::default(),
        created_at: datetime!(2026-01-01 00:00 UTC),
        read: false,
        archived: false,
        snoozed_until: None,
    }
}

/// The engine plus a simulated clock and a memory store that plays the driver.
struct Sim {
    engine: Engine,
    store: MemoryStore,
    t0: Instant,
    elapsed: Duration,
    wall_extra: Duration,
    sent: Vec<ClientFrame>,
    opens: u32,
    closes: Vec<DisconnectReason>,
    notified: Vec<NativeNotification>,
    ui: Vec<UiEvent>,
    /// `FetchNotifications` requests: (before, limit).
    fetches: Vec<(Option<String>, u32)>,
    /// The request number of the last `FetchNotifications`.
    last_fetch: u64,
    /// The store refuses every write while set (a full disk).
    fail_writes: bool,
    /// Tokens the engine handed over as renewed.
    renewed: Vec<String>,
}

impl Sim {
    fn new() -> Self {
        Self::with_store(MemoryStore::new(), EngineConfig::default())
    }

    fn with_store(store: MemoryStore, cfg: EngineConfig) -> Self {
        Self::with_store_after(store, cfg, Duration::ZERO)
    }

    /// Starts from `store` with the wall clock `later` past the usual start (a restart after
    /// Herald was closed for a while).
    fn with_store_after(store: MemoryStore, cfg: EngineConfig, later: Duration) -> Self {
        let t0 = Instant::now();
        let now = Now {
            mono: t0,
            wall: datetime!(2026-01-01 12:00 UTC) + later,
        };
        let engine = Engine::new(cfg, store.load(50).unwrap(), now);
        let mut s = Self {
            engine,
            store,
            t0,
            elapsed: Duration::ZERO,
            wall_extra: later,
            sent: vec![],
            opens: 0,
            closes: vec![],
            notified: vec![],
            ui: vec![],
            fetches: vec![],
            last_fetch: 0,
            fail_writes: false,
            renewed: vec![],
        };
        s.drain();
        s
    }

    fn now(&self) -> Now {
        Now {
            mono: self.t0 + self.elapsed,
            wall: datetime!(2026-01-01 12:00 UTC) + self.elapsed + self.wall_extra,
        }
    }

    fn drain(&mut self) {
        while let Some(o) = self.engine.poll_output() {
            match o {
                Output::Open { .. } => self.opens += 1,
                Output::Close { reason } => self.closes.push(reason),
                Output::Send(f) => self.sent.push(f),
                Output::Persist(c) if self.fail_writes => {
                    let now = self.now();
                    self.engine
                        .persist_failed(now, *c, "No space left on device");
                }
                Output::Persist(c) => {
                    self.store.apply(&c).unwrap();
                    self.engine.persisted(&c);
                }
                Output::LoadCached {
                    room_id,
                    before,
                    limit,
                } => {
                    let page = self
                        .store
                        .messages_before(
                            &room_id,
                            before.as_ref().map(|(t, i)| (*t, i.as_str())),
                            limit as usize,
                        )
                        .unwrap();
                    let now = self.now();
                    self.engine.cached_page(now, &room_id, page, limit);
                }
                Output::FetchNotifications {
                    request,
                    before,
                    limit,
                } => {
                    self.last_fetch = request;
                    self.fetches.push((before, limit));
                }
                Output::Ui(b) => self.ui.extend(b.events),
                Output::Notify(n) => self.notified.push(n),
                Output::TokenRenewed { token, .. } => self.renewed.push(token),
            }
        }
    }

    /// Advances both clocks, firing every timer on the way (in 100 ms steps).
    fn advance(&mut self, d: Duration) {
        let end = self.elapsed + d;
        while self.elapsed < end {
            let step = Duration::from_millis(100).min(end - self.elapsed);
            self.elapsed += step;
            if let Some(t) = self.engine.poll_timeout() {
                if t <= self.now().mono {
                    let now = self.now();
                    self.engine.handle_timeout(now);
                }
            }
            self.drain();
        }
    }

    fn sign_in(&mut self) {
        let now = self.now();
        self.engine.sign_in(
            now,
            StoredSession {
                server_url: "http://h".into(),
                user: user("alice"),
                backend: None,
            },
        );
        self.drain();
    }

    fn open(&mut self) {
        let now = self.now();
        self.engine.transport_open(now);
        self.drain();
    }

    fn frame(&mut self, f: ServerFrame) {
        let now = self.now();
        self.engine.handle_frame(now, f);
        self.drain();
    }

    fn frames(&mut self, fs: Vec<ServerFrame>) {
        let now = self.now();
        for f in fs {
            self.engine.handle_frame(now, f);
        }
        self.drain();
    }

    fn welcome(&mut self, epoch: &str, seq: u64, recovered: bool) {
        self.frame(ServerFrame::Welcome(Welcome {
            protocol: 1,
            user: user("alice"),
            epoch: epoch.into(),
            seq,
            recovered,
            token_expires_at: None,
        }));
    }

    fn snapshot(&mut self, seq: u64, rooms: Vec<Room>) {
        self.frame(ServerFrame::Snapshot(Snapshot {
            seq,
            rooms,
            notifications: NotificationSummary::default(),
            friend_requests: vec![],
        }));
    }

    /// Signed in, connected, welcomed with a snapshot holding `rooms`.
    fn live(rooms: Vec<Room>) -> Self {
        let mut s = Self::new();
        s.sign_in();
        s.open();
        s.welcome("e1", 0, false);
        s.snapshot(0, rooms);
        assert!(s.engine.is_live());
        s
    }

    fn event(seq: u64, event: Event) -> ServerFrame {
        ServerFrame::Event(EventFrame { seq, event })
    }

    fn last_hello_resume(&self) -> Option<StreamPosition> {
        self.sent.iter().rev().find_map(|f| match f {
            ClientFrame::Hello(h) => Some(h.resume.clone()),
            _ => None,
        })?
    }

    fn command(&mut self, cmd: EngineCommand) {
        let now = self.now();
        self.engine.handle_command(now, cmd).unwrap();
        self.drain();
    }

    fn sends(&self) -> Vec<(String, String)> {
        self.sent
            .iter()
            .filter_map(|f| match f {
                ClientFrame::SendMessage(r) => Some((r.id.clone(), r.params.client_msg_id.clone())),
                _ => None,
            })
            .collect()
    }
}

fn new_message(seq: u64, m: Message) -> ServerFrame {
    Sim::event(seq, Event::MessageCreated { message: m })
}

// ---------------------------------------------------------------------------------------------
// Connection

#[test]
fn backoff_delays_stay_within_full_jitter_bounds_and_double_up_to_the_cap() {
    // given a connection that keeps failing
    let cfg = ConnectionConfig::default();
    for seed in 0..50 {
        let mut c = Connection::new(cfg.clone(), seed);
        // when we ask for ten consecutive delays
        for failures in 0..10u32 {
            let d = c.backoff_delay(DisconnectReason::TransportClosed);
            // then each lies in [500 ms, min(20 s, 500 ms * 2^(n+1))]
            let cap = (500u64 << (failures + 1)).min(20_000);
            assert!(d >= Duration::from_millis(500), "{d:?}");
            assert!(
                d <= Duration::from_millis(cap),
                "failures {failures}: {d:?} > {cap}"
            );
            let t = Instant::now();
            let now = Now {
                mono: t,
                wall: datetime!(2026-01-01 00:00 UTC),
            };
            c.start(now);
            c.fail(now, DisconnectReason::TransportClosed, false);
            let _ = c.state();
        }
    }
}

#[test]
fn even_the_first_retry_after_a_stable_connection_is_spread_and_a_restart_wider() {
    // given many clients whose connection was stable (no failures yet)
    let cfg = ConnectionConfig::default();
    let first = |reason| -> Vec<Duration> {
        (0..200u64)
            .map(|seed| Connection::new(cfg.clone(), seed * 7919 + 1).backoff_delay(reason))
            .collect()
    };
    // then the first retry is not one instant for all of them
    let closed = first(DisconnectReason::TransportClosed);
    let (lo, hi) = (closed.iter().min().unwrap(), closed.iter().max().unwrap());
    assert!(*hi - *lo >= Duration::from_millis(300), "{lo:?}..{hi:?}");
    assert!(*hi <= Duration::from_millis(1000));
    // and a server that announced its restart is given a wider window
    let restart = first(DisconnectReason::ServerRestart);
    assert!(restart.iter().max().unwrap() > &Duration::from_millis(2000));
    assert!(restart.iter().all(|d| *d <= Duration::from_millis(4000)));
}

#[test]
fn reconnect_schedule_grows_and_resets_after_a_stable_connection() {
    // given a signed-in engine whose server keeps refusing
    let mut s = Sim::new();
    s.sign_in();
    assert_eq!(s.opens, 1);
    let mut waits = vec![];
    for _ in 0..8 {
        let now = s.now();
        s.engine.transport_closed(now, None);
        s.drain();
        let ConnState::Waiting { retry_at, .. } = s.engine.connection_state().clone() else {
            panic!()
        };
        waits.push(retry_at - s.now().mono);
        let opens = s.opens;
        s.advance(retry_at - s.now().mono);
        assert_eq!(s.opens, opens + 1, "reconnects when the backoff passes");
    }
    // then the waits are jittered within a growing cap, never above 20 s
    assert!(waits
        .iter()
        .all(|w| *w >= Duration::from_millis(500) && *w <= Duration::from_secs(20)));
    assert!(waits[6] > Duration::from_millis(500) || waits[7] > Duration::from_millis(500));
    // when a connection then stays up for 30 s and drops
    s.open();
    s.welcome("e1", 0, false);
    s.snapshot(0, vec![]);
    for _ in 0..4 {
        s.advance(Duration::from_secs(10));
        let now = s.now();
        s.engine.heard(now);
    }
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    // then the next wait is back at the first step (<= 500 ms * 2^1)
    let ConnState::Waiting { retry_at, .. } = s.engine.connection_state().clone() else {
        panic!()
    };
    assert!(retry_at - s.now().mono <= Duration::from_millis(1000));
}

#[test]
fn gives_up_an_attempt_after_the_connect_timeout() {
    // given an attempt whose socket never opens
    let mut s = Sim::new();
    s.sign_in();
    // when 10 s pass
    s.advance(Duration::from_millis(9_900));
    assert!(s.closes.is_empty());
    s.advance(Duration::from_millis(200));
    // then the attempt is abandoned and a retry scheduled
    assert_eq!(s.closes, vec![DisconnectReason::ConnectTimeout]);
    assert!(matches!(
        s.engine.status(),
        ConnStatus::Reconnecting {
            reason: DisconnectReason::ConnectTimeout,
            ..
        }
    ));
}

#[test]
fn declares_a_half_open_socket_dead_after_ping_interval_plus_grace_and_resumes() {
    // given a live connection at seq 2
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "hi", 1)),
        new_message(2, msg("m2", "r1", "bob", "yo", 2)),
    ]);
    // when nothing is heard for 34 s, the socket is still trusted
    s.advance(Duration::from_secs(34));
    assert!(s.closes.is_empty());
    // and after 35 s + a bit it is declared dead and a new socket opens at once
    s.advance(Duration::from_millis(1_100));
    assert_eq!(s.closes, vec![DisconnectReason::NoPing]);
    assert_eq!(s.opens, 2);
    s.open();
    // then hello resumes from the stored position
    assert_eq!(
        s.last_hello_resume(),
        Some(StreamPosition {
            epoch: "e1".into(),
            seq: 2
        })
    );
}

#[test]
fn a_wall_clock_jump_after_sleep_forces_a_reconnect() {
    // given a live connection
    let mut s = Sim::live(vec![]);
    // when the machine sleeps for an hour (wall clock jumps, monotonic barely moves)
    s.wall_extra = Duration::from_secs(3600);
    s.advance(Duration::from_millis(100));
    let now = s.now();
    s.engine.handle_timeout(now);
    s.drain();
    // then the socket is dropped and reopened right away
    assert_eq!(s.closes, vec![DisconnectReason::Resumed]);
    assert_eq!(s.opens, 2);
}

#[test]
fn stops_reconnecting_when_the_token_is_refused() {
    // given a live connection
    let mut s = Sim::live(vec![]);
    // when the server closes with 4001
    let now = s.now();
    s.engine
        .transport_closed(now, Some(close_code::UNAUTHORIZED));
    s.drain();
    s.advance(Duration::from_secs(60));
    // then no new attempt is made and the UI is told to sign in again
    assert_eq!(s.opens, 1);
    assert_eq!(
        s.engine.status(),
        ConnStatus::Offline {
            reason: DisconnectReason::Unauthorized
        }
    );
    assert!(s.ui.iter().any(|e| matches!(e, UiEvent::Session(_))));
    // and a reloaded webview sees the sign-in form too, with the server prefilled
    assert!(matches!(
        s.engine.view_state().session,
        herald_protocol::ipc::Session::SignedOut {
            last_server_url: Some(_)
        }
    ));
}

#[test]
fn too_slow_close_reconnects_immediately_with_resume() {
    let mut s = Sim::live(vec![]);
    let now = s.now();
    s.engine.transport_closed(now, Some(close_code::TOO_SLOW));
    s.drain();
    assert_eq!(s.opens, 2);
}

// ---------------------------------------------------------------------------------------------
// Sync

#[test]
fn resumes_again_instead_of_skipping_when_the_stream_has_a_gap() {
    // given a live connection at seq 1
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frame(new_message(1, msg("m1", "r1", "bob", "one", 1)));
    // when seq 3 arrives without seq 2
    s.frame(new_message(3, msg("m3", "r1", "bob", "three", 3)));
    // then m3 is not applied, the socket is replaced and hello resumes from seq 1
    assert!(!s.engine.model().messages["r1"]
        .list
        .iter()
        .any(|m| m.id == "m3"));
    assert_eq!(s.opens, 2);
    s.open();
    assert_eq!(
        s.last_hello_resume(),
        Some(StreamPosition {
            epoch: "e1".into(),
            seq: 1
        })
    );
    // and the replay fills the gap in order
    s.welcome("e1", 3, true);
    s.frames(vec![
        new_message(2, msg("m2", "r1", "bob", "two", 2)),
        new_message(3, msg("m3", "r1", "bob", "three", 3)),
    ]);
    let ids: Vec<_> = s.engine.model().messages["r1"]
        .list
        .iter()
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(ids, ["m1", "m2", "m3"]);
    assert!(s.engine.is_live());
}

#[test]
fn ignores_events_it_already_applied() {
    // given messages 1..2 applied
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        new_message(2, msg("m2", "r1", "bob", "two", 2)),
    ]);
    // when the server replays seq 1 and 2 again
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        new_message(2, msg("m2", "r1", "bob", "two", 2)),
    ]);
    // then nothing is duplicated and unread counts once per message
    assert_eq!(s.engine.model().messages["r1"].list.len(), 2);
    assert_eq!(s.engine.model().rooms["r1"].room.unread_count, 2);
}

#[test]
fn the_stored_position_advances_in_the_same_transaction_as_the_events() {
    // given a live connection
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    let tx_before = s.store.transactions;
    // when a burst of 1000 messages arrives in one read
    let frames = (1..=1000)
        .map(|i| new_message(i, msg(&format!("m{i}"), "r1", "bob", "x", i as i64)))
        .collect();
    s.frames(frames);
    // then it is one transaction holding the messages and the position, and the UI got one batch
    assert_eq!(s.store.transactions - tx_before, 1);
    let st = s.store.load(2000).unwrap();
    assert_eq!(st.messages.len(), 1000);
    assert_eq!(
        st.position,
        Some(StreamPosition {
            epoch: "e1".into(),
            seq: 1000
        })
    );
    assert_eq!(s.engine.position().1.map(|p| p.seq), Some(1000));
}

#[test]
fn snapshot_replaces_server_state_but_keeps_outbox_and_drafts() {
    // given a message in the outbox, a draft and a stale room, while offline
    let mut s = Sim::live(vec![room("old", "Old room")]);
    s.command(EngineCommand::SaveDraft {
        room_id: "r1".into(),
        text: "draft".into(),
    });
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    // when the server cannot resume and sends a snapshot
    s.advance(Duration::from_secs(1));
    s.open();
    s.welcome("e2", 5, false);
    s.snapshot(5, vec![room("r1", "Job #12")]);
    // then the rooms are the snapshot's, the outbox entry survives and is transmitted
    assert!(!s.engine.model().rooms.contains_key("old"));
    assert!(s.engine.model().rooms.contains_key("r1"));
    assert_eq!(s.sends().len(), 1);
    let st = s.store.load(50).unwrap();
    assert_eq!(st.outbox.len(), 1);
    assert_eq!(st.rooms.len(), 1);
    assert_eq!(
        st.position,
        Some(StreamPosition {
            epoch: "e2".into(),
            seq: 5
        })
    );
    assert_eq!(
        s.engine.model().drafts.get("r1"),
        None,
        "sending cleared the draft"
    );
}

#[test]
fn replay_after_restart_does_not_repeat_notifications() {
    // given a notified message and bell item, and the app killed before the position was stored
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        Sim::event(
            2,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
    ]);
    assert_eq!(s.notified.len(), 2);
    let mut store = s.store.clone();
    // (simulate a lost position: the events are replayed from 0)
    store
        .apply(&crate::store::Changes {
            position: Some(StreamPosition {
                epoch: "e1".into(),
                seq: 0,
            }),
            ..Default::default()
        })
        .unwrap();
    // when the app restarts from the store and the server replays
    let mut s2 = Sim::with_store(store, EngineConfig::default());
    s2.engine.start(s2.now());
    s2.drain();
    s2.open();
    s2.welcome("e1", 2, true);
    s2.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        Sim::event(
            2,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
    ]);
    // then nothing is notified twice
    assert!(s2.notified.is_empty(), "{:?}", s2.notified);
    assert_eq!(s2.store.load(50).unwrap().messages.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Outbox

fn ok_send(id: &str, cmid: &str, server_id: &str) -> ServerFrame {
    let mut m = msg(server_id, "r1", "alice", "hello", 10);
    m.client_msg_id = Some(cmid.into());
    ServerFrame::Reply(Reply::ok(id, &SendMessageOk { message: m }))
}

#[test]
fn a_send_is_stored_before_it_is_transmitted_and_becomes_sent_on_reply() {
    // given a live connection
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    let tx_before = s.store.transactions;
    // when the user sends
    let now = s.now();
    s.engine
        .handle_command(
            now,
            EngineCommand::SendMessage {
                room_id: "r1".into(),
                text: "hello".into(),
                reply_to: None,
            },
        )
        .unwrap();
    // then the first output persists the outbox entry, the second transmits it
    let first = s.engine.poll_output();
    assert!(
        matches!(&first, Some(Output::Persist(c)) if c.outbox.len() == 1),
        "{first:?}"
    );
    if let Some(Output::Persist(c)) = first {
        s.store.apply(&c).unwrap();
    }
    assert!(matches!(
        s.engine.poll_output(),
        Some(Output::Send(ClientFrame::SendMessage(_)))
    ));
    s.drain();
    assert!(s.store.transactions > tx_before);
    let (req, cmid) = (
        "s1".to_owned(),
        s.store.load(1).unwrap().outbox[0].client_msg_id.clone(),
    );
    assert!(uuid::Uuid::parse_str(&cmid)
        .map(|u| u.get_version_num() == 7)
        .unwrap_or(false));
    // and the local echo is pending
    s.advance(Duration::from_millis(50));
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::MessagesUpserted { messages, .. }
        if messages.iter().any(|m| m.key == cmid && m.delivery == Delivery::Pending))));
    // when the reply arrives
    s.advance(Duration::from_millis(50));
    s.frame(ok_send(&req, &cmid, "m9"));
    s.advance(Duration::from_millis(50));
    // then the echo becomes sent (same key) and the outbox is empty
    assert!(s.ui.iter().any(|e| matches!(e, UiEvent::MessagesUpserted { messages, .. }
        if messages.iter().any(|m| m.key == cmid && m.delivery == Delivery::Sent && m.id.as_deref() == Some("m9")))));
    assert!(s.store.load(1).unwrap().outbox.is_empty());
    assert_eq!(s.engine.outbox_len(), 0);
}

#[test]
fn an_unanswered_send_is_retransmitted_with_the_same_id_after_a_reconnect() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    let first = s.sends();
    // when the socket drops before the reply
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    s.advance(Duration::from_secs(1));
    s.open();
    s.welcome("e1", 0, true);
    // then the same client_msg_id is sent again, under a new request id
    let all = s.sends();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].1, all[1].1);
    assert_ne!(all[0].0, all[1].0);
    assert_eq!(first.len(), 1);
    // and an event carrying our message confirms it even if the reply is lost
    let mut m = msg("m1", "r1", "alice", "hello", 1);
    m.client_msg_id = Some(all[0].1.clone());
    s.frame(new_message(1, m));
    assert_eq!(s.engine.outbox_len(), 0);
    assert!(s.store.load(1).unwrap().outbox.is_empty());
}

#[test]
fn a_permanent_error_fails_the_send_and_retry_or_discard_resolve_it() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    let (req, cmid) = s.sends()[0].clone();
    // when the server says forbidden
    s.frame(ServerFrame::Reply(Reply::error(
        req,
        WireCode::Forbidden,
        "not a member",
    )));
    s.advance(Duration::from_millis(50));
    // then the echo is failed with the code, and the entry stays stored
    assert!(s.ui.iter().any(|e| matches!(e, UiEvent::MessagesUpserted { messages, .. }
        if messages.iter().any(|m| m.key == cmid && matches!(m.delivery, Delivery::Failed { code: herald_protocol::ipc::ErrorCode::Forbidden, .. })))));
    assert!(s.store.load(1).unwrap().outbox[0].failed.is_some());
    // when the user retries, it is sent again
    s.command(EngineCommand::RetrySend { key: cmid.clone() });
    assert_eq!(s.sends().len(), 2);
    // when the user discards, it is gone
    s.command(EngineCommand::DiscardSend { key: cmid.clone() });
    s.advance(Duration::from_millis(50));
    assert!(s.store.load(1).unwrap().outbox.is_empty());
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::MessageRemoved { key, .. } if *key == cmid)));
}

#[test]
fn transient_errors_are_retried_then_fail_after_the_limit() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    for i in 0..super::outbox::MAX_TRANSIENT_ERRORS {
        let (req, _) = s.sends().last().cloned().unwrap();
        s.frame(ServerFrame::Reply(Reply::error(
            req,
            WireCode::RateLimited,
            "slow down",
        )));
        s.advance(Duration::from_secs(20));
        let now = s.now();
        s.engine.heard(now);
        let expected = if i + 1 < super::outbox::MAX_TRANSIENT_ERRORS {
            i as usize + 2
        } else {
            i as usize + 1
        };
        assert_eq!(s.sends().len(), expected);
    }
    assert!(s.store.load(1).unwrap().outbox[0].failed.is_some());
}

#[test]
fn a_rate_limited_send_waits_as_long_as_the_server_asks_before_it_is_retried() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    let (req, _) = s.sends().last().cloned().unwrap();
    let mut refused = Reply::error(req, WireCode::RateLimited, "slow down");
    if let herald_protocol::wire::Outcome::Error(e) = &mut refused.outcome {
        e.retry_after_ms = Some(60_000);
    }
    s.frame(ServerFrame::Reply(refused));
    // The engine's own backoff would retry after 2 s; the server asked for a minute.
    for _ in 0..5 {
        s.advance(Duration::from_secs(10));
        let now = s.now();
        s.engine.heard(now);
    }
    assert_eq!(s.sends().len(), 1, "not before the server's minute");
    for _ in 0..2 {
        s.advance(Duration::from_secs(10));
        let now = s.now();
        s.engine.heard(now);
    }
    assert_eq!(s.sends().len(), 2, "retried once the minute is over");
}

#[test]
fn the_outbox_survives_a_restart_and_is_sent_once_connected() {
    // given a send made offline
    let mut s = Sim::new();
    s.sign_in();
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "offline".into(),
        reply_to: None,
    });
    assert!(s.sends().is_empty());
    // when the app restarts from its store and connects
    let mut s2 = Sim::with_store(s.store.clone(), EngineConfig::default());
    s2.engine.start(s2.now());
    s2.drain();
    s2.open();
    s2.welcome("e1", 0, false);
    s2.snapshot(0, vec![room("r1", "Job #12")]);
    // then it is transmitted exactly once
    assert_eq!(s2.sends().len(), 1);
}

#[test]
fn queued_read_marks_and_notification_actions_survive_a_crash_and_are_sent_once() {
    // given a live session with a bell item and a room message, then the socket drops
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(vec![
        Sim::event(
            1,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
        new_message(2, msg("m1", "r1", "bob", "hi", 1)),
    ]);
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    // when, offline, the user marks the notification read and reads the room
    s.command(EngineCommand::MarkNotificationRead {
        notification_id: "n1".into(),
    });
    s.command(EngineCommand::MarkRoomRead {
        room_id: "r1".into(),
    });
    // then both are stored before anything is sent
    let sent_before = s.sent.len();
    assert_eq!(s.store.load(50).unwrap().ops.len(), 2);
    // and after a crash (the engine is dropped) and a restart from the store
    let mut s2 = Sim::with_store(s.store.clone(), EngineConfig::default());
    s2.engine.start(s2.now());
    s2.drain();
    s2.open();
    s2.welcome("e1", 2, true);
    let ops: Vec<String> = s2
        .sent
        .iter()
        .filter_map(|f| match f {
            ClientFrame::MarkNotificationRead(r) => Some(r.id.clone()),
            ClientFrame::MarkRoomRead(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect();
    // each is transmitted once, in the order given
    assert_eq!(ops.len(), 2, "{:?}", s2.sent);
    assert!(matches!(
        s2.sent.iter().rev().nth(1),
        Some(ClientFrame::MarkNotificationRead(_))
    ));
    assert_eq!(s.sent.len(), sent_before);
    // and once the server answers, they leave the store
    for id in ops {
        s2.frame(ServerFrame::Reply(Reply::error(
            id,
            WireCode::NotFound,
            "gone",
        )));
    }
    assert!(s2.store.load(50).unwrap().ops.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Reducer, read marks, paging

#[test]
fn an_isolated_event_reaches_the_ui_at_once_and_a_burst_at_most_once_per_frame_interval() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.advance(Duration::from_millis(100));
    // given a quiet UI for longer than a frame interval
    let before = s.engine.ui_batches();
    s.advance(Duration::from_millis(30));
    assert_eq!(s.engine.ui_batches(), before, "quiet");
    // when one message arrives
    s.frame(new_message(1, msg("m1", "r1", "bob", "one", 1)));
    // then its batch goes out in the same drain (leading edge), without waiting for a frame
    assert_eq!(s.engine.ui_batches(), before + 1);
    // when more arrive within the next frame interval
    s.advance(Duration::from_millis(5));
    s.frame(new_message(2, msg("m2", "r1", "bob", "two", 2)));
    s.frame(new_message(3, msg("m3", "r1", "bob", "three", 3)));
    // then they wait for the interval to end and go out together
    assert_eq!(s.engine.ui_batches(), before + 1);
    s.advance(Duration::from_millis(11));
    assert_eq!(s.engine.ui_batches(), before + 2);
}

#[test]
fn a_burst_reaches_the_ui_as_few_coalesced_batches() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.advance(Duration::from_millis(100));
    let before = s.engine.ui_batches();
    for i in 1..=1000u64 {
        s.frame(new_message(
            i,
            msg(&format!("m{i}"), "r1", "bob", "x", i as i64),
        ));
    }
    s.advance(Duration::from_millis(100));
    // then one leading batch, plus at most one per 16 ms of simulated time
    assert!(
        s.engine.ui_batches() - before <= 8,
        "{}",
        s.engine.ui_batches() - before
    );
}

#[test]
fn opening_a_room_marks_it_read_optimistically_and_reverts_on_refusal() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(vec![new_message(1, msg("m1", "r1", "bob", "hi", 1))]);
    assert_eq!(s.engine.model().rooms["r1"].room.unread_count, 1);
    s.command(EngineCommand::OpenRoom {
        room_id: "r1".into(),
    });
    assert_eq!(s.engine.model().rooms["r1"].room.unread_count, 0);
    let req = s
        .sent
        .iter()
        .find_map(|f| match f {
            ClientFrame::MarkRoomRead(r) => Some(r.id.clone()),
            _ => None,
        })
        .unwrap();
    s.frame(ServerFrame::Reply(Reply::error(
        req,
        WireCode::Internal,
        "db down",
    )));
    assert_eq!(s.engine.model().rooms["r1"].room.unread_count, 1);
}

#[test]
fn load_older_serves_the_cache_first_and_asks_the_server_for_the_rest() {
    // given 60 cached messages but only the newest 50 loaded at start
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    let frames = (1..=60)
        .map(|i| new_message(i, msg(&format!("m{i:03}"), "r1", "bob", "x", i as i64)))
        .collect();
    s.frames(frames);
    let store = s.store.clone();
    let mut s = Sim::with_store(store, EngineConfig::default());
    s.engine.start(s.now());
    s.drain();
    s.open();
    s.welcome("e1", 60, true);
    assert_eq!(s.engine.model().messages["r1"].list.len(), 50);
    // when the user scrolls up
    s.command(EngineCommand::LoadOlder {
        room_id: "r1".into(),
    });
    // then the 10 cached ones are merged and the server is asked for 40 before the oldest
    assert_eq!(s.engine.model().messages["r1"].list.len(), 60);
    let lh = s
        .sent
        .iter()
        .find_map(|f| match f {
            ClientFrame::LoadHistory(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(lh.params.before.as_deref(), Some("m001"));
    assert_eq!(lh.params.limit, 40);
    // and the server's page is merged without duplicates
    let page = herald_protocol::wire::LoadHistoryOk {
        messages: vec![
            msg("m000", "r1", "bob", "old", 0),
            msg("m001", "r1", "bob", "x", 1),
        ],
        has_more: false,
    };
    s.frame(ServerFrame::Reply(Reply::ok(lh.id, &page)));
    assert_eq!(s.engine.model().messages["r1"].list.len(), 61);
    assert!(!s.engine.model().rooms["r1"].has_more);
}

// ---------------------------------------------------------------------------------------------
// Notification policy

#[test]
fn suppression_rules() {
    struct Case {
        name: &'static str,
        from: &'static str,
        active: Option<&'static str>,
        focused: bool,
        settings: Settings,
        hour: u8,
        text: &'static str,
        toast: bool,
        native: bool,
    }
    let muted = Settings {
        muted_rooms: vec!["r1".into()],
        ..Default::default()
    };
    let dnd = Settings {
        dnd: true,
        ..Default::default()
    };
    let quiet = Settings {
        quiet_hours: Some(QuietHours {
            from: "22:00".into(),
            to: "07:00".into(),
        }),
        ..Default::default()
    };
    let mentions = Settings {
        mentions_only: true,
        ..Default::default()
    };
    let d = Settings::default();
    let cases = [
        Case {
            name: "plain message notifies",
            from: "bob",
            active: None,
            focused: true,
            settings: d.clone(),
            hour: 12,
            text: "hi",
            toast: true,
            native: true,
        },
        Case {
            name: "own message never",
            from: "alice",
            active: None,
            focused: true,
            settings: d.clone(),
            hour: 12,
            text: "hi",
            toast: false,
            native: false,
        },
        Case {
            name: "active and focused room is quiet",
            from: "bob",
            active: Some("r1"),
            focused: true,
            settings: d.clone(),
            hour: 12,
            text: "hi",
            toast: false,
            native: false,
        },
        Case {
            name: "active but unfocused room notifies",
            from: "bob",
            active: Some("r1"),
            focused: false,
            settings: d.clone(),
            hour: 12,
            text: "hi",
            toast: true,
            native: true,
        },
        Case {
            name: "other room active and focused notifies",
            from: "bob",
            active: Some("r2"),
            focused: true,
            settings: d.clone(),
            hour: 12,
            text: "hi",
            toast: true,
            native: true,
        },
        Case {
            name: "muted room never",
            from: "bob",
            active: None,
            focused: false,
            settings: muted,
            hour: 12,
            text: "hi",
            toast: false,
            native: false,
        },
        Case {
            name: "do not disturb: nothing",
            from: "bob",
            active: None,
            focused: false,
            settings: dnd,
            hour: 12,
            text: "hi",
            toast: false,
            native: false,
        },
        Case {
            name: "quiet hours after midnight: toast only",
            from: "bob",
            active: None,
            focused: false,
            settings: quiet.clone(),
            hour: 3,
            text: "hi",
            toast: true,
            native: false,
        },
        Case {
            name: "quiet hours before midnight: toast only",
            from: "bob",
            active: None,
            focused: false,
            settings: quiet.clone(),
            hour: 23,
            text: "hi",
            toast: true,
            native: false,
        },
        Case {
            name: "outside quiet hours notifies",
            from: "bob",
            active: None,
            focused: false,
            settings: quiet,
            hour: 12,
            text: "hi",
            toast: true,
            native: true,
        },
        Case {
            name: "mentions-only skips plain text",
            from: "bob",
            active: None,
            focused: false,
            settings: mentions.clone(),
            hour: 12,
            text: "hi",
            toast: false,
            native: false,
        },
        Case {
            name: "mentions-only lets a mention through",
            from: "bob",
            active: None,
            focused: false,
            settings: mentions,
            hour: 12,
            text: "hey @alice",
            toast: true,
            native: true,
        },
    ];
    for c in cases {
        let mut s = Sim::live(vec![room("r1", "Job #12"), room("r2", "Support")]);
        s.command(EngineCommand::SetSettings {
            settings: c.settings.clone(),
        });
        if let Some(a) = c.active {
            s.command(EngineCommand::OpenRoom { room_id: a.into() });
        }
        let now = s.now();
        s.engine.set_focus(now, c.focused);
        s.advance(Duration::from_millis(100));
        s.ui.clear();
        // local wall clock at the case's hour
        let wall = datetime!(2026-01-01 00:00 UTC) + time::Duration::hours(c.hour as i64);
        let now = Now {
            mono: s.now().mono,
            wall,
        };
        s.engine
            .handle_frame(now, new_message(1, msg("m1", "r1", c.from, c.text, 1)));
        s.drain();
        s.advance(Duration::from_millis(100));
        let toast = s.ui.iter().any(|e| matches!(e, UiEvent::Toast(_)));
        assert_eq!(toast, c.toast, "{}: toast", c.name);
        assert_eq!(!s.notified.is_empty(), c.native, "{}: native", c.name);
    }
}

#[test]
fn a_burst_in_one_room_is_coalesced_into_one_summary() {
    // given a room not being looked at
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    // when 5 messages arrive within a second
    for i in 1..=5u64 {
        s.frame(new_message(
            i,
            msg(&format!("m{i}"), "r1", "bob", "x", i as i64),
        ));
        s.advance(Duration::from_millis(200));
    }
    // then one notification went out at once, and after the window one summary replaces it
    assert_eq!(s.notified.len(), 1);
    s.advance(Duration::from_secs(3));
    assert_eq!(s.notified.len(), 2);
    assert_eq!(s.notified[1].id, s.notified[0].id);
    assert_eq!(s.notified[1].body, "5 new messages in Job #12");
    // and opening the room withdraws its toasts
    s.command(EngineCommand::OpenRoom {
        room_id: "r1".into(),
    });
    s.advance(Duration::from_millis(100));
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::ToastsWithdrawn { room_id } if room_id == "r1")));
}

#[test]
fn bell_notifications_notify_once_and_count_unread() {
    let mut s = Sim::live(vec![]);
    s.frames(vec![
        Sim::event(
            1,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
        Sim::event(
            2,
            Event::NotificationUpdated {
                notification: notif("n1"),
            },
        ),
    ]);
    assert_eq!(s.notified.len(), 1);
    assert_eq!(s.engine.model().notifications_unread, 1);
    s.command(EngineCommand::MarkNotificationRead {
        notification_id: "n1".into(),
    });
    assert_eq!(s.engine.model().notifications_unread, 0);
}
