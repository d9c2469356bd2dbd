//! One conformance suite for the `Store` trait, run against every implementation: SQLite on a
//! file, SQLite in memory, and PostgreSQL (a real server per test, see
//! `common/postgres_server.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/postgres_server.rs"]
mod postgres_server;

use std::sync::Arc;
use std::time::Duration;

use herald_protocol::wire::{Event, NotificationKind, NotificationPatch, RoomKind};
use herald_server::config::{Database, Retention};
use herald_server::error::Error;
use herald_server::store::{NewMessage, NewNotification, NewUser, PgStore, SqliteStore, Store};
use postgres_server::PostgresServer;

async fn with_users(store: Arc<dyn Store>) -> Arc<dyn Store> {
    for u in ["alice", "bob", "carol"] {
        let user = NewUser {
            id: u.into(),
            username: u.into(),
            name: u.to_uppercase(),
            password_hash: "x".into(),
        };
        store.ensure_user(&user).await.unwrap();
    }
    store
}

fn msg(room: &str, cid: Option<&str>, text: &str) -> NewMessage {
    NewMessage {
        room_id: room.into(),
        client_msg_id: cid.map(Into::into),
        text: text.into(),
        reply_to: None,
    }
}

fn note(title: &str) -> NewNotification {
    NewNotification {
        kind: NotificationKind::LowStock,
        title: title.into(),
        body: String::new(),
        priority: 3,
        link: None,
        meta: Default::default(),
    }
}

async fn events_have_gapless_seqs_per_user_in_one_stable_epoch(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let head0 = s.stream_head("alice").await.unwrap();
    assert_eq!(head0.head, 0);
    let (room, created) = s
        .create_room("r", RoomKind::General, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|c| c.seq == 1));
    let sent = s
        .send_message("alice", &msg(&room.id, Some("c1"), "hi"))
        .await
        .unwrap();
    assert_eq!(
        sent.events.iter().map(|c| c.seq).collect::<Vec<_>>(),
        vec![2, 2]
    );
    s.create_notifications(&["bob".into()], &note("n"))
        .await
        .unwrap();
    let bob = s.events_after("bob", 0, 100).await.unwrap();
    assert_eq!(bob.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(matches!(bob[2].event, Event::NotificationCreated { .. }));
    assert_eq!(s.events_after("bob", 2, 100).await.unwrap().len(), 1);
    let head = s.stream_head("alice").await.unwrap();
    assert_eq!((head.epoch.as_str(), head.head), (head0.epoch.as_str(), 2));
    assert_ne!(
        s.stream_head("bob").await.unwrap().epoch,
        "",
        "every user has an epoch"
    );
}

async fn send_is_idempotent_on_sender_and_client_msg_id(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let (room, _) = s
        .create_room("r", RoomKind::Job, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    let a = s
        .send_message("alice", &msg(&room.id, Some("same"), "once"))
        .await
        .unwrap();
    let b = s
        .send_message("alice", &msg(&room.id, Some("same"), "once"))
        .await
        .unwrap();
    assert!(!a.duplicate && b.duplicate);
    assert_eq!(a.message, b.message);
    assert!(b.events.is_empty());
    let c = s
        .send_message("bob", &msg(&room.id, Some("same"), "other sender"))
        .await
        .unwrap();
    assert!(!c.duplicate, "the key is per sender");
    assert_eq!(
        s.history("alice", &room.id, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

async fn only_members_reach_a_room(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let (room, _) = s
        .create_room("r", RoomKind::Support, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    assert!(matches!(
        s.send_message("carol", &msg(&room.id, None, "x")).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        s.history("carol", &room.id, None, 10).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        s.room_for("carol", &room.id).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        s.room_for("alice", "nope").await,
        Err(Error::NotFound(_))
    ));
    assert!(s.rooms_for("carol").await.unwrap().is_empty());
    let n = s
        .create_notifications(&["bob".into()], &note("mine"))
        .await
        .unwrap()
        .0;
    let patch = NotificationPatch {
        read: Some(true),
        ..Default::default()
    };
    assert!(matches!(
        s.update_notification("alice", &n[0].id, &patch).await,
        Err(Error::NotFound(_))
    ));
}

async fn unread_counts_follow_messages_and_read_marks(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let (room, _) = s
        .create_room("r", RoomKind::Job, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    let m1 = s
        .send_message("alice", &msg(&room.id, None, "1"))
        .await
        .unwrap()
        .message;
    s.send_message("alice", &msg(&room.id, None, "2"))
        .await
        .unwrap();
    assert_eq!(s.room_for("bob", &room.id).await.unwrap().unread_count, 2);
    assert_eq!(s.room_for("alice", &room.id).await.unwrap().unread_count, 0);
    let (read, events) = s.mark_room_read("bob", &room.id, &m1.id).await.unwrap();
    assert_eq!(read.unread_count, 1);
    assert!(matches!(*events[0].event, Event::RoomRead(_)));
    assert_eq!(s.room_for("bob", &room.id).await.unwrap().unread_count, 1);
}

async fn a_snoozed_notification_is_not_counted_unread_until_its_time(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let n = s
        .create_notifications(&["bob".into()], &note("a"))
        .await
        .unwrap()
        .0;
    s.create_notifications(&["bob".into()], &note("b"))
        .await
        .unwrap();
    assert_eq!(
        s.snapshot("bob", 100).await.unwrap().notifications.unread,
        2
    );
    let now = time::OffsetDateTime::now_utc();
    let later = NotificationPatch {
        snoozed_until: Some(now + time::Duration::hours(1)),
        ..Default::default()
    };
    s.update_notification("bob", &n[0].id, &later)
        .await
        .unwrap();
    assert_eq!(
        s.snapshot("bob", 100).await.unwrap().notifications.unread,
        1,
        "snoozed: left out"
    );
    let over = NotificationPatch {
        snoozed_until: Some(now - time::Duration::minutes(1)),
        ..Default::default()
    };
    s.update_notification("bob", &n[0].id, &over).await.unwrap();
    assert_eq!(
        s.snapshot("bob", 100).await.unwrap().notifications.unread,
        2,
        "a snooze that is over counts again"
    );
}

async fn snapshot_is_the_state_at_its_seq(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    let (room, _) = s
        .create_room("r", RoomKind::Job, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    s.send_message("alice", &msg(&room.id, None, "hello"))
        .await
        .unwrap();
    s.create_notifications(&["bob".into(), "alice".into()], &note("a"))
        .await
        .unwrap();
    s.create_friend_request("carol", "bob").await.unwrap();
    let snap = s.snapshot("bob", 100).await.unwrap();
    assert_eq!(snap.seq, s.stream_head("bob").await.unwrap().head);
    assert_eq!(snap.rooms.len(), 1);
    assert_eq!(snap.rooms[0].last_message.as_ref().unwrap().text, "hello");
    assert_eq!(
        snap.notifications.unread, 2,
        "the publish and the friend request"
    );
    assert_eq!(snap.friend_requests.len(), 1);
    s.mark_all_notifications_read("bob").await.unwrap();
    assert_eq!(
        s.snapshot("bob", 100).await.unwrap().notifications.unread,
        0
    );
}

async fn accepting_a_friend_request_creates_a_direct_room_and_a_notification(
    store: Arc<dyn Store>,
) {
    let s = with_users(store).await;
    let (req, _) = s.create_friend_request("carol", "bob").await.unwrap();
    assert!(matches!(
        s.respond_friend_request("carol", &req.id, true).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        s.create_friend_request("bob", "carol").await,
        Err(Error::Conflict(_))
    ));
    let (done, events) = s
        .respond_friend_request("bob", &req.id, true)
        .await
        .unwrap();
    assert_eq!(
        done.status,
        herald_protocol::wire::FriendRequestStatus::Accepted
    );
    let carol: Vec<_> = events
        .iter()
        .filter(|c| c.user_id == "carol")
        .map(|c| &*c.event)
        .collect();
    assert!(carol
        .iter()
        .any(|e| matches!(e, Event::RoomCreated { room } if room.kind == RoomKind::Direct)));
    assert!(carol.iter().any(|e| matches!(e, Event::NotificationCreated { notification } if notification.kind == NotificationKind::FriendRequestAccepted)));
    assert_eq!(s.rooms_for("bob").await.unwrap().len(), 1);
    assert!(matches!(
        s.respond_friend_request("bob", &req.id, false).await,
        Err(Error::Conflict(_))
    ));
}

async fn pruning_keeps_the_last_n_events_and_records_the_gap(store: Arc<dyn Store>) {
    let s = with_users(store).await;
    for i in 0..5 {
        s.create_notifications(&["bob".into()], &note(&format!("n{i}")))
            .await
            .unwrap();
    }
    let keep_recent = Retention {
        min_events: 2,
        max_age: Duration::from_secs(3600),
    };
    assert_eq!(
        s.prune(keep_recent, time::OffsetDateTime::now_utc())
            .await
            .unwrap(),
        0,
        "young events stay"
    );
    let old = Retention {
        min_events: 2,
        max_age: Duration::ZERO,
    };
    let removed = s
        .prune(
            old,
            time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(removed, 3);
    let head = s.stream_head("bob").await.unwrap();
    assert_eq!((head.head, head.pruned_through), (5, 3));
    assert_eq!(
        s.events_after("bob", 0, 10)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
}

async fn a_message_to_a_big_room_is_one_gapless_event_per_member_sharing_one_body(
    store: Arc<dyn Store>,
) {
    // given 300 members whose streams are at different heads (some have none yet)
    let s = store;
    let mut ids = Vec::new();
    for i in 0..300 {
        let id = format!("u{i:03}");
        s.ensure_user(&NewUser {
            id: id.clone(),
            username: id.clone(),
            name: id.clone(),
            password_hash: "x".into(),
        })
        .await
        .unwrap();
        ids.push(id);
    }
    let busy: Vec<String> = ids.iter().step_by(3).cloned().collect();
    s.create_notifications(&busy, &note("earlier"))
        .await
        .unwrap();
    let (room, created) = s.create_room("big", RoomKind::General, &ids).await.unwrap();
    assert_eq!(created.len(), 300);
    // when two messages are sent
    let mut all = created;
    for text in ["one", "two"] {
        let sent = s
            .send_message("u000", &msg(&room.id, None, text))
            .await
            .unwrap();
        assert_eq!(sent.events.len(), 300);
        all.extend(sent.events);
    }
    // then every member's stream is gapless from 1 and holds exactly its events, in order
    for id in &ids {
        let log = s.events_after(id, 0, 100).await.unwrap();
        let offset = u64::from(busy.contains(id));
        assert_eq!(
            log.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=3 + offset).collect::<Vec<_>>(),
            "{id}"
        );
        let mine: Vec<_> = all.iter().filter(|c| &c.user_id == id).collect();
        assert_eq!(mine.len(), 3);
        for c in mine {
            assert_eq!(log[(c.seq - 1) as usize].event, *c.event);
        }
        assert!(
            matches!(&log[log.len() - 1].event, Event::MessageCreated { message } if message.text == "two")
        );
    }
    // and the committed events of one message share one serialized body
    let last: Vec<_> = all.iter().rev().take(300).collect();
    assert!(last.windows(2).all(|w| Arc::ptr_eq(&w[0].json, &w[1].json)));
}

async fn concurrent_writers_keep_every_stream_gapless_and_sends_idempotent(store: Arc<dyn Store>) {
    // given two rooms sharing alice and bob
    let s = with_users(store).await;
    let (r1, _) = s
        .create_room("r1", RoomKind::General, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    let (r2, _) = s
        .create_room(
            "r2",
            RoomKind::General,
            &["bob".into(), "carol".into(), "alice".into()],
        )
        .await
        .unwrap();
    // when many writers append to overlapping streams at once, in opposite orders, and the
    // same client_msg_id is sent twice concurrently
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        let (r1, r2) = (r1.id.clone(), r2.id.clone());
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                let text = format!("{i}.{j}");
                s.send_message("alice", &msg(&r1, None, &text))
                    .await
                    .unwrap();
                s.send_message("carol", &msg(&r2, None, &text))
                    .await
                    .unwrap();
                let users: Vec<String> = if i % 2 == 0 {
                    vec!["alice".into(), "bob".into(), "carol".into()]
                } else {
                    vec!["carol".into(), "bob".into(), "alice".into()]
                };
                s.create_notifications(&users, &note(&text)).await.unwrap();
            }
            s.send_message("bob", &msg(&r1, Some("twice"), "once"))
                .await
                .unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        let sent = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("writers finish (no deadlock)")
            .unwrap();
        firsts += usize::from(!sent.duplicate);
    }
    // then the retried send was stored once, and every stream is gapless from 1
    assert_eq!(firsts, 1, "one send of the client_msg_id is the original");
    let expect = [
        ("alice", 2 + 8 * 5 * 3 + 1),
        ("bob", 2 + 8 * 5 * 3 + 1),
        ("carol", 1 + 8 * 5 * 2),
    ];
    for (user, n) in expect {
        let log = s.events_after(user, 0, 1000).await.unwrap();
        assert_eq!(
            log.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=n).collect::<Vec<u64>>(),
            "{user}"
        );
        assert_eq!(s.stream_head(user).await.unwrap().head, n);
    }
    assert_eq!(s.room_for("bob", &r1.id).await.unwrap().unread_count, 8 * 5);
}

macro_rules! conformance {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        let (_dir, store) = $make;
                        super::$name(store).await;
                    }
                };
            }
            case!(events_have_gapless_seqs_per_user_in_one_stable_epoch);
            case!(send_is_idempotent_on_sender_and_client_msg_id);
            case!(only_members_reach_a_room);
            case!(unread_counts_follow_messages_and_read_marks);
            case!(snapshot_is_the_state_at_its_seq);
            case!(a_snoozed_notification_is_not_counted_unread_until_its_time);
            case!(accepting_a_friend_request_creates_a_direct_room_and_a_notification);
            case!(pruning_keeps_the_last_n_events_and_records_the_gap);
            case!(a_message_to_a_big_room_is_one_gapless_event_per_member_sharing_one_body);
            case!(concurrent_writers_keep_every_stream_gapless_and_sends_idempotent);
        }
    };
}

async fn sqlite_file() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&Database::SqliteFile(dir.path().join("s.db")))
        .await
        .unwrap();
    (dir, Arc::new(store))
}

async fn sqlite_memory() -> ((), Arc<dyn Store>) {
    (
        (),
        Arc::new(SqliteStore::open(&Database::SqliteMemory).await.unwrap()),
    )
}

/// A fresh PostgreSQL server for one test (stopped when the returned server is dropped).
async fn postgres() -> (PostgresServer, Arc<dyn Store>) {
    let server = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let url = server.url("postgres");
    let store = tokio::time::timeout(Duration::from_secs(60), PgStore::connect(&url))
        .await
        .expect("connect and migrate in time")
        .unwrap();
    (server, Arc::new(store))
}

conformance!(sqlite_file_store, sqlite_file().await);
conformance!(sqlite_memory_store, sqlite_memory().await);
conformance!(postgres_store, postgres().await);
