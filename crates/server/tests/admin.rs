//! Setting a team up: the admin API (service key) and `herald-server admin`, against a real
//! server; every change reaches the affected users' live sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use herald_protocol::wire::{Event, NotificationKind, Room, User};
use herald_server::testing;

const KEY: &str = "test-service-key";

async fn admin_post(
    addr: std::net::SocketAddr,
    path: &str,
    key: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_sign_in_and_nobody_else_can() {
    let w = world().await;
    let addr = w.server.addr;
    let new = serde_json::json!({"username": "dana", "name": "Dana", "password": "correct horse"});
    assert_eq!(
        admin_post(addr, "/api/admin/users", "wrong-key", new.clone())
            .await
            .status(),
        401
    );
    assert_eq!(
        admin_post(addr, "/api/admin/users", &w.alice.token, new.clone())
            .await
            .status(),
        401,
        "a user's token is not the service key"
    );
    let res = admin_post(addr, "/api/admin/users", KEY, new.clone()).await;
    assert_eq!(res.status(), 201);
    let user: User = res.json().await.unwrap();
    assert_eq!((user.id.as_str(), user.name.as_str()), ("dana", "Dana"));
    assert!(testing::login(addr, "dana", "correct horse").await.is_ok());
    assert_eq!(
        admin_post(addr, "/api/admin/users", KEY, new)
            .await
            .status(),
        409,
        "taken"
    );
    for bad in [
        serde_json::json!({"username": "Eve Smith", "name": "Eve", "password": "long enough"}),
        serde_json::json!({"username": "eve", "name": "Eve", "password": "short"}),
        serde_json::json!({"username": "eve", "name": " ", "password": "long enough"}),
    ] {
        assert_eq!(
            admin_post(addr, "/api/admin/users", KEY, bad.clone())
                .await
                .status(),
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_room_created_by_an_admin_reaches_its_members_live_with_a_new_conversation_notice() {
    let w = world().await;
    let mut carol = connect(&w, &w.carol).await;
    let res = admin_post(
        w.server.addr,
        "/api/admin/rooms",
        KEY,
        serde_json::json!({"name": "Job #7", "kind": "job", "members": ["alice", "carol"]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let room: Room = res.json().await.unwrap();
    let mut saw_room = false;
    let mut saw_notice = false;
    for _ in 0..4 {
        let ev = carol.next_event().await.unwrap();
        match ev.event {
            Event::RoomCreated { room: r } => saw_room |= r.id == room.id,
            Event::NotificationCreated { notification: n } => {
                saw_notice |= n.kind == NotificationKind::NewConversation
                    && n.link.as_ref().and_then(|l| l.room_id.as_deref()) == Some(&room.id)
            }
            _ => {}
        }
        if saw_room && saw_notice {
            break;
        }
    }
    assert!(
        saw_room && saw_notice,
        "room {saw_room}, notice {saw_notice}"
    );
    // Bob is not a member: his rooms do not change.
    let bob_rooms = w.server.domain.rooms(&w.bob.user).await.unwrap();
    assert!(bob_rooms.iter().all(|r| r.id != room.id));
    let unknown = admin_post(
        w.server.addr,
        "/api/admin/rooms",
        KEY,
        serde_json::json!({"name": "X", "kind": "general", "members": ["nobody"]}),
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

fn admin_cli(addr: std::net::SocketAddr, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-server"))
        .arg("admin")
        .args(["--server", &format!("http://{addr}")])
        .args(args)
        .env("HERALD_SERVICE_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_command_adds_a_user_and_a_room_on_a_running_server() {
    let w = world().await;
    let addr = w.server.addr;
    let run = |args: Vec<&'static str>, stdin: &'static str| {
        tokio::task::spawn_blocking(move || admin_cli(addr, &args, stdin))
    };
    let (ok, out) = run(
        vec!["add-user", "--username", "erin", "--name", "Erin"],
        "a long password\n",
    )
    .await
    .unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("created user erin"), "{out}");
    assert!(testing::login(addr, "erin", "a long password")
        .await
        .is_ok());
    let (ok, out) = run(vec!["users"], "").await.unwrap();
    assert!(
        ok && out.contains("erin\tErin") && out.contains("alice"),
        "{out}"
    );
    let (ok, out) = run(
        vec![
            "add-room",
            "--name",
            "Support",
            "--kind",
            "support",
            "--member",
            "erin,alice",
        ],
        "",
    )
    .await
    .unwrap();
    assert!(ok && out.contains("with 2 member(s)"), "{out}");
    let (ok, out) = run(vec!["add-user", "--username", "erin"], "another one\n")
        .await
        .unwrap();
    assert!(
        !ok && out.contains("409"),
        "a second erin is refused: {out}"
    );
}
