//! Seed 004 as it runs today: no socket for the user, `/ws/job_chat/<room>/` per room, the
//! room list over REST `GET /chat/rooms/` (polled), through the `ecleaner-asis` profile. Herald
//! holds a room's socket only while that room needs it; the backend counts them.

use std::path::Path;

use herald_protocol::ipc::{Delivery, EngineCommand, ViewState};
use serde_json::{json, Value};

use crate::backend::{wait_backend, Herald, PyBackend};
use crate::common::proxy::Proxy;

/// The built-in profile with another poll interval: 3600 s shows what the room sockets alone
/// deliver, 1 s what the poll alone does, without waiting out the built-in 30 s.
fn asis_polling_every(dir: &Path, secs: u64) -> String {
    let (_, text) = herald_client::backend::profile::BUILTIN
        .iter()
        .find(|(n, _)| *n == "ecleaner-asis")
        .unwrap();
    let text = text.replace("poll_secs = 30", &format!("poll_secs = {secs}"));
    assert!(text.contains(&format!("poll_secs = {secs}")));
    let path = dir.join(format!("ecleaner-asis-{secs}.toml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn unread(v: &ViewState, room: &str) -> Option<u32> {
    v.rooms
        .iter()
        .find(|r| r.room.id == room)
        .map(|r| r.room.unread_count)
}

fn texts_in(v: &ViewState, room: &str) -> Vec<String> {
    v.messages
        .iter()
        .filter(|m| m.room_id == room)
        .map(|m| m.text.clone())
        .collect()
}

fn room_sockets(st: &Value) -> Value {
    st["room_sockets"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_asis_chat_runs_on_the_open_rooms_socket_and_holds_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    // A poll too slow to matter: what arrives here came over a room socket
    let profile = asis_polling_every(dir.path(), 3600);
    let mut alice = Herald::sign_in(&dir.path().join("a.db"), &b.url(), &profile, "alice").await;
    let bob = Herald::sign_in(&dir.path().join("b.db"), &b.url(), &profile, "bob").await;
    let v = alice
        .wait_view("the room list", |v| v.rooms.len() == 2)
        .await;
    assert_eq!(
        unread(&v, "5"),
        Some(2),
        "unread counts from GET /chat/rooms/"
    );
    assert_eq!(
        room_sockets(&b.state("alice").await),
        json!({}),
        "no room socket yet"
    );
    // When both open job 5
    alice.open_room("5").await;
    bob.open_room("5").await;
    wait_backend(&b, "alice", "two sockets on room 5", |st| {
        room_sockets(st) == json!({"5": 2})
    })
    .await;
    // Then bob's typing and message reach alice over the room's socket
    // (typing is momentary: sent only once bob's room socket is ready, so he types again
    // until alice sees it, as a person typing on would)
    let mut seen = false;
    for _ in 0..40 {
        for typing in [false, true] {
            bob.command(EngineCommand::SetTyping {
                room_id: "5".into(),
                typing,
            })
            .await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let v = alice.view().await;
        if v.rooms
            .iter()
            .any(|r| r.room.id == "5" && r.typing.iter().any(|u| u.name == "bob"))
        {
            seen = true;
            break;
        }
    }
    assert!(seen, "alice never saw bob typing");
    let before = b.state("alice").await["messages_count"].as_u64().unwrap();
    bob.command(EngineCommand::SendMessage {
        room_id: "5".into(),
        text: "On my way".into(),
        reply_to: None,
    })
    .await;
    alice
        .wait_view("bob's message", |v| {
            texts_in(v, "5").contains(&"On my way".to_owned())
        })
        .await;
    bob.wait_view("bob's message delivered", |v| {
        v.messages
            .iter()
            .any(|m| m.text == "On my way" && m.delivery == Delivery::Sent)
    })
    .await;
    // When alice leaves the room and writes to job 12, which is not open anywhere
    alice.command(EngineCommand::CloseRoom).await;
    wait_backend(&b, "alice", "alice's room 5 socket closed", |st| {
        room_sockets(st) == json!({"5": 1})
    })
    .await;
    alice
        .command(EngineCommand::SendMessage {
            room_id: "12".into(),
            text: "Can you come at 9?".into(),
            reply_to: None,
        })
        .await;
    // Then it is sent over room 12's socket, which closes once the echo confirmed it
    wait_backend(&b, "alice", "alice's message stored", |st| {
        st["messages_count"].as_u64() == Some(before + 2)
    })
    .await;
    wait_backend(&b, "alice", "room 12's socket closed again", |st| {
        room_sockets(st) == json!({"5": 1})
    })
    .await;
    alice.open_room("12").await;
    alice
        .wait_view("alice's message delivered", |v| {
            v.messages
                .iter()
                .filter(|m| m.text == "Can you come at 9?")
                .map(|m| &m.delivery)
                .eq([&Delivery::Sent])
        })
        .await;
    assert_eq!(
        b.state("alice").await["messages_count"].as_u64(),
        Some(before + 2),
        "each message stored once"
    );
    assert!(
        alice
            .natives_so_far()
            .iter()
            .all(|n| n.room_id.as_deref() != Some("5")),
        "no notification for the room alice was looking at"
    );
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_asis_a_message_in_a_closed_room_arrives_by_the_room_list_poll() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let profile = asis_polling_every(dir.path(), 1);
    let mut alice = Herald::sign_in(&dir.path().join("a.db"), &b.url(), &profile, "alice").await;
    alice.handle.set_focus(false);
    let v = alice
        .wait_view("the room list", |v| v.rooms.len() == 2)
        .await;
    let unread_before = unread(&v, "12").unwrap();
    // When carol writes in job 12 while alice has no room open
    b.post(
        "/_test/message",
        json!({"room_id": 12, "sender": "carol", "content": "The keys are under the mat"}),
    )
    .await;
    // Then the next poll brings the unread count and one native notification, for that
    // message only (not the room's older history)
    let n = alice.next_native().await;
    assert_eq!(n.room_id.as_deref(), Some("12"));
    assert!(n.body.contains("The keys are under the mat"), "{n:?}");
    alice
        .wait_view("the new count", |v| {
            unread(v, "12") == Some(unread_before + 1)
        })
        .await;
    // And later polls repeat nothing
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(alice.natives_so_far().is_empty(), "notified once");
    assert_eq!(
        room_sockets(&b.state("alice").await),
        json!({}),
        "no room socket was opened"
    );
    // And opening the room shows the message once
    alice.open_room("12").await;
    let v = alice
        .wait_view("carol's message", |v| {
            texts_in(v, "12").contains(&"The keys are under the mat".to_owned())
        })
        .await;
    assert_eq!(
        texts_in(&v, "12")
            .iter()
            .filter(|t| *t == "The keys are under the mat")
            .count(),
        1
    );
    alice.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_asis_the_open_room_survives_a_backend_restart_with_nothing_lost_or_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = PyBackend::start("004", &dir.path().join("backend"));
    let profile = asis_polling_every(dir.path(), 3600);
    let alice = Herald::sign_in(&dir.path().join("a.db"), &b.url(), &profile, "alice").await;
    alice.open_room("12").await;
    wait_backend(&b, "alice", "room 12's socket", |st| {
        room_sockets(st) == json!({"12": 1})
    })
    .await;
    let before = b.state("alice").await["messages_count"].as_u64().unwrap();
    // When the backend restarts and carol writes before alice's room socket is back
    b.restart();
    b.post(
        "/_test/message",
        json!({"room_id": 12, "sender": "carol", "content": "Sure"}),
    )
    .await;
    // Then the reopened socket's read brings carol's message, once
    alice
        .wait_view("carol's message", |v| {
            texts_in(v, "12").contains(&"Sure".to_owned())
        })
        .await;
    wait_backend(&b, "alice", "room 12's socket again", |st| {
        room_sockets(st) == json!({"12": 1})
    })
    .await;
    // And alice's answer goes over it
    alice
        .command(EngineCommand::SendMessage {
            room_id: "12".into(),
            text: "Thanks".into(),
            reply_to: None,
        })
        .await;
    alice
        .wait_view("alice's answer delivered", |v| {
            v.messages
                .iter()
                .any(|m| m.text == "Thanks" && m.delivery == Delivery::Sent)
        })
        .await;
    let v = alice.view().await;
    let texts = texts_in(&v, "12");
    for t in ["Sure", "Thanks"] {
        assert_eq!(texts.iter().filter(|x| *x == t).count(), 1, "{texts:?}");
    }
    assert_eq!(
        b.state("alice").await["messages_count"].as_u64(),
        Some(before + 2)
    );
    alice.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_asis_a_refused_token_shows_the_sign_in_form() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let db = dir.path().join("a.db");
    Herald::sign_in(&db, &b.url(), "ecleaner-asis", "alice")
        .await
        .shutdown()
        .await;
    // When the kept token is no longer accepted: the polled room list answers 401
    let h = Herald::start_refused(&db, "not.a.jwt");
    // Then the sign-in form shows, offering the same backend again
    let v = h
        .wait_view("signed out", |v| {
            matches!(v.session, herald_protocol::ipc::Session::SignedOut { .. })
        })
        .await;
    assert_eq!(v.backend.kind, "ecleaner-asis");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_asis_a_quiet_account_keeps_its_stream_and_its_open_rooms_socket() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let proxy = Proxy::start(format!("127.0.0.1:{}", b.port).parse().unwrap()).await;
    let profile = asis_polling_every(dir.path(), 3600);
    let alice = Herald::sign_in(&dir.path().join("a.db"), &proxy.url(), &profile, "alice").await;
    alice.open_room("12").await;
    wait_backend(&b, "alice", "room 12's socket", |st| {
        room_sockets(st) == json!({"12": 1})
    })
    .await;
    let opened = proxy.ws_upgrades();
    assert_eq!(opened, 1, "one socket: the open room's");
    // When nothing happens for several liveness windows (500 ms ping + 1.5 s grace here)
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    // Then the polled stream was kept alive by Herald's own heartbeat: no reconnect, so the
    // room's socket was never closed and reopened either
    assert!(alice.handle.debug_state().await.unwrap().live);
    assert_eq!(proxy.ws_upgrades(), opened, "the room socket was replaced");
    alice.shutdown().await;
}
