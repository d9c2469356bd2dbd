//! Benchmark harness (not a timed test): `cargo bench -p herald-client --bench engine_bench`.
//!
//! 1. publish -> event latency (p50/p99) at 1k events/s through the real server, three
//!    receivers side by side in the same run: a raw tokio-tungstenite client (the hop itself);
//!    the engine fed straight from a socket, timed when it has applied the event and committed it
//!    to SQLite, i.e. when it emits the UI event, before the frame-interval coalescer (the
//!    design's metric); and the full client (`Client::start`: driver + engine + SQLite), timed
//!    when the coalesced UI batch is delivered;
//! 2. a 10k-message burst applied by the engine and stored in SQLite: time and UI batches;
//! 3. resync of 1k missed events after a reconnect: time until applied and stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use herald_client::engine::{Engine, EngineConfig, Now, Output};
use herald_client::store::{SqliteStore, Store, StoredSession};
use herald_client::{Client, ClientConfig};
use herald_protocol::ipc::UiEvent;
use herald_protocol::wire::{
    Audience, Event, EventFrame, Message, NotificationKind, NotificationSummary, PublishRequest,
    Room, RoomKind, ServerFrame, Snapshot, User, Welcome,
};
use herald_server::config::{Config, Database};
use herald_server::testing;

fn user(id: &str) -> User {
    User {
        id: id.into(),
        name: id.into(),
    }
}

fn now() -> Now {
    Now {
        mono: Instant::now(),
        wall: time::OffsetDateTime::now_utc(),
    }
}

fn drain(engine: &mut Engine, store: &mut SqliteStore) -> (u64, u64) {
    let (mut batches, mut txs) = (0, 0);
    while let Some(o) = engine.poll_output() {
        match o {
            Output::Persist(c) => {
                store.apply(&c).unwrap();
                engine.persisted(&c);
                txs += 1;
            }
            Output::Ui(_) => batches += 1,
            _ => {}
        }
    }
    (batches, txs)
}

fn message(i: u64) -> Message {
    Message {
        id: format!("m{i:06}"),
        room_id: "r1".into(),
        sender: user("bob"),
        text: format!("message {i}"),
        client_msg_id: None,
        reply_to: None,
        created_at: time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i as i64),
        edited_at: None,
    }
}

fn live_engine(dir: &std::path::Path) -> (Engine, SqliteStore) {
    let mut store = SqliteStore::open(dir.join("bench.db")).unwrap();
    let mut engine = Engine::new(EngineConfig::default(), store.load(50).unwrap(), now());
    engine.sign_in(
        now(),
        StoredSession {
            server_url: "http://x".into(),
            user: user("alice"),
            backend: None,
        },
    );
    engine.transport_open(now());
    engine.handle_frame(
        now(),
        ServerFrame::Welcome(Welcome {
            protocol: 1,
            user: user("alice"),
            epoch: "e".into(),
            seq: 0,
            recovered: false,
            token_expires_at: None,
        }),
    );
    let room = Room {
        id: "r1".into(),
        name: "Job #12".into(),
        kind: RoomKind::Job,
        members: vec![],
        unread_count: 0,
        last_message: None,
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    engine.handle_frame(
        now(),
        ServerFrame::Snapshot(Snapshot {
            seq: 0,
            rooms: vec![room],
            notifications: NotificationSummary::default(),
            friend_requests: vec![],
        }),
    );
    drain(&mut engine, &mut store);
    (engine, store)
}

fn burst() {
    let dir = tempfile::tempdir().unwrap();
    let (mut engine, mut store) = live_engine(dir.path());
    let frames: Vec<ServerFrame> = (1..=10_000)
        .map(|i| {
            ServerFrame::Event(EventFrame {
                seq: i,
                event: Event::MessageCreated {
                    message: message(i),
                },
            })
        })
        .collect();
    let t = Instant::now();
    let mut batches = 0;
    let mut txs = 0;
    // As the driver does: feed what arrived together (up to 4096 frames), then drain.
    for chunk in frames.chunks(4096) {
        for f in chunk {
            engine.handle_frame(now(), f.clone());
        }
        let (b, x) = drain(&mut engine, &mut store);
        batches += b;
        txs += x;
    }
    std::thread::sleep(Duration::from_millis(20));
    engine.handle_timeout(now());
    let (b, x) = drain(&mut engine, &mut store);
    let elapsed = t.elapsed();
    println!(
        "burst: 10k messages applied + stored in {:.1} ms, {} UI batches, {} store transactions",
        elapsed.as_secs_f64() * 1e3,
        batches + b,
        txs + x
    );
}

fn resync() {
    let dir = tempfile::tempdir().unwrap();
    let (mut engine, mut store) = live_engine(dir.path());
    engine.transport_closed(now(), None);
    drain(&mut engine, &mut store);
    let frames: Vec<String> = (1..=1000)
        .map(|i| {
            serde_json::to_string(&ServerFrame::Event(EventFrame {
                seq: i,
                event: Event::MessageCreated {
                    message: message(i),
                },
            }))
            .unwrap()
        })
        .collect();
    let t = Instant::now();
    engine.reconnect_now(
        now(),
        herald_protocol::ipc::DisconnectReason::TransportClosed,
    );
    engine.transport_open(now());
    engine.handle_frame(
        now(),
        ServerFrame::Welcome(Welcome {
            protocol: 1,
            user: user("alice"),
            epoch: "e".into(),
            seq: 1000,
            recovered: true,
            token_expires_at: None,
        }),
    );
    for f in &frames {
        engine.handle_text(now(), f);
    }
    drain(&mut engine, &mut store);
    let elapsed = t.elapsed();
    assert!(engine.is_live());
    assert_eq!(engine.position().1.map(|p| p.seq), Some(1000));
    println!(
        "resync: 1k missed events decoded, applied and stored in {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
}

type Sent = Arc<Mutex<HashMap<String, Instant>>>;

/// The engine on a raw socket: every text frame is fed to it, its outputs executed (SQLite
/// commits, frames sent); a notification counts as emitted once its frame was applied and the
/// resulting changes committed (the UI event then waits only for the frame coalescer).
async fn engine_hop(
    addr: std::net::SocketAddr,
    token: String,
    me: User,
    db: std::path::PathBuf,
    sent: Sent,
    n: usize,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Vec<f64> {
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let mut ws = testing::WsClient::connect(addr, &token)
        .await
        .unwrap()
        .into_inner();
    let mut store = SqliteStore::open(db).unwrap();
    let mut engine = Engine::new(EngineConfig::default(), store.load(50).unwrap(), now());
    engine.sign_in(
        now(),
        StoredSession {
            server_url: format!("http://{addr}"),
            user: me,
            backend: None,
        },
    );
    engine.transport_open(now());
    let mut ready = Some(ready);
    let mut lat = Vec::with_capacity(n);
    let mut frames = Vec::new();
    loop {
        while let Some(o) = engine.poll_output() {
            match o {
                Output::Persist(c) => {
                    store.apply(&c).unwrap();
                    engine.persisted(&c);
                }
                Output::Send(f) => frames.push(serde_json::to_string(&f).unwrap()),
                _ => {}
            }
        }
        for f in frames.drain(..) {
            ws.send(WsMessage::text(f)).await.unwrap();
        }
        if engine.is_live() {
            if let Some(r) = ready.take() {
                let _ = r.send(());
            }
        }
        if lat.len() >= n {
            return lat;
        }
        let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await
        else {
            return lat;
        };
        let WsMessage::Text(text) = msg else {
            engine.heard(now());
            continue;
        };
        engine.handle_text(now(), &text);
        while let Some(o) = engine.poll_output() {
            match o {
                Output::Persist(c) => {
                    store.apply(&c).unwrap();
                    engine.persisted(&c);
                }
                Output::Send(f) => frames.push(serde_json::to_string(&f).unwrap()),
                _ => {}
            }
        }
        let t = Instant::now();
        if let Ok(ServerFrame::Event(e)) = serde_json::from_str::<ServerFrame>(&text) {
            if let Event::NotificationCreated { notification } = e.event {
                if let Some(t0) = sent.lock().unwrap().get(&notification.title) {
                    lat.push((t - *t0).as_secs_f64() * 1e3);
                }
            }
        }
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn latency() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::for_tests(Database::SqliteFile(dir.path().join("server.db")));
    cfg.outbound_queue = cfg.outbound_queue.max(10_000);
    let server = testing::spawn(cfg).await.unwrap();
    let alice = testing::add_user(&server, "alice", "pw").await.unwrap();
    let login = testing::login(server.addr, "alice", "pw").await.unwrap();
    let url = format!("http://{}", server.addr);

    // The full client.
    let store = SqliteStore::open(dir.path().join("client.db")).unwrap();
    let (handle, mut ui, _n) = Client::start(ClientConfig::default(), store).unwrap();
    handle
        .use_session(&url, login.user.clone(), login.token.clone())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !handle.debug_state().await.unwrap().live {
        assert!(Instant::now() < deadline, "client did not connect");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The raw hop.
    let mut raw = testing::WsClient::connect(server.addr, &login.token)
        .await
        .unwrap();
    raw.hello(None).await.unwrap();

    let sent: Sent = Arc::default();
    let n = 2000usize;
    // The engine on its own socket.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let engine_lat = tokio::spawn(engine_hop(
        server.addr,
        login.token.clone(),
        login.user.clone(),
        dir.path().join("engine.db"),
        sent.clone(),
        n,
        ready_tx,
    ));
    ready_rx.await.unwrap();
    let client_lat = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut lat = Vec::new();
            while lat.len() < n {
                let Ok(Some(batch)) =
                    tokio::time::timeout(Duration::from_secs(10), ui.recv()).await
                else {
                    break;
                };
                let t = Instant::now();
                for e in batch.events {
                    if let UiEvent::NotificationUpserted(nf) = e {
                        if let Some(t0) = sent.lock().unwrap().get(&nf.title) {
                            lat.push((t - *t0).as_secs_f64() * 1e3);
                        }
                    }
                }
            }
            lat
        })
    };
    let raw_lat = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut lat = Vec::new();
            while lat.len() < n {
                let Ok(ev) = raw.next_event().await else {
                    break;
                };
                let t = Instant::now();
                if let Event::NotificationCreated { notification } = ev.event {
                    if let Some(t0) = sent.lock().unwrap().get(&notification.title) {
                        lat.push((t - *t0).as_secs_f64() * 1e3);
                    }
                }
            }
            lat
        })
    };
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    for i in 0..n {
        tick.tick().await;
        let title = format!("n{i}");
        sent.lock().unwrap().insert(title.clone(), Instant::now());
        server
            .domain
            .publish_notification(PublishRequest {
                to: Audience::Users(vec![alice.id.clone()]),
                kind: NotificationKind::SystemAlert,
                title,
                body: String::new(),
                priority: 3,
                link: None,
                meta: Default::default(),
            })
            .await
            .unwrap();
    }
    let mut c = client_lat.await.unwrap();
    let mut r = raw_lat.await.unwrap();
    let mut e = engine_lat.await.unwrap();
    println!(
        "latency publish -> receiver at 1k/s over {n} events (same run, same server):\n  \
         raw tokio-tungstenite hop:                 p50 {:.2} ms  p99 {:.2} ms  ({} samples)\n  \
         engine emitted (applied + SQLite commit):  p50 {:.2} ms  p99 {:.2} ms  ({} samples)\n  \
         full client, UI batch delivered ({:?} frame interval, leading edge): p50 {:.2} ms  p99 {:.2} ms  ({} samples)",
        percentile(&mut r, 0.5),
        percentile(&mut r, 0.99),
        r.len(),
        percentile(&mut e, 0.5),
        percentile(&mut e, 0.99),
        e.len(),
        EngineConfig::default().frame_interval,
        percentile(&mut c, 0.5),
        percentile(&mut c, 0.99),
        c.len(),
    );
    println!(
        "ui batches: {}",
        handle.debug_state().await.unwrap().ui_batches
    );
    handle.shutdown().await.unwrap();
    server.shutdown().await;
}

fn main() {
    burst();
    resync();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(latency());
}
