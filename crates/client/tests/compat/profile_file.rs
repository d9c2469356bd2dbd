//! A backend Herald has no built-in profile for, connected by a profile file a team writes
//! (docs/backends.md): here a notifications-only view of the Artchive backend, written from
//! scratch with its own names, as another Django Channels team would write one.

use herald_client::store::SqliteStore;
use herald_client::{Client, ClientConfig};
use herald_protocol::ipc::EngineCommand;
use herald_protocol::ipc::ErrorCode;
use serde_json::json;

use crate::backend::{wait_backend, Herald, PyBackend, PASSWORD};

const HELPDESK: &str = r#"
name = "acme-helpdesk"
transport = "websocket"

[login]
path = "/api/auth/login/"
body = { username = "{username}", password = "{password}" }
token = "access"
user_id = "user.id"
user_name = "user.username"

[socket]
url = "/ws/realtime/?token={token}"
discriminator = "type"

[[socket.on]]
when = "notification_message"
do = "notification"
at = "notification"

[[socket.on]]
when = "notification_read"
do = "notification_read"
id = "notification_id"

[rest]
headers = { Authorization = "Bearer {token}" }

[notification]
id = "id"
title = "=Helpdesk"
body = "message"
read = "is_read"
created_at = "created_at"

[sync.notifications]
path = "/api/notifications/"
at = "results"

[actions.mark_notification_read]
frame = { type = "mark_as_read", notification_id = "{id:int}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_file_connects_a_backend_herald_has_no_code_for() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let file = dir.path().join("acme-helpdesk.toml");
    std::fs::write(&file, HELPDESK).unwrap();
    // When alice signs in with the team's file
    let h = Herald::sign_in(
        &dir.path().join("c.db"),
        &b.url(),
        file.to_str().unwrap(),
        "alice",
    )
    .await;
    // Then the bell holds the backend's notifications under the file's names
    let v = h.view().await;
    assert_eq!(v.notifications.len(), 3, "{:#?}", v.notifications);
    assert!(v.notifications.iter().all(|n| n.title == "Helpdesk"));
    assert_eq!(v.notifications_unread, 2);
    // And a live one arrives, and reading it reaches the backend over the socket
    b.post(
        "/_test/notify",
        json!({"user": "alice", "notification_type": "Comment", "message": "Ticket 7 answered"}),
    )
    .await;
    let v = h
        .wait_view("the live notification", |v| {
            v.notifications
                .iter()
                .any(|n| n.body == "Ticket 7 answered")
        })
        .await;
    let id = v
        .notifications
        .iter()
        .find(|n| n.body == "Ticket 7 answered")
        .unwrap()
        .id
        .clone();
    h.command(EngineCommand::MarkNotificationRead {
        notification_id: id.clone(),
    })
    .await;
    let want: u64 = id.parse().unwrap();
    wait_backend(&b, "alice", "the new one read", |st| {
        st["notifications"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n["id"] == want && n["is_read"] == true))
    })
    .await;
    // And mark all read, which the file does not describe, is done item by item
    h.command(EngineCommand::MarkAllNotificationsRead).await;
    wait_backend(&b, "alice", "all read", |st| {
        st["notifications"]
            .as_array()
            .is_some_and(|a| a.len() == 4 && a.iter().all(|n| n["is_read"] == true))
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_file_with_a_typo_is_refused_at_sign_in_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, HELPDESK.replace("discriminator", "discriminater")).unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let (handle, _ui, _native) = Client::start(ClientConfig::default(), store).unwrap();
    let err = handle
        .login_to(
            "http://127.0.0.1:9",
            Some(file.to_str().unwrap()),
            "alice",
            PASSWORD,
        )
        .await
        .expect_err("a broken profile cannot sign in");
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("broken.toml"), "{}", err.message);
    assert!(err.message.contains("discriminater"), "{}", err.message);
    handle.shutdown().await.unwrap();
}

/// The Artchive backend signed in to the way its web frontend does: Django's session cookie
/// and CSRF token (channels' AuthMiddlewareStack on the socket), no token anywhere.
const ARTCHIVE_SESSION: &str = r#"
name = "artchive-session"
transport = "websocket"

[login]
path = "/api/auth/session/"
body = { username = "{username}", password = "{password}" }
user_id = "user.id"
user_name = "user.username"

[login.session]
csrf_from = "/api/auth/csrf/"

[socket]
url = "/ws/realtime/"
headers = { Cookie = "{token}" }
discriminator = "type"

[[socket.on]]
when = "notification_message"
do = "notification"
at = "notification"

[[socket.on]]
when = "friend_request_update"
do = "friend_request"
at = "friend_request"

[rest]
headers = { Cookie = "{token}", X-CSRFToken = "{csrf}" }

[notification]
id = "id"
title = "notification_type"
body = "message"
read = "is_read"
created_at = "created_at"

[friend_request]
id = "id"
from_id = "from_user.id"
from_name = "from_user.username"
to_id = "to_user.id"
to_name = "to_user.username"
status = "status"
created_at = "created_at"

[sync.notifications]
path = "/api/notifications/"
at = "results"
unread = "unread_count"

[sync.friend_requests]
path = "/api/friend-requests/"
at = "results"

[actions.mark_notification_read]
frame = { type = "mark_as_read", notification_id = "{id:int}" }

[actions.accept_friend_request]
method = "POST"
path = "/api/friend-requests/{request_id}/accept/"

[actions.decline_friend_request]
method = "POST"
path = "/api/friend-requests/{request_id}/decline/"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_django_session_cookie_sign_in_carries_the_socket_and_csrf_checked_writes() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("003", &dir.path().join("backend"));
    let file = dir.path().join("artchive-session.toml");
    std::fs::write(&file, ARTCHIVE_SESSION).unwrap();
    // When alice signs in with her username and password, as on the web
    let h = Herald::sign_in(
        &dir.path().join("c.db"),
        &b.url(),
        file.to_str().unwrap(),
        "alice",
    )
    .await;
    // Then the kept credential is the session cookie, and the socket accepted it
    assert!(h.token.contains("sessionid="), "{}", h.token);
    assert!(h.token.contains("csrftoken="), "{}", h.token);
    let v = h.view().await;
    assert_eq!(v.notifications_unread, 2);
    b.post(
        "/_test/notify",
        json!({"user": "alice", "notification_type": "Like", "message": "carol liked Dawn"}),
    )
    .await;
    h.wait_view("the live notification", |v| {
        v.notifications.iter().any(|n| n.body == "carol liked Dawn")
    })
    .await;
    // And a REST write passes Django's CSRF check: accepting bob's request reaches the backend
    h.command(EngineCommand::RespondFriendRequest {
        request_id: "1".into(),
        accept: true,
    })
    .await;
    wait_backend(&b, "alice", "request 1 accepted", |st| {
        st["friend_requests"][0]["status"] == "accepted"
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_seed_backend_is_detected_from_its_address_alone() {
    let dir = tempfile::tempdir().unwrap();
    let expected: [(&str, &[&str]); 4] = [
        ("001", &["seed-001"]),
        ("002", &["ventree"]),
        ("003", &["artchive"]),
        // Both E-Cleaner shapes read the same REST: the unified one first, the other named
        ("004", &["ecleaner", "ecleaner-asis"]),
    ];
    for (seed, names) in expected {
        let b = PyBackend::start(seed, &dir.path().join(seed));
        let found = herald_client::backend::detect::detect(&b.url()).await;
        assert_eq!(found, names.to_vec(), "seed {seed}");
    }
}
