//! Seed 003: Artchive's unified consumer on Django Channels (`/ws/realtime/` carrying
//! notification messages and friend-request updates; mark read / mark all read over the
//! socket), through the `artchive` profile.

use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::{FriendRequestStatus, NotificationKind};
use serde_json::{json, Value};

use crate::backend::{wait_backend, Herald, PyBackend};

fn is_read(st: &Value, id: u64) -> Option<bool> {
    st["notifications"]
        .as_array()?
        .iter()
        .find(|n| n["id"] == id)?["is_read"]
        .as_bool()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artchive_sign_in_shows_the_bell_and_the_pending_friend_request() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "artchive", "alice").await;
    let v = h.view().await;
    assert_eq!(v.notifications_unread, 2, "{:#?}", v.notifications);
    assert!(v
        .notifications
        .iter()
        .any(|n| n.kind == NotificationKind::FriendRequest && !n.read));
    let fr = v
        .friend_requests
        .iter()
        .find(|r| r.id == "1")
        .expect("request 1");
    assert_eq!(fr.status, FriendRequestStatus::Pending);
    assert_eq!(fr.from.name, "bob");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artchive_notifications_and_friend_requests_arrive_live_on_the_one_socket() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let mut h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "artchive", "alice").await;
    // When carol sends alice a friend request
    b.post(
        "/_test/friend_request",
        json!({"from_user": "carol", "to_user": "alice"}),
    )
    .await;
    // Then the friend requests page and the bell both have it, and it shows natively
    let v = h
        .wait_view("carol's request", |v| {
            v.friend_requests.iter().any(|r| r.from.name == "carol") && v.notifications_unread == 3
        })
        .await;
    let fr = v
        .friend_requests
        .iter()
        .find(|r| r.from.name == "carol")
        .unwrap();
    assert_eq!(fr.status, FriendRequestStatus::Pending);
    let native = h.next_native().await;
    assert!(native.notification_id.is_some(), "{native:?}");
    // When bob likes her artwork
    b.post(
        "/_test/notify",
        json!({"user": "alice", "notification_type": "Like", "message": "bob liked Sunset", "sender": "bob"}),
    )
    .await;
    let v = h
        .wait_view("the like", |v| {
            v.notifications.iter().any(|n| n.body == "bob liked Sunset")
        })
        .await;
    assert_eq!(v.notifications_unread, 4);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artchive_mark_read_and_mark_all_read_go_over_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "artchive", "alice").await;
    // When alice reads notification 1
    h.command(EngineCommand::MarkNotificationRead {
        notification_id: "1".into(),
    })
    .await;
    // Then the backend has it read and Herald shows the backend's count
    wait_backend(&b, "alice", "1 read", |st| is_read(st, 1) == Some(true)).await;
    h.wait_view("one unread", |v| v.notifications_unread == 1)
        .await;
    // When she marks all read
    h.command(EngineCommand::MarkAllNotificationsRead).await;
    wait_backend(&b, "alice", "all read", |st| {
        st["notifications"]
            .as_array()
            .is_some_and(|a| a.iter().all(|n| n["is_read"] == true))
    })
    .await;
    let v = h
        .wait_view("the bell at zero", |v| v.notifications_unread == 0)
        .await;
    assert!(v.notifications.iter().all(|n| n.read));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artchive_accepting_a_request_updates_both_and_tells_the_sender() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let alice = Herald::sign_in(&dir.path().join("a.db"), &b.url(), "artchive", "alice").await;
    let mut bob = Herald::sign_in(&dir.path().join("b.db"), &b.url(), "artchive", "bob").await;
    // When alice accepts bob's request
    alice
        .command(EngineCommand::RespondFriendRequest {
            request_id: "1".into(),
            accept: true,
        })
        .await;
    // Then both see it accepted, and bob gets the 'Friend Request Accepted' notification
    alice
        .wait_view("accepted for alice", |v| {
            v.friend_requests
                .iter()
                .any(|r| r.id == "1" && r.status == FriendRequestStatus::Accepted)
        })
        .await;
    let v = bob
        .wait_view("accepted for bob", |v| {
            v.friend_requests
                .iter()
                .any(|r| r.id == "1" && r.status == FriendRequestStatus::Accepted)
                && v.notifications
                    .iter()
                    .any(|n| n.kind == NotificationKind::FriendRequestAccepted)
        })
        .await;
    assert!(v.notifications_unread >= 1);
    let native = bob.next_native().await;
    assert!(native.notification_id.is_some(), "{native:?}");
    let st = b.state("alice").await;
    assert_eq!(st["friend_requests"][0]["status"], "accepted", "{st:#}");
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artchive_a_token_pasted_from_the_web_app_signs_in_and_a_forged_one_does_not() {
    use herald_protocol::ipc::{ErrorCode, Session};

    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    // The token alice's browser holds after the web app's own sign-in (an SSO page, say)
    let web = b
        .call(
            reqwest::Method::POST,
            None,
            "/api/auth/login/",
            Some(serde_json::json!({"username": "alice", "password": crate::backend::PASSWORD})),
        )
        .await;
    let token = web["access"].as_str().unwrap().to_owned();
    // When alice pastes it into Herald (with the stray whitespace a copy brings)
    let h = Herald::paste_token(
        &dir.path().join("a.db"),
        &b.url(),
        "artchive",
        &format!("  {token}\n"),
    )
    .await
    .unwrap();
    // Then she is signed in as herself, and her bell is there as with a password
    h.wait_live().await;
    let v = h.view().await;
    assert!(
        matches!(&v.session, Session::SignedIn { user, .. } if user.id == "1"),
        "{:?}",
        v.session
    );
    assert_eq!(v.notifications_unread, 2);
    h.shutdown().await;
    // When the pasted text is not a token at all, she is told so at once
    let err = Herald::paste_token(
        &dir.path().join("b.db"),
        &b.url(),
        "artchive",
        "hello there",
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(err.code, ErrorCode::InvalidInput);
    // When it looks like a token but the backend did not sign it (tampered signature), the
    // backend refuses it and the sign-in form shows again
    let forged = format!("{}x", token.trim_end_matches(|c: char| c != '.'));
    let h = Herald::paste_token(&dir.path().join("c.db"), &b.url(), "artchive", &forged)
        .await
        .unwrap();
    h.wait_view("signed out", |v| {
        matches!(v.session, Session::SignedOut { .. })
    })
    .await;
    h.shutdown().await;
}
