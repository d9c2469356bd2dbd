//! Per-room sockets and the `[sync]` poll (seed 004 as-is), driven by hand like `tests.rs`.

use std::time::{Duration, Instant};

use herald_protocol::wire::{
    ClientFrame, Empty, Event, Req, SendMessage, SendMessageOk, ServerFrame, TypingUpdate,
};
use serde_json::{json, Value};

use super::tests::{adapter, drain, engine_frames, hello, https, ok, NOW};
use super::{Adapter, AdapterOutput, Held};

fn room(id: u64, unread: u32, last: Value, updated: &str) -> Value {
    json!({"id": id, "name": format!("Job #{id} Chat"), "room_type": "job", "unread_count": unread,
           "last_message": last, "updated_at": updated,
           "participants": [{"id": 1, "username": "alice"}, {"id": 2, "username": "bob"}]})
}

fn msg(id: u64, sender: (u64, &str), text: &str, at: &str) -> Value {
    json!({"id": id, "sender": {"id": sender.0, "username": sender.1}, "content": text, "timestamp": at})
}

fn rooms_list() -> Value {
    json!([
        room(
            5,
            2,
            msg(9, (2, "bob"), "Hi", "2026-12-02T09:00:00Z"),
            "2026-12-02T09:00:00Z"
        ),
        room(12, 0, Value::Null, "2026-12-02T08:00:00Z"),
    ])
}

/// An `ecleaner-asis` account, live: no stream socket, the room list read over REST.
fn asis_live(t0: Instant) -> Adapter {
    let mut a = adapter("ecleaner-asis", ("1", "alice"));
    assert_eq!(a.socket_request(), None, "no socket for the user's stream");
    a.socket_open(t0, Held::default());
    hello(&mut a, None);
    let reqs = https(&drain(&mut a));
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1.url, "http://127.0.0.1:9/chat/rooms/");
    a.http_answer(NOW, reqs[0].0, ok(rooms_list()));
    let frames = engine_frames(&drain(&mut a));
    assert!(matches!(&frames[1], ServerFrame::Snapshot(s) if s.rooms.len() == 2));
    a
}

fn opened(out: &[AdapterOutput]) -> Vec<(String, String)> {
    out.iter()
        .filter_map(|o| match o {
            AdapterOutput::OpenRoomSocket { room_id, request } => {
                Some((room_id.clone(), request.url.clone()))
            }
            _ => None,
        })
        .collect()
}

fn closed(out: &[AdapterOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            AdapterOutput::CloseRoomSocket { room_id } => Some(room_id.clone()),
            _ => None,
        })
        .collect()
}

fn sent_on_room(out: &[AdapterOutput]) -> Vec<(String, Value)> {
    out.iter()
        .filter_map(|o| match o {
            AdapterOutput::SendRoom { room_id, text } => {
                Some((room_id.clone(), serde_json::from_str(text).unwrap()))
            }
            _ => None,
        })
        .collect()
}

fn send(a: &mut Adapter, room: &str, text: &str) {
    a.client_frame(
        NOW,
        ClientFrame::SendMessage(Req {
            id: "s1".into(),
            params: SendMessage {
                room_id: room.into(),
                client_msg_id: "c-1".into(),
                text: text.into(),
                reply_to: None,
            },
        }),
    );
}

/// Answers the read a room socket makes when it opens with `messages`.
fn answer_open_read(a: &mut Adapter, out: &[AdapterOutput], room: &str, messages: Value) {
    let reqs = https(out);
    assert_eq!(reqs.len(), 1, "{out:?}");
    assert!(
        reqs[0]
            .1
            .url
            .starts_with(&format!("http://127.0.0.1:9/chat/rooms/{room}/messages/")),
        "{}",
        reqs[0].1.url
    );
    a.http_answer(
        NOW,
        reqs[0].0,
        ok(json!({"results": messages, "has_more": false})),
    );
}

#[test]
fn a_room_socket_is_open_only_while_its_room_is_on_screen() {
    let t0 = Instant::now();
    let mut a = asis_live(t0);
    assert!(
        a.room_sockets().is_empty(),
        "no room socket before one is opened"
    );
    // When the person opens job 5
    a.set_active_room(Some("5".into()));
    let out = drain(&mut a);
    assert_eq!(
        opened(&out),
        vec![(
            "5".into(),
            "ws://127.0.0.1:9/ws/job_chat/5/?token=tok".into()
        )]
    );
    // Then, once open, it reads what it missed, and its frames (which name no room) land in it
    a.room_socket_open("5");
    let out = drain(&mut a);
    answer_open_read(
        &mut a,
        &out,
        "5",
        json!([msg(10, (2, "bob"), "At the door", "2026-12-02T09:30:00Z")]),
    );
    let frames = engine_frames(&drain(&mut a));
    assert!(frames.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.event, Event::MessageCreated { message } if message.id == "10" && message.room_id == "5"))));
    a.room_socket_text(
        NOW,
        "5",
        r#"{"type":"chat_message","message":{"id":11,"sender":{"id":2,"username":"bob"},"content":"Ring?","timestamp":"2026-12-02T09:31:00Z"}}"#,
    );
    a.room_socket_text(
        NOW,
        "5",
        r#"{"type":"typing","user":{"id":2,"username":"bob"},"is_typing":true}"#,
    );
    let frames = engine_frames(&drain(&mut a));
    assert!(
        matches!(&frames[0], ServerFrame::Event(e) if matches!(&e.event, Event::MessageCreated { message } if message.id == "11" && message.room_id == "5"))
    );
    assert!(
        matches!(&frames[1], ServerFrame::Typing(t) if t.room_id == "5" && t.user.name == "bob")
    );
    // Typing goes out on the room's socket
    a.client_frame(
        NOW,
        ClientFrame::Typing(TypingUpdate {
            room_id: "5".into(),
            typing: true,
        }),
    );
    assert_eq!(
        sent_on_room(&drain(&mut a)),
        vec![("5".into(), json!({"type": "typing", "is_typing": true}))]
    );
    // When the person leaves the room, its socket closes
    a.set_active_room(None);
    assert_eq!(closed(&drain(&mut a)), vec!["5".to_owned()]);
    assert!(a.room_sockets().is_empty());
    // And typing in a room without an open socket opens none
    a.client_frame(
        NOW,
        ClientFrame::Typing(TypingUpdate {
            room_id: "12".into(),
            typing: true,
        }),
    );
    assert!(drain(&mut a).is_empty());
}

#[test]
fn a_message_to_a_closed_room_opens_its_socket_until_the_echo_confirms_it() {
    let t0 = Instant::now();
    let mut a = asis_live(t0);
    // When the engine sends to job 12, which is not on screen
    send(&mut a, "12", "Can you come at 9?");
    let out = drain(&mut a);
    assert_eq!(opened(&out).len(), 1);
    assert!(
        sent_on_room(&out).is_empty(),
        "nothing is sent before the socket opens"
    );
    a.room_socket_open("12");
    let out = drain(&mut a);
    answer_open_read(&mut a, &out, "12", json!([]));
    // Then the seed's frame goes out once the room's read is done
    let out = drain(&mut a);
    assert_eq!(
        sent_on_room(&out),
        vec![(
            "12".into(),
            json!({"type": "message", "message": "Can you come at 9?"})
        )]
    );
    assert!(engine_frames(&out).is_empty(), "no reply before the echo");
    // When the echo arrives (no key: matched by room and text), the send is confirmed and the
    // socket, needed no more, closes
    a.room_socket_text(
        NOW,
        "12",
        r#"{"type":"chat_message","message":{"id":40,"sender":{"id":1,"username":"alice"},"content":"Can you come at 9?","timestamp":"2026-12-02T10:00:01Z"}}"#,
    );
    let out = drain(&mut a);
    let reply = engine_frames(&out)
        .into_iter()
        .find_map(|f| match f {
            ServerFrame::Reply(r) => Some(r),
            _ => None,
        })
        .expect("a reply");
    let ok: SendMessageOk = reply.into_result().unwrap();
    assert_eq!(
        (ok.message.id.as_str(), ok.message.client_msg_id.as_deref()),
        ("40", Some("c-1"))
    );
    assert_eq!(closed(&out), vec!["12".to_owned()]);
}

#[test]
fn a_send_whose_echo_was_lost_is_confirmed_by_the_reopened_rooms_read_not_sent_twice() {
    let t0 = Instant::now();
    let mut a = asis_live(t0);
    a.set_active_room(Some("12".into()));
    drain(&mut a);
    a.room_socket_open("12");
    let out = drain(&mut a);
    answer_open_read(&mut a, &out, "12", json!([]));
    drain(&mut a);
    send(&mut a, "12", "Sure");
    assert_eq!(sent_on_room(&drain(&mut a)).len(), 1);
    // When the socket drops before the echo, it is opened again after a second
    a.room_socket_closed(t0, "12");
    assert!(drain(&mut a).is_empty());
    assert_eq!(
        a.poll_timeout(),
        Some(t0 + Duration::from_secs(1)).min(a.poll_timeout())
    );
    a.handle_timeout(t0 + Duration::from_secs(1));
    let out = drain(&mut a);
    assert_eq!(opened(&out).len(), 1, "{out:?}");
    a.room_socket_open("12");
    let out = drain(&mut a);
    // And the backend's REST shows the message was stored: confirmed, not sent again
    answer_open_read(
        &mut a,
        &out,
        "12",
        json!([msg(41, (1, "alice"), "Sure", "2026-12-02T10:00:02Z")]),
    );
    let out = drain(&mut a);
    assert!(sent_on_room(&out).is_empty(), "{out:?}");
    assert!(engine_frames(&out).iter().any(
        |f| matches!(f, ServerFrame::Reply(r) if r.clone().into_result::<SendMessageOk>().is_ok())
    ));
}

#[test]
fn a_room_socket_that_never_opens_fails_its_send_transiently_so_the_outbox_retries() {
    let t0 = Instant::now();
    let mut a = asis_live(t0);
    send(&mut a, "12", "Hello?");
    drain(&mut a);
    let mut now = t0;
    for _ in 0..super::room_sockets::GIVE_UP_AFTER {
        a.room_socket_closed(now, "12");
        now += Duration::from_secs(60);
        a.handle_timeout(now);
    }
    let frames = engine_frames(&drain(&mut a));
    let reply = frames
        .iter()
        .find_map(|f| match f {
            ServerFrame::Reply(r) => Some(r.clone()),
            _ => None,
        })
        .expect("an error reply");
    let err = reply.into_result::<SendMessageOk>().unwrap_err();
    assert!(err.code.is_transient(), "{err:?}");
    assert!(a.room_sockets().is_empty(), "not retried without a reason");
}

#[test]
fn a_polled_backend_sends_only_what_changed_and_reads_active_rooms() {
    let t0 = Instant::now();
    let mut a = asis_live(t0);
    // Pings are answered at once: there is no socket that could be half-open
    a.client_frame(
        NOW,
        ClientFrame::Ping(Req {
            id: "p1".into(),
            params: Empty {},
        }),
    );
    assert!(matches!(
        &engine_frames(&drain(&mut a))[..],
        [ServerFrame::Reply(_)]
    ));
    // When 30 s pass with nothing new, the poll tells the engine nothing
    let every = Duration::from_secs(30);
    assert_eq!(a.poll_timeout(), Some(t0 + every));
    a.handle_timeout(t0 + every);
    let reqs = https(&drain(&mut a));
    assert_eq!(reqs.len(), 1);
    a.http_answer(NOW, reqs[0].0, ok(rooms_list()));
    assert!(engine_frames(&drain(&mut a)).is_empty());
    // When bob writes in job 12 before the next poll
    a.handle_timeout(t0 + every * 2);
    let reqs = https(&drain(&mut a));
    let last = msg(50, (2, "bob"), "Running late", "2026-12-02T10:00:00Z");
    a.http_answer(
        NOW,
        reqs[0].0,
        ok(json!([
            room(
                5,
                2,
                msg(9, (2, "bob"), "Hi", "2026-12-02T09:00:00Z"),
                "2026-12-02T09:00:00Z"
            ),
            room(12, 1, last.clone(), "2026-12-02T10:00:00Z"),
        ])),
    );
    // Then that room's messages are read, and its message and new unread count arrive
    let out = drain(&mut a);
    let reqs = https(&out);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].1.url.contains("/chat/rooms/12/messages/"));
    a.http_answer(
        NOW,
        reqs[0].0,
        ok(json!({"results": [last], "has_more": false})),
    );
    let frames = engine_frames(&drain(&mut a));
    let events: Vec<&Event> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event(e) => Some(&e.event),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], Event::MessageCreated { message } if message.id == "50"));
    assert!(
        matches!(events[1], Event::RoomUpdated { room } if room.id == "12" && room.unread_count == 1)
    );
    assert!(
        !frames.iter().any(|f| matches!(f, ServerFrame::Welcome(_))),
        "a poll is not a reconnect"
    );
}
