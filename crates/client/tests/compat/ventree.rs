//! Seed 002: Ventree shop notifications on Socket.IO v4 (`auth: {token}`, `notification`
//! events, REST per shop), through the `ventree` profile.

use herald_protocol::ipc::{EngineCommand, Session};
use herald_protocol::wire::NotificationKind;
use serde_json::{json, Value};

use crate::backend::{wait_backend, Herald, PyBackend};

const ALICE: &str = "alice@example.com";

fn is_read(st: &Value, id: &str) -> Option<bool> {
    st["notifications"]
        .as_array()?
        .iter()
        .find(|n| n["_id"] == id)?["isRead"]
        .as_bool()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ventree_sign_in_reads_every_shop_and_a_live_event_notifies_with_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("002", &dir.path().join("backend"));
    // When alice, owner of two shops, signs in
    let mut h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "ventree", ALICE).await;
    // Then the bell holds both shops' notifications with the backend's unread count
    let v = h.view().await;
    let ids: Vec<&str> = v.notifications.iter().map(|n| n.id.as_str()).collect();
    for id in ["n1", "n2", "n3"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(v.notifications_unread, 2);
    let n3 = v.notifications.iter().find(|n| n.id == "n3").unwrap();
    assert_eq!(n3.kind, NotificationKind::OutOfStock);
    assert_eq!(n3.meta.get("shop_id"), Some(&json!("s2")));
    // When stock runs low in the second shop
    let sent = b
        .post(
            "/_test/emit",
            json!({"shopId": "s2", "type": "low_stock", "title": "Low stock: Milk",
                   "message": "3 left in Harbour", "meta": {"productName": "Milk", "quantity": 3}}),
        )
        .await;
    let id = sent["_id"].as_str().unwrap().to_owned();
    // Then it is in the bell (a low-stock item, unread) and shows natively, once
    let v = h
        .wait_view("the live notification", |v| {
            v.notifications.iter().any(|n| n.id == id)
        })
        .await;
    let n = v.notifications.iter().find(|n| n.id == id).unwrap();
    assert_eq!(n.kind, NotificationKind::LowStock);
    assert!(!n.read);
    assert_eq!(v.notifications_unread, 3);
    let native = h.next_native().await;
    assert_eq!(native.notification_id.as_deref(), Some(id.as_str()));
    assert_eq!(native.title, "Low stock: Milk");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(h.natives_so_far().is_empty(), "shown twice");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ventree_mark_read_reaches_the_backend_and_the_count_is_right_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("002", &dir.path().join("backend"));
    let db = dir.path().join("c.db");
    let h = Herald::sign_in(&db, &b.url(), "ventree", ALICE).await;
    // When alice marks n1 read in Herald
    h.command(EngineCommand::MarkNotificationRead {
        notification_id: "n1".into(),
    })
    .await;
    // Then the backend has it read (PATCH in n1's own shop)
    wait_backend(&b, "u1", "n1 read", |st| is_read(st, "n1") == Some(true)).await;
    h.wait_view("one unread", |v| v.notifications_unread == 1)
        .await;
    let token = h.token.clone();
    h.shutdown().await;
    // And while Herald is closed, the web app marks n3 read and a sale completes
    b.patch_as(
        &token,
        "/v1/notifications?shopId=s2&notificationId=n3",
        json!({"isRead": true}),
    )
    .await;
    let sale = b
        .post(
            "/_test/emit",
            json!({"shopId": "s1", "type": "sale_completed", "title": "Sale", "message": "₦12,000", "meta": {"amount": 12000}}),
        )
        .await;
    // Then after a restart Herald shows exactly the backend's state
    let h = Herald::restart_from(&db, token).await;
    let v = h
        .wait_view("the state after the restart", |v| {
            v.notifications.iter().any(|n| n.id == sale["_id"])
        })
        .await;
    let read = |id: &str| v.notifications.iter().find(|n| n.id == id).map(|n| n.read);
    assert_eq!(read("n1"), Some(true));
    assert_eq!(read("n3"), Some(true), "a read made elsewhere is applied");
    assert_eq!(v.notifications_unread, 1, "{:#?}", v.notifications);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ventree_mark_all_read_marks_every_unread_notification_in_its_own_shop() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("002", &dir.path().join("backend"));
    let h = Herald::sign_in(&dir.path().join("c.db"), &b.url(), "ventree", ALICE).await;
    // The backend has no mark-all endpoint: Herald marks each one
    h.command(EngineCommand::MarkAllNotificationsRead).await;
    h.wait_view("the bell at zero", |v| v.notifications_unread == 0)
        .await;
    wait_backend(&b, "u1", "all read", |st| {
        st["notifications"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|n| n["isRead"] == true))
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ventree_a_socket_refused_as_unauthorized_signs_out() {
    let dir = tempfile::tempdir().unwrap();
    let b = PyBackend::start("002", &dir.path().join("backend"));
    let db = dir.path().join("c.db");
    Herald::sign_in(&db, &b.url(), "ventree", ALICE)
        .await
        .shutdown()
        .await;
    // When the app starts again and the Socket.IO server refuses its token
    // (ConnectionRefusedError on connect)
    let h = Herald::start_refused(&db, "forged");
    // Then Herald asks to sign in again rather than retrying forever
    h.wait_view("signed out", |v| {
        matches!(v.session, Session::SignedOut { .. })
    })
    .await;
    h.shutdown().await;
}
