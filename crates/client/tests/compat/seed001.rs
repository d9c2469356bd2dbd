//! Seed 001: chat + notifications on Django Channels (`/ws/notifications/`, `event_type`
//! frames, flat `new_message`, conversations over REST), through the `seed-001` profile.

use std::collections::HashSet;

use herald_client::store::{SqliteStore, Store};
use herald_protocol::ipc::{Delivery, EngineCommand, ViewState};
use serde_json::{json, Value};

use crate::backend::{wait_backend, Herald, PyBackend};
use crate::common::proxy::Proxy;

fn unread(v: &ViewState, room: &str) -> Option<u32> {
    v.rooms
        .iter()
        .find(|r| r.room.id == room)
        .map(|r| r.room.unread_count)
}

fn backend_unread(st: &Value, room: &str) -> Option<u64> {
    st["conversations"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == room)?["unread_count"]
        .as_u64()
}

async fn bob_writes(b: &PyBackend, text: &str) -> Value {
    b.post(
        "/_test/message",
        json!({"conversation_id": "conv_1", "sender": "bob", "text": text}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_sign_in_shows_conversations_with_unread_and_bell_items() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    // Given the backend holds two conversations and a system alert for alice
    b.post(
        "/_test/notify",
        json!({"user": "alice", "type": "system_alert", "title": "Maintenance", "content": "Tonight 22:00"}),
    )
    .await;
    // When alice signs in with the seed-001 profile
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "seed-001", "alice").await;
    // Then her conversations are rooms with the backend's unread counts, and the alert is in the bell
    let v = h.view().await;
    let st = b.state("alice").await;
    assert_eq!(
        unread(&v, "conv_1").map(u64::from),
        backend_unread(&st, "conv_1")
    );
    assert_eq!(unread(&v, "conv_1"), Some(1));
    assert!(unread(&v, "conv_2").is_some(), "{:?}", v.rooms);
    let conv1 = v.rooms.iter().find(|r| r.room.id == "conv_1").unwrap();
    assert_eq!(conv1.room.name, "Support: Acme");
    assert!(v
        .notifications
        .iter()
        .any(|n| n.title == "Maintenance" && !n.read));
    assert_eq!(v.notifications_unread, 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_live_message_notifies_natively_except_in_the_focused_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    let mut h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "seed-001", "alice").await;
    // When bob writes while alice's window is in the background
    h.handle.set_focus(false);
    bob_writes(&b, "Is the order shipped?").await;
    // Then the message arrives once, the conversation's badge goes up and a native notification shows
    let v = h
        .wait_view("bob's message", |v| unread(v, "conv_1") == Some(2))
        .await;
    let n = h.next_native().await;
    assert_eq!(n.room_id.as_deref(), Some("conv_1"));
    assert!(n.body.contains("Is the order shipped?"), "{n:?}");
    assert_eq!(
        v.rooms
            .iter()
            .find(|r| r.room.id == "conv_1")
            .and_then(|r| r.room.last_message.as_ref())
            .map(|m| m.text.as_str()),
        Some("Is the order shipped?")
    );
    // When alice opens that conversation with the window focused
    h.handle.set_focus(true);
    h.command(EngineCommand::OpenRoom {
        room_id: "conv_1".into(),
    })
    .await;
    // Then the read reaches the backend
    wait_backend(&b, "alice", "conv_1 read", |st| {
        backend_unread(st, "conv_1") == Some(0)
    })
    .await;
    // And a message in the conversation she is looking at shows without a native notification,
    // while one in another conversation still notifies (the seed's own rule)
    bob_writes(&b, "Tracking number 42").await;
    h.wait_view("the second message", |v| {
        v.messages.iter().any(|m| m.text == "Tracking number 42")
    })
    .await;
    b.post(
        "/_test/message",
        json!({"conversation_id": "conv_2", "sender": "carol", "text": "Lunch?"}),
    )
    .await;
    let n = h.next_native().await;
    assert_eq!(n.room_id.as_deref(), Some("conv_2"), "{n:?}");
    assert!(
        h.natives_so_far().is_empty(),
        "nothing else notified natively"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_sending_posts_once_and_the_echo_confirms_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "seed-001", "alice").await;
    let before = b.state("alice").await["messages_count"].as_u64().unwrap();
    // When alice sends in conv_1
    h.command(EngineCommand::OpenRoom {
        room_id: "conv_1".into(),
    })
    .await;
    h.command(EngineCommand::SendMessage {
        room_id: "conv_1".into(),
        text: "Shipped this morning".into(),
        reply_to: None,
    })
    .await;
    // Then it is delivered (the backend's id, not pending) exactly once, here and there
    let v = h
        .wait_view("the message delivered", |v| {
            v.messages
                .iter()
                .any(|m| m.text == "Shipped this morning" && m.delivery == Delivery::Sent)
        })
        .await;
    assert_eq!(
        v.messages
            .iter()
            .filter(|m| m.text == "Shipped this morning")
            .count(),
        1,
        "{:?}",
        v.messages
    );
    let mine = v
        .messages
        .iter()
        .find(|m| m.text == "Shipped this morning")
        .unwrap();
    assert!(
        mine.id.as_deref().unwrap_or("").starts_with("msg_"),
        "{mine:?}"
    );
    assert_eq!(
        b.state("alice").await["messages_count"].as_u64().unwrap(),
        before + 1
    );
    assert_eq!(h.handle.debug_state().await.unwrap().outbox, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_mark_all_read_reaches_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    for i in 0..3 {
        b.post(
            "/_test/notify",
            json!({"user": "alice", "type": "system_alert", "title": format!("Alert {i}"), "content": "x"}),
        )
        .await;
    }
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "seed-001", "alice").await;
    assert_eq!(h.view().await.notifications_unread, 3);
    h.command(EngineCommand::MarkAllNotificationsRead).await;
    h.wait_view("the bell at zero", |v| v.notifications_unread == 0)
        .await;
    wait_backend(&b, "alice", "every notification read", |st| {
        st["notifications"]
            .as_array()
            .is_some_and(|a| a.len() == 3 && a.iter().all(|n| n["read"] == true))
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_messages_written_while_away_and_across_a_backend_restart_arrive_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = PyBackend::start("001", &dir.path().join("backend"));
    let proxy = Proxy::start(format!("127.0.0.1:{}", b.port).parse().unwrap()).await;
    let db = dir.path().join("c.db");
    let mut h = Herald::sign_in(&db, &proxy.url(), "seed-001", "alice").await;
    h.open_room("conv_1").await;
    h.handle.set_focus(false);
    bob_writes(&b, "before").await;
    h.wait_view("the first message", |v| {
        v.messages.iter().any(|m| m.text == "before")
    })
    .await;
    let before_native = h.next_native().await;
    assert!(before_native.body.contains("before"), "{before_native:?}");
    // When the network drops, the backend restarts and bob writes three messages meanwhile
    proxy.set_down(true);
    b.restart();
    for i in 0..3 {
        bob_writes(&b, &format!("while away {i}")).await;
    }
    proxy.set_down(false);
    // Then after the reconnect every one of them is there, once, in order
    h.wait_live().await;
    h.wait_view("the catch-up", |v| {
        v.messages.iter().any(|m| m.text == "while away 2")
    })
    .await;
    bob_writes(&b, "after").await;
    h.wait_view("the live message after", |v| {
        v.messages.iter().any(|m| m.text == "after")
    })
    .await;
    let backend: Vec<String> = b
        .get_as(&h.token, "/api/conversations/conv_1/messages?limit=100")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(backend.len() >= 8, "{backend:?}");
    let stored: Vec<String> = SqliteStore::open(&db)
        .unwrap()
        .messages_before("conv_1", None, 10_000)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "a message twice: {stored:?}");
    for id in &backend {
        assert!(
            stored.contains(id),
            "{id} missing: {stored:?} vs {backend:?}"
        );
    }
    let texts: Vec<String> = h
        .view()
        .await
        .messages
        .iter()
        .filter(|m| m.room_id == "conv_1")
        .map(|m| m.text.clone())
        .collect();
    let tail: Vec<&str> = texts
        .iter()
        .rev()
        .take(5)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "before",
            "while away 0",
            "while away 1",
            "while away 2",
            "after"
        ]
    );
    // And no message was shown natively twice ("before" not again after the reconnect)
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let natives = h.natives_so_far();
    let bodies: Vec<&str> = natives.iter().map(|n| n.body.as_str()).collect();
    assert!(
        !bodies.iter().any(|b| b.contains("before")),
        "shown again: {bodies:?}"
    );
    let ids: HashSet<&str> = natives.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids.len(), natives.len(), "{natives:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_a_refused_token_signs_out_instead_of_retrying_forever() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    let db = dir.path().join("c.db");
    Herald::sign_in(&db, &b.url(), "seed-001", "alice")
        .await
        .shutdown()
        .await;
    // When the app starts again and the kept token is no longer accepted (a forged one here)
    let h = Herald::start_refused(&db, "not.a.jwt");
    // Then Herald shows the sign-in form again
    h.wait_view("signed out", |v| {
        matches!(v.session, herald_protocol::ipc::Session::SignedOut { .. })
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_a_quiet_healthy_socket_is_kept_not_reconnected() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    let proxy = Proxy::start(format!("127.0.0.1:{}", b.port).parse().unwrap()).await;
    let h = Herald::sign_in(&dir.path().join("c.db"), &proxy.url(), "seed-001", "alice").await;
    let opened = proxy.ws_upgrades();
    // When nothing happens for several liveness windows (500 ms + 1.5 s each; daphne itself
    // pings only every 20 s)
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    // Then the one socket is still the same: Herald's probes kept it known alive
    assert!(h.handle.debug_state().await.unwrap().live);
    assert_eq!(
        proxy.ws_upgrades(),
        opened,
        "the socket was replaced while healthy"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed001_a_silent_half_open_socket_is_noticed_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("001", &dir.path().join("backend"));
    let proxy = Proxy::start(format!("127.0.0.1:{}", b.port).parse().unwrap()).await;
    let h = Herald::sign_in(&dir.path().join("c.db"), &proxy.url(), "seed-001", "alice").await;
    h.open_room("conv_1").await;
    // When the network silently drops every byte (the TCP connection stays up)
    proxy.blackhole(true);
    bob_writes(&b, "into the void").await;
    // Then Herald notices within its liveness window instead of showing "Connected" forever
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let st = h.handle.debug_state().await.unwrap();
        if !st.live {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still live on a dead socket: {st:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And once the network is back it reconnects and catches up what it missed
    proxy.blackhole(false);
    proxy.cut_all();
    h.wait_live().await;
    h.wait_view("the message sent while the socket was dead", |v| {
        v.messages.iter().any(|m| m.text == "into the void")
    })
    .await;
    h.shutdown().await;
}
