//! Seed 004: E-Cleaner job chat on the proposed unified Django Channels socket
//! `/ws/user/<id>/` (room list with unread counts on connect, messages, unread updates,
//! typing; history over REST), through the `ecleaner` profile.

use std::collections::HashSet;

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

fn backend_unread(st: &Value, room: u64) -> Option<u64> {
    st["rooms"].as_array()?.iter().find(|r| r["id"] == room)?["unread_count"].as_u64()
}

fn texts_in(v: &ViewState, room: &str) -> Vec<String> {
    v.messages
        .iter()
        .filter(|m| m.room_id == room)
        .map(|m| m.text.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_room_list_on_connect_gives_job_rooms_with_their_unread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "ecleaner", "alice").await;
    let v = h.wait_view("the room list", |v| v.rooms.len() >= 2).await;
    let ids: HashSet<&str> = v.rooms.iter().map(|r| r.room.id.as_str()).collect();
    assert_eq!(ids, HashSet::from(["5", "12"]), "only alice's rooms");
    assert_eq!(unread(&v, "5"), Some(2));
    let room5 = v.rooms.iter().find(|r| r.room.id == "5").unwrap();
    assert_eq!(room5.room.members.len(), 2);
    // Ordered by activity: the view's newest-first order matches the backend's updated_at
    let mut by_activity: Vec<_> = v
        .rooms
        .iter()
        .map(|r| (r.room.updated_at, r.room.id.clone()))
        .collect();
    by_activity.sort_by(|a, b| b.cmp(a));
    let listed: Vec<Value> = b
        .get_as(&h.token, "/chat/rooms/")
        .await
        .as_array()
        .unwrap()
        .clone();
    let backend_order: Vec<String> = listed.iter().map(|r| r["id"].to_string()).collect();
    assert_eq!(
        by_activity
            .into_iter()
            .map(|(_, id)| id)
            .collect::<Vec<_>>(),
        backend_order
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_scrolling_up_pages_history_back_to_the_first_message() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "ecleaner", "alice").await;
    h.command(EngineCommand::OpenRoom {
        room_id: "5".into(),
    })
    .await;
    // Scroll up until the room says there is nothing older (bounded: 60 messages, pages >= 20)
    for _ in 0..10 {
        let v = h.view().await;
        let room = v.rooms.iter().find(|r| r.room.id == "5").unwrap();
        if !room.has_more && !texts_in(&v, "5").is_empty() {
            break;
        }
        h.command(EngineCommand::LoadOlder {
            room_id: "5".into(),
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let v = h
        .wait_view("all 60 messages", |v| texts_in(v, "5").len() == 60)
        .await;
    let ids: Vec<&str> = v
        .messages
        .iter()
        .filter(|m| m.room_id == "5")
        .filter_map(|m| m.id.as_deref())
        .collect();
    let unique: HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), 60, "no message twice");
    let mut sorted = v
        .messages
        .iter()
        .filter(|m| m.room_id == "5")
        .map(|m| m.created_at)
        .collect::<Vec<_>>();
    let shown = sorted.clone();
    sorted.sort();
    assert_eq!(shown, sorted, "oldest first");
    assert!(!v.rooms.iter().find(|r| r.room.id == "5").unwrap().has_more);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_two_people_chat_with_typing_unread_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("004", &dir.path().join("backend"));
    let mut alice = Herald::sign_in(&dir.path().join("a.db"), &b.url(), "ecleaner", "alice").await;
    let bob = Herald::sign_in(&dir.path().join("b.db"), &b.url(), "ecleaner", "bob").await;
    alice.handle.set_focus(false);
    let before = b.state("alice").await["messages_count"].as_u64().unwrap();
    bob.command(EngineCommand::OpenRoom {
        room_id: "5".into(),
    })
    .await;
    // When bob types in job 5
    bob.command(EngineCommand::SetTyping {
        room_id: "5".into(),
        typing: true,
    })
    .await;
    // Then alice sees him typing there
    alice
        .wait_view("bob typing", |v| {
            v.rooms
                .iter()
                .any(|r| r.room.id == "5" && r.typing.iter().any(|u| u.name == "bob"))
        })
        .await;
    // When bob sends
    bob.command(EngineCommand::SendMessage {
        room_id: "5".into(),
        text: "On my way, 10 minutes".into(),
        reply_to: None,
    })
    .await;
    // Then alice's badge goes up, a native notification shows, and bob's copy is delivered
    alice
        .wait_view("bob's message", |v| unread(v, "5") == Some(3))
        .await;
    let n = alice.next_native().await;
    assert_eq!(n.room_id.as_deref(), Some("5"));
    bob.wait_view("bob's message delivered", |v| {
        v.messages
            .iter()
            .any(|m| m.text == "On my way, 10 minutes" && m.delivery == Delivery::Sent)
    })
    .await;
    // When alice opens the room and answers
    alice.handle.set_focus(true);
    alice
        .command(EngineCommand::OpenRoom {
            room_id: "5".into(),
        })
        .await;
    wait_backend(&b, "alice", "room 5 read", |st| {
        backend_unread(st, 5) == Some(0)
    })
    .await;
    alice
        .wait_view("room 5 read", |v| unread(v, "5") == Some(0))
        .await;
    alice
        .command(EngineCommand::SendMessage {
            room_id: "5".into(),
            text: "Great, the door code is 1234".into(),
            reply_to: None,
        })
        .await;
    bob.wait_view("alice's answer", |v| {
        texts_in(v, "5")
            .iter()
            .any(|t| t == "Great, the door code is 1234")
    })
    .await;
    // Then the backend stored exactly the two messages
    wait_backend(&b, "alice", "two new messages", |st| {
        st["messages_count"].as_u64() == Some(before + 2)
    })
    .await;
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecleaner_a_message_sent_while_offline_goes_once_after_the_backend_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = PyBackend::start("004", &dir.path().join("backend"));
    let proxy = Proxy::start(format!("127.0.0.1:{}", b.port).parse().unwrap()).await;
    let h = Herald::sign_in(&dir.path().join("c.db"), &proxy.url(), "ecleaner", "alice").await;
    h.open_room("12").await;
    let before = b.state("alice").await["messages_count"].as_u64().unwrap();
    // When the network is down and the backend restarts, alice writes and carol writes
    proxy.set_down(true);
    h.command(EngineCommand::SendMessage {
        room_id: "12".into(),
        text: "Can you come at 9?".into(),
        reply_to: None,
    })
    .await;
    let v = h.view().await;
    assert!(v
        .messages
        .iter()
        .any(|m| m.text == "Can you come at 9?" && m.delivery == Delivery::Pending));
    b.restart();
    b.post(
        "/_test/message",
        json!({"room_id": 12, "sender": "carol", "content": "Sure"}),
    )
    .await;
    proxy.set_down(false);
    // Then alice's message is sent once and carol's arrives, each once
    h.wait_view("sent after the reconnect", |v| {
        v.messages
            .iter()
            .any(|m| m.text == "Can you come at 9?" && m.delivery == Delivery::Sent)
    })
    .await;
    h.wait_view("carol's message", |v| {
        texts_in(v, "12").iter().any(|t| t == "Sure")
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let v = h.view().await;
    let texts = texts_in(&v, "12");
    assert_eq!(
        texts.iter().filter(|t| *t == "Can you come at 9?").count(),
        1,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| *t == "Sure").count(),
        1,
        "{texts:?}"
    );
    assert_eq!(
        b.state("alice").await["messages_count"].as_u64(),
        Some(before + 2),
        "the backend stored alice's message once"
    );
    h.shutdown().await;
}
