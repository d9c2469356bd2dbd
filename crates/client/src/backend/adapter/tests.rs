//! The adapter driven by hand: scripted backend frames and REST answers, no sockets, no clock.

use std::sync::Arc;
use std::time::Instant;

use herald_protocol::wire::{
    close_code, ClientFrame, Event, Hello, MarkRoomRead, Notification, NotificationKind,
    NotificationRef, Req, SendMessage, ServerFrame, StreamPosition, User, PROTOCOL_VERSION,
};
use herald_protocol::Timestamp;
use serde_json::{json, Value};
use time::macros::datetime;

use super::{Adapter, AdapterOutput, Held, HttpAnswer, HttpRequest};
use crate::backend::Profile;

pub(super) const NOW: Timestamp = datetime!(2026-12-02 10:00 UTC);

pub(super) fn adapter(profile: &str, me: (&str, &str)) -> Adapter {
    let (p, _) = Profile::resolve(profile).unwrap();
    Adapter::new(
        Arc::new(p),
        "http://127.0.0.1:9",
        "tok".into(),
        User {
            id: me.0.into(),
            name: me.1.into(),
        },
    )
}

pub(super) fn drain(a: &mut Adapter) -> Vec<AdapterOutput> {
    std::iter::from_fn(|| a.poll_output()).collect()
}

pub(super) fn hello(a: &mut Adapter, resume: Option<u64>) {
    let resume = resume.map(|seq| StreamPosition {
        epoch: a.epoch().to_owned(),
        seq,
    });
    a.client_frame(
        NOW,
        ClientFrame::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            resume,
        }),
    );
}

pub(super) fn https(out: &[AdapterOutput]) -> Vec<(u64, HttpRequest)> {
    out.iter()
        .filter_map(|o| match o {
            AdapterOutput::Http { id, request } => Some((*id, request.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn engine_frames(out: &[AdapterOutput]) -> Vec<ServerFrame> {
    out.iter()
        .filter_map(|o| match o {
            AdapterOutput::Engine(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn ok(body: Value) -> Result<HttpAnswer, String> {
    Ok(HttpAnswer { status: 200, body })
}

fn ventree_notification(id: &str, shop: &str, read: bool) -> Value {
    json!({"_id": id, "shopId": shop, "type": "low_stock", "title": "Low stock", "message": "Milk: 2 left",
           "isRead": read, "createdAt": "2026-12-02T09:00:00Z", "meta": {"sku": "milk"}})
}

fn held_notification(id: &str, read: bool) -> Notification {
    Notification {
        id: id.into(),
        kind: NotificationKind::LowStock,
        title: "Low stock".into(),
        body: "Milk: 2 left".into(),
        priority: 3,
        link: None,
        meta: serde_json::from_value(json!({"shop_id": "s1"})).unwrap(),
        created_at: datetime!(2026-12-02 09:00 UTC),
        read,
        archived: false,
        snoozed_until: None,
    }
}

/// Opens a ventree socket through the Socket.IO handshake; returns the sync's first requests.
fn ventree_connected(a: &mut Adapter, held: Held, resume: Option<u64>) -> Vec<(u64, HttpRequest)> {
    a.socket_open(Instant::now(), held);
    a.socket_text(
        NOW,
        r#"0{"sid":"x","pingInterval":25000,"pingTimeout":20000}"#,
    );
    assert_eq!(
        drain(a),
        vec![AdapterOutput::Send(r#"40{"token":"tok"}"#.into())]
    );
    hello(a, resume);
    assert!(
        drain(a).is_empty(),
        "nothing is read before the namespace is connected"
    );
    a.socket_text(NOW, r#"40{"sid":"y"}"#);
    https(&drain(a))
}

#[test]
fn first_sign_in_to_socketio_backend_builds_a_snapshot_from_every_shop() {
    // Given a ventree owner of two shops, connected for the first time
    let mut a = adapter("ventree", ("u1", "Alice"));
    let reqs = ventree_connected(&mut a, Held::default(), None);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1.url, "http://127.0.0.1:9/v1/shops");
    assert_eq!(
        reqs[0].1.headers,
        vec![("Authorization".into(), "Bearer tok".into())]
    );
    // When the shops and each shop's notifications answer
    a.http_answer(
        NOW,
        reqs[0].0,
        ok(json!({"data": [{"_id": "s1"}, {"_id": "s2"}]})),
    );
    let reqs = https(&drain(&mut a));
    assert_eq!(
        reqs.iter().map(|r| r.1.url.as_str()).collect::<Vec<_>>(),
        [
            "http://127.0.0.1:9/v1/notifications?limit=50&shopId=s1",
            "http://127.0.0.1:9/v1/notifications?limit=50&shopId=s2"
        ]
    );
    a.http_answer(NOW, reqs[0].0, ok(json!({"data": [ventree_notification("n1", "s1", false), ventree_notification("n2", "s1", true)], "unreadCount": 1})));
    assert!(
        engine_frames(&drain(&mut a)).is_empty(),
        "nothing before every part answered"
    );
    a.http_answer(
        NOW,
        reqs[1].0,
        ok(json!({"data": [ventree_notification("n3", "s2", false)], "unreadCount": 1})),
    );
    // Then the engine gets a welcome without recovery and a snapshot of all three
    let frames = engine_frames(&drain(&mut a));
    let [ServerFrame::Welcome(w), ServerFrame::Snapshot(s)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    assert!(!w.recovered);
    assert_eq!((w.seq, s.seq), (1, 1));
    assert_eq!(s.notifications.unread, 2);
    assert_eq!(s.notifications.items.len(), 3);
    let n1 = s
        .notifications
        .items
        .iter()
        .find(|n| n.id == "n1")
        .expect("n1 in the snapshot");
    assert_eq!(n1.meta.get("shop_id"), Some(&json!("s1")));
    assert_eq!(n1.kind, NotificationKind::LowStock);
    let n3 = s
        .notifications
        .items
        .iter()
        .find(|n| n.id == "n3")
        .expect("n3 in the snapshot");
    assert_eq!(
        n3.meta.get("shop_id"),
        Some(&json!("s2")),
        "the second shop's item keeps its shop"
    );
}

#[test]
fn reconnect_merges_by_id_and_sends_only_what_changed_as_events() {
    // Given the engine holds n1 (unread) and n2 (read) from before the disconnect
    let mut a = adapter("ventree", ("u1", "Alice"));
    let mut held = Held::default();
    held.notifications
        .insert("n1".into(), held_notification("n1", false));
    held.notifications
        .insert("n2".into(), held_notification("n2", true));
    let reqs = ventree_connected(&mut a, held, Some(7));
    a.http_answer(NOW, reqs[0].0, ok(json!({"data": [{"_id": "s1"}]})));
    let reqs = https(&drain(&mut a));
    // When the backend's REST has n1 now read, n2 unchanged and a new n9
    a.http_answer(NOW, reqs[0].0, ok(json!({"data": [ventree_notification("n9", "s1", false), ventree_notification("n2", "s1", true), ventree_notification("n1", "s1", true)]})));
    // Then the stream resumes and carries exactly the two differences
    let frames = engine_frames(&drain(&mut a));
    let ServerFrame::Welcome(w) = &frames[0] else {
        panic!("{frames:?}")
    };
    assert!(w.recovered);
    assert_eq!(w.seq, 9);
    let events: Vec<(u64, &Event)> = frames[1..]
        .iter()
        .map(|f| match f {
            ServerFrame::Event(e) => (e.seq, &e.event),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        matches!(events[0], (8, Event::NotificationUpdated { notification }) if notification.id == "n1" && notification.read)
            || matches!(events[0], (8, Event::NotificationCreated { notification }) if notification.id == "n9")
    );
    let ids: Vec<&str> = events
        .iter()
        .map(|(_, e)| match e {
            Event::NotificationCreated { notification }
            | Event::NotificationUpdated { notification } => notification.id.as_str(),
            _ => "?",
        })
        .collect();
    assert!(ids.contains(&"n1") && ids.contains(&"n9"));
}

#[test]
fn live_frames_during_the_read_follow_it_in_order() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    let reqs = ventree_connected(&mut a, Held::default(), Some(3));
    // A live notification arrives while the shops are being read
    a.socket_text(
        NOW,
        &format!(
            "42[\"notification\",{}]",
            ventree_notification("n5", "s1", false)
        ),
    );
    assert!(engine_frames(&drain(&mut a)).is_empty());
    a.http_answer(NOW, reqs[0].0, ok(json!({"data": []})));
    let frames = engine_frames(&drain(&mut a));
    assert!(matches!(&frames[0], ServerFrame::Welcome(w) if w.recovered && w.seq == 4));
    assert!(
        matches!(&frames[1], ServerFrame::Event(e) if e.seq == 4 && matches!(&e.event, Event::NotificationCreated { notification } if notification.id == "n5"))
    );
    // And later live frames are numbered on
    a.socket_text(
        NOW,
        &format!(
            "42[\"notification\",{}]",
            ventree_notification("n6", "s1", false)
        ),
    );
    let frames = engine_frames(&drain(&mut a));
    assert!(matches!(&frames[0], ServerFrame::Event(e) if e.seq == 5));
}

#[test]
fn a_refused_socketio_connect_or_a_401_read_asks_for_a_new_sign_in() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    a.socket_open(Instant::now(), Held::default());
    a.socket_text(NOW, r#"0{"sid":"x"}"#);
    drain(&mut a);
    a.socket_text(NOW, r#"44{"message":"unauthorized"}"#);
    assert_eq!(
        drain(&mut a),
        vec![AdapterOutput::Close {
            code: Some(close_code::UNAUTHORIZED)
        }]
    );

    let mut a = adapter("ventree", ("u1", "Alice"));
    let reqs = ventree_connected(&mut a, Held::default(), None);
    a.http_answer(
        NOW,
        reqs[0].0,
        Ok(HttpAnswer {
            status: 401,
            body: Value::Null,
        }),
    );
    assert!(drain(&mut a).contains(&AdapterOutput::Close {
        code: Some(close_code::UNAUTHORIZED)
    }));
}

#[test]
fn a_read_that_fails_closes_the_socket_so_the_engine_retries_later() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    let reqs = ventree_connected(&mut a, Held::default(), None);
    a.http_answer(NOW, reqs[0].0, Err("connection refused".into()));
    let out = drain(&mut a);
    assert_eq!(out, vec![AdapterOutput::Close { code: None }]);
}

#[test]
fn engine_pings_are_answered_only_when_the_backend_is_heard_and_socketio_pings_ponged() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    ventree_connected(&mut a, Held::default(), None);
    a.socket_text(NOW, "2");
    assert_eq!(drain(&mut a), vec![AdapterOutput::Send("3".into())]);
    a.client_frame(
        NOW,
        ClientFrame::Ping(Req {
            id: "p1".into(),
            params: Default::default(),
        }),
    );
    // The engine's ping probes the socket and is answered only once the backend is heard:
    // a half-open socket must look dead to the engine's liveness check
    assert_eq!(drain(&mut a), vec![AdapterOutput::Probe]);
    a.heard();
    assert!(matches!(&engine_frames(&drain(&mut a))[0], ServerFrame::Reply(r) if r.id == "p1"));
    a.client_frame(
        NOW,
        ClientFrame::Ping(Req {
            id: "p2".into(),
            params: Default::default(),
        }),
    );
    drain(&mut a);
    a.socket_closed();
    a.heard();
    assert!(
        engine_frames(&drain(&mut a)).is_empty(),
        "a ping of a closed socket is never answered"
    );
}

#[test]
fn mark_all_without_a_backend_endpoint_marks_each_unread_one_then_answers() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    let mut held = Held::default();
    held.notifications
        .insert("n1".into(), held_notification("n1", false));
    held.notifications
        .insert("n2".into(), held_notification("n2", false));
    held.notifications
        .insert("n3".into(), held_notification("n3", true));
    let reqs = ventree_connected(&mut a, held, Some(1));
    a.http_answer(NOW, reqs[0].0, ok(json!({"data": []})));
    drain(&mut a);
    a.client_frame(
        NOW,
        ClientFrame::MarkAllNotificationsRead(Req {
            id: "o1".into(),
            params: Default::default(),
        }),
    );
    let reqs = https(&drain(&mut a));
    assert_eq!(reqs.len(), 2);
    for (_, r) in &reqs {
        assert_eq!(r.method, "PATCH");
        assert!(
            r.url.starts_with("http://127.0.0.1:9/v1/notifications?"),
            "{}",
            r.url
        );
        assert!(r.url.contains("shopId=s1"), "{}", r.url);
        assert_eq!(r.body, Some(json!({"isRead": true})));
    }
    a.http_answer(NOW, reqs[0].0, ok(json!({})));
    assert!(
        engine_frames(&drain(&mut a)).is_empty(),
        "answers after every PATCH"
    );
    a.http_answer(NOW, reqs[1].0, ok(json!({})));
    let frames = engine_frames(&drain(&mut a));
    assert!(frames.iter().any(
        |f| matches!(f, ServerFrame::Event(e) if matches!(e.event, Event::NotificationsReadAll {}))
    ));
    assert!(frames
        .iter()
        .any(|f| matches!(f, ServerFrame::Reply(r) if r.id == "o1")));
}

#[test]
fn features_the_backend_lacks_are_refused_at_once() {
    let mut a = adapter("ventree", ("u1", "Alice"));
    ventree_connected(&mut a, Held::default(), None);
    a.client_frame(
        NOW,
        ClientFrame::ArchiveNotification(Req {
            id: "x".into(),
            params: NotificationRef {
                notification_id: "n1".into(),
            },
        }),
    );
    a.client_frame(
        NOW,
        ClientFrame::SendMessage(Req {
            id: "s1".into(),
            params: SendMessage {
                room_id: "r".into(),
                client_msg_id: "c".into(),
                text: "t".into(),
                reply_to: None,
            },
        }),
    );
    let frames = engine_frames(&drain(&mut a));
    assert_eq!(frames.len(), 2);
    for f in frames {
        assert!(matches!(f, ServerFrame::Reply(r) if r.clone().into_result::<Value>().is_err()));
    }
}

fn ecleaner_live(a: &mut Adapter) {
    a.socket_open(Instant::now(), Held::default());
    hello(a, None);
    let reqs = https(&drain(a));
    assert_eq!(reqs[0].1.url, "http://127.0.0.1:9/chat/rooms/");
    a.http_answer(NOW, reqs[0].0, ok(json!([{"id": 5, "name": "Job #5 Chat", "room_type": "job", "unread_count": 2,
        "last_message": null, "updated_at": "2026-12-02T09:00:00Z", "participants": [{"id": 1, "username": "alice"}]}])));
    let frames = engine_frames(&drain(a));
    assert!(
        matches!(&frames[1], ServerFrame::Snapshot(s) if s.rooms[0].id == "5" && s.rooms[0].unread_count == 2)
    );
}

#[test]
fn a_message_sent_on_the_socket_is_confirmed_by_its_echo() {
    // Given a live ecleaner socket (messages go out as frames)
    let mut a = adapter("ecleaner", ("1", "alice"));
    ecleaner_live(&mut a);
    // When the engine sends a message
    a.client_frame(
        NOW,
        ClientFrame::SendMessage(Req {
            id: "s1".into(),
            params: SendMessage {
                room_id: "5".into(),
                client_msg_id: "c-1".into(),
                text: "On my way".into(),
                reply_to: None,
            },
        }),
    );
    let out = drain(&mut a);
    let AdapterOutput::Send(text) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        json!({"type": "message", "room_id": 5, "message": "On my way", "client_msg_id": "c-1"})
    );
    assert!(
        engine_frames(&out).is_empty(),
        "no reply before the backend stored it"
    );
    // Then the backend's echo (without our key) confirms it: a reply and the event
    a.socket_text(NOW, r#"{"type":"chat_message","room_id":5,"message":{"id":123,"room_id":5,"sender":{"id":1,"username":"alice"},"content":"On my way","timestamp":"2026-12-02T10:00:01Z"}}"#);
    let frames = engine_frames(&drain(&mut a));
    let reply = frames
        .iter()
        .find_map(|f| match f {
            ServerFrame::Reply(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    let ok: herald_protocol::wire::SendMessageOk = reply.into_result().unwrap();
    assert_eq!(
        (ok.message.id.as_str(), ok.message.client_msg_id.as_deref()),
        ("123", Some("c-1"))
    );
    assert!(frames.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.event, Event::MessageCreated { message } if message.id == "123"))));
}

#[test]
fn room_frames_become_events_and_typing_notices() {
    let mut a = adapter("ecleaner", ("1", "alice"));
    ecleaner_live(&mut a);
    a.socket_text(
        NOW,
        r#"{"type":"unread_count","room_id":5,"unread_count":3}"#,
    );
    a.socket_text(
        NOW,
        r#"{"type":"typing","room_id":5,"user":{"id":2,"username":"bob"},"is_typing":true}"#,
    );
    a.socket_text(
        NOW,
        r#"{"type":"typing","room_id":5,"user":{"id":1,"username":"alice"},"is_typing":true}"#,
    );
    let frames = engine_frames(&drain(&mut a));
    assert_eq!(frames.len(), 2, "own typing is not shown: {frames:?}");
    assert!(
        matches!(&frames[0], ServerFrame::Event(e) if matches!(&e.event, Event::RoomRead(r) if r.room_id == "5" && r.unread_count == 3))
    );
    assert!(matches!(&frames[1], ServerFrame::Typing(t) if t.user.name == "bob" && t.typing));
    a.client_frame(
        NOW,
        ClientFrame::MarkRoomRead(Req {
            id: "r1".into(),
            params: MarkRoomRead {
                room_id: "5".into(),
                up_to: "123".into(),
            },
        }),
    );
    let out = drain(&mut a);
    assert!(matches!(&out[0], AdapterOutput::Send(t) if t.contains("\"mark_read\"")));
}

#[test]
fn bad_backend_frames_are_skipped_and_the_socket_kept() {
    let mut a = adapter("ecleaner", ("1", "alice"));
    ecleaner_live(&mut a);
    let huge = format!(
        "{{\"type\":\"chat_message\",\"pad\":\"{}\"}}",
        "x".repeat(super::MAX_BACKEND_FRAME)
    );
    for bad in [
        "not json",
        "[1,2,3]",
        r#"{"no_type": 1}"#,
        r#"{"type": "mystery"}"#,
        r#"{"type": "chat_message", "message": {"id": 1}}"#,
        r#"{"type": "chat_message", "message": {"id": 1, "room_id": 5, "sender": {"id": 2}, "content": "x", "timestamp": [1]}}"#,
        r#"{"type": "unread_count", "room_id": 5, "unread_count": "many"}"#,
        r#"{"type": "room_list", "rooms": "nope"}"#,
        huge.as_str(),
    ] {
        a.socket_text(NOW, bad);
        assert!(drain(&mut a).is_empty(), "{:.80}", bad);
    }
    // Logged once per kind, not once per frame
    let before = a.warned.len();
    a.socket_text(NOW, r#"{"type": "mystery"}"#);
    assert_eq!(a.warned.len(), before);
    // And a good frame still goes through
    a.socket_text(
        NOW,
        r#"{"type":"unread_count","room_id":5,"unread_count":0}"#,
    );
    assert_eq!(engine_frames(&drain(&mut a)).len(), 1);
}

#[test]
fn socket_urls_carry_the_token_where_the_profile_says_and_an_origin() {
    let a = adapter("seed-001", ("1", "alice"));
    let r = a.socket_request().unwrap();
    assert_eq!(
        r.url,
        "ws://127.0.0.1:9/ws/notifications/?user_id=1&token=tok"
    );
    assert!(r
        .headers
        .contains(&("Origin".into(), "http://127.0.0.1:9".into())));
    let a = adapter("ventree", ("u1", "Alice"));
    assert_eq!(
        a.socket_request().unwrap().url,
        "ws://127.0.0.1:9/socket.io/?EIO=4&transport=websocket"
    );
}

#[test]
fn reconnect_reads_messages_only_of_rooms_active_since_the_newest_one_held() {
    // Given the engine holds each conversation's newest message, and the backend (seed 001)
    // lists conversations with only the last message's text
    let mut a = adapter("seed-001", ("1", "alice"));
    let mut held = Held::default();
    held.rooms.insert(
        "conv_1".into(),
        Some(("msg_3".into(), datetime!(2026-12-02 09:00 UTC))),
    );
    held.rooms.insert(
        "conv_2".into(),
        Some(("msg_4".into(), datetime!(2026-12-02 09:30 UTC))),
    );
    a.socket_open(Instant::now(), held);
    hello(&mut a, Some(4));
    let reqs = https(&drain(&mut a));
    let rooms = reqs
        .iter()
        .find(|(_, r)| r.url.ends_with("/api/conversations/"))
        .expect("the conversation list is read");
    // When conv_1 moved on while away and conv_2 did not
    let conv = |id: &str, at: &str| {
        json!({"id": id, "title": id, "participants": ["alice", "bob"], "unread_count": 1,
               "last_message": "text only", "updated_at": at})
    };
    a.http_answer(
        NOW,
        rooms.0,
        ok(json!([
            conv("conv_1", "2026-12-02T09:45:00Z"),
            conv("conv_2", "2026-12-02T09:30:00Z")
        ])),
    );
    // Then only conv_1's newest messages are read
    let more = https(&drain(&mut a));
    assert_eq!(
        more.iter().map(|(_, r)| r.url.as_str()).collect::<Vec<_>>(),
        ["http://127.0.0.1:9/api/conversations/conv_1/messages?limit=50"]
    );
}

#[test]
fn a_quiet_socket_is_probed_every_ping_interval_until_it_closes() {
    let mut a =
        adapter("artchive", ("1", "alice")).with_probe_every(std::time::Duration::from_secs(25));
    let t0 = Instant::now();
    a.socket_open(t0, Held::default());
    drain(&mut a);
    assert_eq!(
        a.poll_timeout().map(|t| t - t0),
        Some(std::time::Duration::from_secs(20)),
        "the heartbeat comes first"
    );
    a.handle_timeout(t0 + std::time::Duration::from_secs(25));
    assert!(drain(&mut a).contains(&AdapterOutput::Probe));
    a.socket_closed();
    assert_eq!(a.poll_timeout(), None);
}
