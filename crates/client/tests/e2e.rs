//! The client against the real herald-server, in-process, on loopback, with real SQLite files.
//! Every wait is bounded; a TCP proxy between them cuts or black-holes connections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use herald_client::driver::{DebugState, Started};
use herald_client::engine::EngineConfig;
use herald_client::store::{SqliteStore, Store};
use herald_client::{Client, ClientConfig, ClientHandle};
use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::{Audience, NotificationKind, PublishRequest, Room, RoomKind, User};
use herald_server::config::{Config, Database};
use herald_server::server::RunningServer;
use herald_server::testing;

mod common;
use common::proxy::Proxy;

const WAIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Helpers

fn server_config(db: &Path) -> Config {
    let mut c = Config::for_tests(Database::SqliteFile(db.to_path_buf()));
    c.ping_interval = Duration::from_millis(500);
    c
}

async fn seed(server: &RunningServer) -> (User, User, Room) {
    let alice = testing::add_user(server, "alice", "pw").await.unwrap();
    let bob = testing::add_user(server, "bob", "pw").await.unwrap();
    let room = server
        .domain
        .create_room(
            "Job #12",
            RoomKind::Job,
            &[alice.id.clone(), bob.id.clone()],
        )
        .await
        .unwrap();
    (alice, bob, room)
}

fn fast_engine() -> EngineConfig {
    let mut cfg = EngineConfig::default();
    cfg.connection.backoff_min = Duration::from_millis(20);
    cfg.connection.backoff_max = Duration::from_millis(200);
    cfg.connection.connect_timeout = Duration::from_secs(2);
    cfg.connection.ping_interval = Duration::from_millis(500);
    cfg.connection.liveness_grace = Duration::from_millis(1000);
    cfg
}

async fn start_client(db: &Path, url: &str, user: &User, cfg: EngineConfig) -> Started {
    let login = testing::login(
        url.trim_start_matches("http://").parse().unwrap(),
        &user.id,
        "pw",
    )
    .await
    .unwrap();
    let store = SqliteStore::open(db).unwrap();
    let started = Client::start(
        ClientConfig {
            token: None,
            engine: cfg,
            recent_messages: 50,
            ..Default::default()
        },
        store,
    )
    .unwrap();
    started.0.use_session(url, login.user, login.token).unwrap();
    started
}

async fn wait_for(
    handle: &ClientHandle,
    what: &str,
    pred: impl Fn(&DebugState) -> bool,
) -> DebugState {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let st = handle.debug_state().await.unwrap();
        if pred(&st) {
            return st;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the client is live with an empty outbox and has applied the server's head.
async fn wait_settled(handle: &ClientHandle, server: &RunningServer, user: &User) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let st = handle.debug_state().await.unwrap();
        let head = server_head(server, user).await;
        if st.live && st.outbox == 0 && st.durable.as_ref().map(|p| p.seq) == Some(head) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "client did not settle: {st:?} head {head}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The head of `user`'s stream, from a fresh protocol session.
async fn server_head(server: &RunningServer, user: &User) -> u64 {
    let login = testing::login(server.addr, &user.id, "pw").await.unwrap();
    let mut ws = testing::WsClient::connect(server.addr, &login.token)
        .await
        .unwrap();
    let (welcome, _) = ws.hello(None).await.unwrap();
    welcome.seq
}

async fn server_history(
    server: &RunningServer,
    user: &User,
    room: &str,
) -> Vec<herald_protocol::wire::Message> {
    let mut all = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = server
            .domain
            .history(user, room, before.as_deref(), 100)
            .await
            .unwrap();
        let mut items = page.items;
        if items.is_empty() {
            break;
        }
        before = items.first().map(|m| m.id.clone());
        items.append(&mut all);
        all = items;
        if !page.has_more {
            break;
        }
    }
    all
}

fn client_messages(db: &Path, room: &str) -> Vec<herald_protocol::wire::Message> {
    SqliteStore::open(db)
        .unwrap()
        .messages_before(room, None, 1_000_000)
        .unwrap()
}

/// Server state == client store: same message ids in the same order, no duplicates; same
/// notification ids and read flags; nothing left in the outbox.
async fn assert_store_matches_server(db: &Path, server: &RunningServer, user: &User, room: &str) {
    let server_msgs = server_history(server, user, room).await;
    let client_msgs = client_messages(db, room);
    let s_ids: Vec<_> = server_msgs.iter().map(|m| m.id.clone()).collect();
    let c_ids: Vec<_> = client_msgs.iter().map(|m| m.id.clone()).collect();
    assert_eq!(c_ids.len(), s_ids.len(), "message count differs");
    assert_eq!(c_ids, s_ids, "client messages differ from the server's");
    let stored = SqliteStore::open(db).unwrap().load(0).unwrap();
    assert!(
        stored.outbox.is_empty(),
        "outbox not empty: {:?}",
        stored.outbox
    );
    let server_notifs = server
        .domain
        .notifications(user, None, 1000, false)
        .await
        .unwrap()
        .items;
    let s: HashMap<_, _> = server_notifs
        .iter()
        .map(|n| (n.id.clone(), n.read))
        .collect();
    let c: HashMap<_, _> = stored
        .notifications
        .iter()
        .map(|n| (n.id.clone(), n.read))
        .collect();
    assert_eq!(c, s, "notifications differ");
}

fn publish(to: &User, i: usize) -> PublishRequest {
    PublishRequest {
        to: Audience::Users(vec![to.id.clone()]),
        kind: NotificationKind::LowStock,
        title: format!("Low stock {i}"),
        body: "SKU".into(),
        priority: 3,
        link: None,
        meta: Default::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_and_sends_against_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = testing::spawn(server_config(&dir.path().join("server.db")))
        .await
        .unwrap();
    let (alice, bob, room) = seed(&server).await;
    let url = format!("http://{}", server.addr);
    let db = dir.path().join("client.db");
    // given a client signed in over HTTP
    let store = SqliteStore::open(&db).unwrap();
    let (handle, mut ui, mut native) = Client::start(
        ClientConfig {
            engine: fast_engine(),
            ..Default::default()
        },
        store,
    )
    .unwrap();
    let login = handle.login(&url, "alice", "pw").await.unwrap();
    assert_eq!(login.user.id, alice.id);
    wait_for(&handle, "live", |s| s.live).await;
    // when bob writes and a notification is published, and alice sends
    server
        .domain
        .send_message(&bob, &room.id, None, "hi alice", None)
        .await
        .unwrap();
    server
        .domain
        .publish_notification(publish(&alice, 0))
        .await
        .unwrap();
    handle
        .command(EngineCommand::SendMessage {
            room_id: room.id.clone(),
            text: "hi bob".into(),
            reply_to: None,
        })
        .await
        .unwrap();
    wait_settled(&handle, &server, &alice).await;
    // then a native notification was requested for bob's message and the bell item
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.len() < 2 && tokio::time::Instant::now() < deadline {
        if let Ok(Some(n)) = tokio::time::timeout(Duration::from_millis(100), native.recv()).await {
            got.push(n);
        }
    }
    assert_eq!(got.len(), 2, "{got:?}");
    let mut batches = 0;
    while ui.try_recv().is_ok() {
        batches += 1;
    }
    assert!(batches > 0);
    handle.shutdown().await.unwrap();
    // and the store equals the server's state
    assert_store_matches_server(&db, &server, &alice, &room.id).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_nothing_duplicated_when_the_server_restarts_mid_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    let server = testing::spawn(server_config(&server_db)).await.unwrap();
    let (alice, bob, room) = seed(&server).await;
    let proxy = Proxy::start(server.addr).await;
    let db = dir.path().join("client.db");
    let (handle, _ui, _n) = start_client(&db, &proxy.url(), &alice, fast_engine()).await;
    wait_for(&handle, "live", |s| s.live).await;
    // given traffic in both directions
    let domain = server.domain.clone();
    let (bob2, room_id) = (bob.clone(), room.id.clone());
    let alice2 = alice.clone();
    let publisher = tokio::spawn(async move {
        for i in 0..100 {
            let _ = domain
                .send_message(&bob2, &room_id, None, &format!("bob {i}"), None)
                .await;
            let _ = domain.publish_notification(publish(&alice2, i)).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    for i in 0..30 {
        handle
            .command(EngineCommand::SendMessage {
                room_id: room.id.clone(),
                text: format!("alice {i}"),
                reply_to: None,
            })
            .await
            .unwrap();
    }
    // when the server is killed mid-traffic and restarted on the same database
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = publisher.await;
    server.shutdown().await;
    for i in 30..60 {
        handle
            .command(EngineCommand::SendMessage {
                room_id: room.id.clone(),
                text: format!("alice {i}"),
                reply_to: None,
            })
            .await
            .unwrap();
    }
    let server = testing::spawn(server_config(&server_db)).await.unwrap();
    proxy.set_upstream(server.addr);
    for i in 100..150 {
        server
            .domain
            .send_message(&bob, &room.id, None, &format!("bob {i}"), None)
            .await
            .unwrap();
    }
    // then the client settles with exactly the server's state
    wait_settled(&handle, &server, &alice).await;
    handle.shutdown().await.unwrap();
    assert_store_matches_server(&db, &server, &alice, &room.id).await;
    let history = server_history(&server, &alice, &room.id).await;
    let mine: Vec<_> = history
        .iter()
        .filter(|m| m.sender.id == alice.id)
        .map(|m| m.text.clone())
        .collect();
    let unique: HashSet<_> = mine.iter().cloned().collect();
    assert_eq!(mine.len(), 60, "each of alice's 60 messages exactly once");
    assert_eq!(unique.len(), 60);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_two_hundred_random_connection_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let server = testing::spawn(server_config(&dir.path().join("server.db")))
        .await
        .unwrap();
    let (alice, bob, room) = seed(&server).await;
    let proxy = Proxy::start(server.addr).await;
    let db = dir.path().join("client.db");
    let (handle, _ui, _n) = start_client(&db, &proxy.url(), &alice, fast_engine()).await;
    wait_for(&handle, "live", |s| s.live).await;
    let domain = server.domain.clone();
    let (bob2, room_id) = (bob.clone(), room.id.clone());
    let publisher = tokio::spawn(async move {
        for i in 0..300 {
            domain
                .send_message(&bob2, &room_id, None, &format!("bob {i}"), None)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    // when 200 cuts hit at pseudo-random points while both sides send
    let mut seed = 0x1234_5678u64;
    for i in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if i % 4 == 0 {
            handle
                .command(EngineCommand::SendMessage {
                    room_id: room.id.clone(),
                    text: format!("alice {i}"),
                    reply_to: None,
                })
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(seed % 40)).await;
        proxy.cut_all();
    }
    publisher.await.unwrap();
    // then it settles with exactly the server's state
    wait_settled(&handle, &server, &alice).await;
    handle.shutdown().await.unwrap();
    assert_store_matches_server(&db, &server, &alice, &room.id).await;
    let history = server_history(&server, &alice, &room.id).await;
    assert_eq!(
        history.iter().filter(|m| m.sender.id == alice.id).count(),
        50
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detects_a_black_holed_connection_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = testing::spawn(server_config(&dir.path().join("server.db")))
        .await
        .unwrap();
    let (alice, bob, room) = seed(&server).await;
    let proxy = Proxy::start(server.addr).await;
    let db = dir.path().join("client.db");
    let (handle, _ui, _n) = start_client(&db, &proxy.url(), &alice, fast_engine()).await;
    wait_for(&handle, "live", |s| s.live).await;
    // when the network silently drops everything (half-open socket)
    proxy.blackhole(true);
    server
        .domain
        .send_message(&bob, &room.id, None, "during the outage", None)
        .await
        .unwrap();
    // then the client notices within ping interval + grace
    wait_for(&handle, "dead socket detected", |s| !s.live).await;
    // and once the network is back it resumes and gets the message
    proxy.blackhole(false);
    proxy.cut_all();
    wait_settled(&handle, &server, &alice).await;
    handle.shutdown().await.unwrap();
    assert!(client_messages(&db, &room.id)
        .iter()
        .any(|m| m.text == "during the outage"));
    assert_store_matches_server(&db, &server, &alice, &room.id).await;
    server.shutdown().await;
}

#[test]
fn a_client_killed_mid_send_resends_each_outbox_message_exactly_once() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("client.db");
    let server = server_rt
        .block_on(testing::spawn(server_config(&dir.path().join("server.db"))))
        .unwrap();
    let (alice, _bob, room) = server_rt.block_on(seed(&server));
    let url = format!("http://{}", server.addr);
    // given a client that queues 40 sends and is killed (runtime dropped, no shutdown)
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (handle, _ui, _n) = start_client(&db, &url, &alice, fast_engine()).await;
            wait_for(&handle, "live", |s| s.live).await;
            for i in 0..40 {
                handle
                    .command(EngineCommand::SendMessage {
                        room_id: room.id.clone(),
                        text: format!("m{i}"),
                        reply_to: None,
                    })
                    .await
                    .unwrap();
            }
        });
        rt.shutdown_background();
    }
    // when it restarts from its SQLite file
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (handle, _ui, _n) = start_client(&db, &url, &alice, fast_engine()).await;
        wait_settled(&handle, &server, &alice).await;
        handle.shutdown().await.unwrap();
    });
    // then every message is on the server exactly once
    let history = server_rt.block_on(server_history(&server, &alice, &room.id));
    let mut texts: Vec<_> = history.iter().map(|m| m.text.clone()).collect();
    texts.sort();
    let mut expected: Vec<_> = (0..40).map(|i| format!("m{i}")).collect();
    expected.sort();
    assert_eq!(texts, expected);
    server_rt.block_on(assert_store_matches_server(&db, &server, &alice, &room.id));
    server_rt.block_on(server.shutdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_detects_a_herald_server_and_nothing_at_a_closed_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = testing::spawn(server_config(&dir.path().join("server.db")))
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    assert_eq!(
        herald_client::backend::detect::detect(&url).await,
        vec!["herald".to_owned()]
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert!(
        herald_client::backend::detect::detect(&format!("http://127.0.0.1:{port}"))
            .await
            .is_empty()
    );
}

/// A SQLite store that refuses every write while `full` is set, as a full disk does.
struct FullDisk {
    inner: SqliteStore,
    full: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Store for FullDisk {
    fn load(
        &self,
        recent: usize,
    ) -> Result<herald_client::store::StoredState, herald_client::store::StoreError> {
        self.inner.load(recent)
    }

    fn apply(
        &mut self,
        changes: &herald_client::store::Changes,
    ) -> Result<(), herald_client::store::StoreError> {
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(herald_client::store::StoreError::Database(Box::new(
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                    Some("database or disk is full".into()),
                ),
            )));
        }
        self.inner.apply(changes)
    }

    fn messages_before(
        &self,
        room_id: &str,
        before: Option<(herald_protocol::Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<herald_protocol::wire::Message>, herald_client::store::StoreError> {
        self.inner.messages_before(room_id, before, limit)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_loses_nothing_and_sends_nothing_unstored_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = testing::spawn(server_config(&dir.path().join("server.db")))
        .await
        .unwrap();
    let (alice, bob, room) = seed(&server).await;
    let url = format!("http://{}", server.addr);
    let db = dir.path().join("client.db");
    let full = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = |token: Option<String>| {
        let store = FullDisk {
            inner: SqliteStore::open(&db).unwrap(),
            full: full.clone(),
        };
        Client::start(
            ClientConfig {
                engine: fast_engine(),
                token,
                ..Default::default()
            },
            store,
        )
        .unwrap()
    };
    let (handle, _ui, _native) = start(None);
    let login = handle.login(&url, "alice", "pw").await.unwrap();
    wait_settled(&handle, &server, &alice).await;
    // When the disk fills up, bob writes and alice sends
    full.store(true, std::sync::atomic::Ordering::SeqCst);
    for i in 0..3 {
        server
            .domain
            .send_message(&bob, &room.id, None, &format!("bob {i}"), None)
            .await
            .unwrap();
    }
    handle
        .command(EngineCommand::SendMessage {
            room_id: room.id.clone(),
            text: "written on a full disk".into(),
            reply_to: None,
        })
        .await
        .unwrap();
    // Then the person is told, and alice's message does not leave unstored
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(herald_protocol::ipc::UiReply::ViewState(v)) =
            handle.command(EngineCommand::GetViewState).await
        {
            if v.storage_problem.is_some() {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no storage problem shown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let texts = |msgs: &[herald_protocol::wire::Message]| {
        msgs.iter().map(|m| m.text.clone()).collect::<Vec<_>>()
    };
    assert!(
        !texts(&server_history(&server, &alice, &room.id).await)
            .contains(&"written on a full disk".to_owned()),
        "sent before it was stored"
    );
    // When space comes back, it is stored, then sent once
    full.store(false, std::sync::atomic::Ordering::SeqCst);
    wait_settled(&handle, &server, &alice).await;
    let sent = texts(&server_history(&server, &alice, &room.id).await);
    assert_eq!(
        sent.iter()
            .filter(|t| *t == "written on a full disk")
            .count(),
        1,
        "{sent:?}"
    );
    // When the disk fills again, bob writes more, and the app quits before space comes back
    full.store(true, std::sync::atomic::Ordering::SeqCst);
    for i in 3..6 {
        server
            .domain
            .send_message(&bob, &room.id, None, &format!("bob {i}"), None)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = handle.shutdown().await;
    // Then after a restart with space, it resumes from what was written and holds everything
    full.store(false, std::sync::atomic::Ordering::SeqCst);
    let (handle, _ui, _native) = start(Some(login.token));
    wait_settled(&handle, &server, &alice).await;
    handle.shutdown().await.unwrap();
    assert_store_matches_server(&db, &server, &alice, &room.id).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_after_too_many_wrong_passwords_says_how_long_to_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_config(&dir.path().join("server.db"));
    config.login.free_failures_per_user = 2;
    config.login.first_wait = Duration::from_secs(90);
    let server = testing::spawn(config).await.unwrap();
    seed(&server).await;
    let url = format!("http://{}", server.addr);
    for _ in 0..2 {
        let e = herald_client::login::login(&url, "alice", "guess")
            .await
            .unwrap_err();
        assert_eq!(e.code, herald_protocol::ipc::ErrorCode::WrongPassword);
    }
    let e = herald_client::login::login(&url, "alice", "pw")
        .await
        .unwrap_err();
    assert_eq!(e.code, herald_protocol::ipc::ErrorCode::RateLimited);
    assert!(e.message.contains("Wait 90 seconds"), "{}", e.message);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_outlives_its_first_token_by_renewing_it_on_the_open_socket() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_config(&dir.path().join("server.db"));
    config.token_ttl = Duration::from_secs(6);
    let server = testing::spawn(config).await.unwrap();
    let (alice, bob, room) = seed(&server).await;
    let url = format!("http://{}", server.addr);
    let renewed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = renewed.clone();
    let (handle, _ui, _native) = Client::start(
        ClientConfig {
            engine: fast_engine(),
            on_token_renewed: Some(herald_client::TokenSink(std::sync::Arc::new(
                move |t: &str| sink.lock().unwrap().push(t.to_owned()),
            ))),
            ..Default::default()
        },
        SqliteStore::open(dir.path().join("client.db")).unwrap(),
    )
    .unwrap();
    handle.login(&url, "alice", "pw").await.unwrap();
    wait_for(&handle, "live", |s| s.live).await;
    // Well past the first token's lifetime, the same socket still receives.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let renewals = renewed.lock().unwrap().len();
    assert!(renewals >= 3, "renewed {renewals} times");
    server
        .domain
        .send_message(&bob, &room.id, None, "still there?", None)
        .await
        .unwrap();
    wait_settled(&handle, &server, &alice).await;
    // After a server restart it reconnects with the newest token, not the expired first one.
    let db = dir.path().join("server.db");
    let addr = server.addr;
    server.shutdown().await;
    let mut config = server_config(&db);
    config.token_ttl = Duration::from_secs(6);
    config.bind = addr;
    let server = testing::spawn(config).await.unwrap();
    wait_settled(&handle, &server, &alice).await;
    server.shutdown().await;
}
