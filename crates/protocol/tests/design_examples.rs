#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Frames written by hand, exactly as design §2 and `docs/protocol.md` spell them, decode to the
//! variants a server or client expects. This is what another implementation (a Django Channels
//! consumer, a browser client) will send, so it must work without our serializer's help: field
//! order differs, optional fields are left out, ids are arbitrary strings.

use herald_protocol::wire::*;
use serde_json::json;
use time::macros::datetime;

fn client(text: &str) -> ClientFrame {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text} does not decode: {e}"))
}

fn server(text: &str) -> ServerFrame {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text} does not decode: {e}"))
}

fn user(id: &str, name: &str) -> User {
    User {
        id: id.into(),
        name: name.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Client -> server

#[test]
fn hello_without_resume_decodes() {
    assert_eq!(
        client(r#"{"type":"hello","protocol":1,"resume":null}"#),
        ClientFrame::Hello(Hello {
            protocol: 1,
            resume: None
        })
    );
}

#[test]
fn hello_with_resume_decodes() {
    assert_eq!(
        client(r#"{"type":"hello","protocol":1,"resume":{"epoch":"e1","seq":41}}"#),
        ClientFrame::Hello(Hello {
            protocol: 1,
            resume: Some(StreamPosition {
                epoch: "e1".into(),
                seq: 41
            })
        })
    );
}

#[test]
fn send_message_decodes_with_its_request_id() {
    let frame = client(
        r#"{"type":"send_message","id":"r1","room_id":"r_1","client_msg_id":"c1","text":"hi","reply_to":"m_0"}"#,
    );
    assert_eq!(frame.request_id(), Some("r1"));
    assert_eq!(
        frame,
        ClientFrame::SendMessage(Req {
            id: "r1".into(),
            params: SendMessage {
                room_id: "r_1".into(),
                client_msg_id: "c1".into(),
                text: "hi".into(),
                reply_to: Some("m_0".into()),
            },
        })
    );
}

#[test]
fn every_request_decodes_to_its_variant_with_its_id() {
    let cases = [
        (
            r#"{"type":"mark_room_read","id":"r2","room_id":"r_1","up_to":"m_9"}"#,
            "r2",
        ),
        (
            r#"{"type":"mark_notification_read","id":"r3","notification_id":"n_1"}"#,
            "r3",
        ),
        (r#"{"type":"mark_all_notifications_read","id":"r4"}"#, "r4"),
        (
            r#"{"type":"archive_notification","id":"r5","notification_id":"n_1"}"#,
            "r5",
        ),
        (
            r#"{"type":"snooze_notification","id":"r6","notification_id":"n_1","until":"2024-05-01T18:00:00Z"}"#,
            "r6",
        ),
        (
            r#"{"type":"load_history","id":"r7","room_id":"r_1","before":"m_5","limit":50}"#,
            "r7",
        ),
        (
            r#"{"type":"respond_friend_request","id":"r8","request_id":"fr_1","accept":false}"#,
            "r8",
        ),
        (r#"{"type":"ping","id":"r9"}"#, "r9"),
    ];
    for (text, id) in cases {
        assert_eq!(client(text).request_id(), Some(id), "{text}");
    }
    assert_eq!(
        client(cases[0].0),
        ClientFrame::MarkRoomRead(Req {
            id: "r2".into(),
            params: MarkRoomRead {
                room_id: "r_1".into(),
                up_to: "m_9".into()
            },
        })
    );
    assert_eq!(
        client(cases[4].0),
        ClientFrame::SnoozeNotification(Req {
            id: "r6".into(),
            params: SnoozeNotification {
                notification_id: "n_1".into(),
                until: datetime!(2024-05-01 18:00:00 UTC),
            },
        })
    );
}

#[test]
fn parameterless_requests_accept_an_empty_params_object_style() {
    // Design §2 writes them as `ping {}`: the frame is just the type and the id.
    assert_eq!(
        client(r#"{"type":"ping","id":"r1"}"#),
        ClientFrame::Ping(Req {
            id: "r1".into(),
            params: Empty {}
        })
    );
    assert_eq!(
        client(r#"{"type":"mark_all_notifications_read","id":"r2"}"#),
        ClientFrame::MarkAllNotificationsRead(Req {
            id: "r2".into(),
            params: Empty {}
        })
    );
}

#[test]
fn client_typing_decodes_and_expects_no_reply() {
    let frame = client(r#"{"type":"typing","room_id":"r_1","typing":true}"#);
    assert_eq!(
        frame,
        ClientFrame::Typing(TypingUpdate {
            room_id: "r_1".into(),
            typing: true
        })
    );
    assert_eq!(frame.request_id(), None);
}

#[test]
fn field_order_does_not_matter() {
    assert_eq!(
        client(r#"{"resume":null,"protocol":1,"type":"hello"}"#),
        ClientFrame::Hello(Hello {
            protocol: 1,
            resume: None
        })
    );
    assert_eq!(
        server(r#"{"ok":{},"id":"r1","type":"reply"}"#),
        ServerFrame::Reply(Reply::ok("r1", &EmptyOk {}))
    );
}

// ---------------------------------------------------------------------------------------------
// Server -> client

#[test]
fn welcome_decodes() {
    assert_eq!(
        server(
            r#"{"type":"welcome","protocol":1,"user":{"id":"u_1","name":"Ann"},"epoch":"e1","seq":57,"recovered":true}"#
        ),
        ServerFrame::Welcome(Welcome {
            protocol: 1,
            user: user("u_1", "Ann"),
            epoch: "e1".into(),
            seq: 57,
            recovered: true,
            token_expires_at: None,
        })
    );
}

#[test]
fn empty_snapshot_decodes() {
    assert_eq!(
        server(
            r#"{"type":"snapshot","seq":57,"rooms":[],"notifications":{"unread":0,"items":[]},"friend_requests":[]}"#
        ),
        ServerFrame::Snapshot(Snapshot {
            seq: 57,
            rooms: vec![],
            notifications: NotificationSummary {
                unread: 0,
                items: vec![]
            },
            friend_requests: vec![],
        })
    );
}

#[test]
fn reply_ok_decodes_to_its_typed_payload() {
    let frame = server(r#"{"type":"reply","id":"r1","ok":{"messages":[],"has_more":false}}"#);
    let ServerFrame::Reply(reply) = frame else {
        panic!("not a reply: {frame:?}")
    };
    assert_eq!(reply.id, "r1");
    assert_eq!(
        reply.into_result::<LoadHistoryOk>().unwrap(),
        LoadHistoryOk {
            messages: vec![],
            has_more: false
        }
    );
}

#[test]
fn reply_error_decodes_to_its_code_and_message() {
    let frame = server(
        r#"{"type":"reply","id":"r1","error":{"code":"forbidden","message":"not a member"}}"#,
    );
    assert_eq!(
        frame,
        ServerFrame::Reply(Reply::error("r1", ErrorCode::Forbidden, "not a member"))
    );
}

#[test]
fn error_frame_decodes() {
    assert_eq!(
        server(r#"{"type":"error","code":"bad_request","message":"invalid JSON"}"#),
        ServerFrame::Error(ErrorBody::new(ErrorCode::BadRequest, "invalid JSON"))
    );
}

#[test]
fn server_typing_decodes() {
    assert_eq!(
        server(
            r#"{"type":"typing","room_id":"r_1","user":{"id":"u_2","name":"Bo"},"typing":false}"#
        ),
        ServerFrame::Typing(TypingNotice {
            room_id: "r_1".into(),
            user: user("u_2", "Bo"),
            typing: false,
        })
    );
}

#[test]
fn notifications_read_all_event_decodes() {
    assert_eq!(
        server(r#"{"type":"event","seq":5,"event":{"kind":"notifications_read_all"}}"#),
        ServerFrame::Event(EventFrame {
            seq: 5,
            event: Event::NotificationsReadAll {}
        })
    );
}

#[test]
fn room_read_event_decodes() {
    assert_eq!(
        server(
            r#"{"type":"event","seq":6,"event":{"kind":"room_read","room_id":"r_1","up_to":"m_9","unread_count":0}}"#
        ),
        ServerFrame::Event(EventFrame {
            seq: 6,
            event: Event::RoomRead(RoomRead {
                room_id: "r_1".into(),
                up_to: "m_9".into(),
                unread_count: 0,
            }),
        })
    );
}

#[test]
fn message_created_event_decodes() {
    let frame = server(
        r#"{"type":"event","seq":7,"event":{"kind":"message_created","message":{
            "id":"m_10","room_id":"r_1","sender":{"id":"u_2","name":"Bo"},"text":"hello",
            "client_msg_id":"c1","created_at":"2024-05-01T09:30:00Z"}}}"#,
    );
    assert_eq!(
        frame,
        ServerFrame::Event(EventFrame {
            seq: 7,
            event: Event::MessageCreated {
                message: Message {
                    id: "m_10".into(),
                    room_id: "r_1".into(),
                    sender: user("u_2", "Bo"),
                    text: "hello".into(),
                    client_msg_id: Some("c1".into()),
                    reply_to: None,
                    created_at: datetime!(2024-05-01 09:30:00 UTC),
                    edited_at: None,
                },
            },
        })
    );
}

#[test]
fn room_events_decode() {
    let room = json!({
        "id": "r_1", "name": "Job #1", "kind": "job", "members": [{"id": "u_1", "name": "Ann"}],
        "unread_count": 3, "last_message": null, "updated_at": "2024-05-01T09:30:00Z"
    });
    let expected = Room {
        id: "r_1".into(),
        name: "Job #1".into(),
        kind: RoomKind::Job,
        members: vec![user("u_1", "Ann")],
        unread_count: 3,
        last_message: None,
        updated_at: datetime!(2024-05-01 09:30:00 UTC),
    };
    for (kind, event) in [
        (
            "room_created",
            Event::RoomCreated {
                room: expected.clone(),
            },
        ),
        (
            "room_updated",
            Event::RoomUpdated {
                room: expected.clone(),
            },
        ),
    ] {
        let text = json!({"type": "event", "seq": 8, "event": {"kind": kind, "room": room}});
        assert_eq!(
            server(&text.to_string()),
            ServerFrame::Event(EventFrame { seq: 8, event })
        );
    }
}

#[test]
fn notification_events_decode() {
    let notification = json!({
        "id": "n_1", "kind": "out_of_stock", "title": "Out of stock", "body": "SKU 12",
        "priority": 5, "link": {"url": "https://shop.example/p/12"}, "meta": {"sku": "12"},
        "created_at": "2024-05-01T09:30:00Z", "read": false, "archived": false
    });
    let expected = Notification {
        id: "n_1".into(),
        kind: NotificationKind::OutOfStock,
        title: "Out of stock".into(),
        body: "SKU 12".into(),
        priority: 5,
        link: Some(Link {
            room_id: None,
            url: Some("https://shop.example/p/12".into()),
        }),
        meta: serde_json::from_value(json!({"sku": "12"})).unwrap(),
        created_at: datetime!(2024-05-01 09:30:00 UTC),
        read: false,
        archived: false,
        snoozed_until: None,
    };
    for (kind, event) in [
        (
            "notification_created",
            Event::NotificationCreated {
                notification: expected.clone(),
            },
        ),
        (
            "notification_updated",
            Event::NotificationUpdated {
                notification: expected.clone(),
            },
        ),
    ] {
        let text = json!({"type": "event", "seq": 9, "event": {"kind": kind, "notification": notification}});
        assert_eq!(
            server(&text.to_string()),
            ServerFrame::Event(EventFrame { seq: 9, event })
        );
    }
}

#[test]
fn friend_request_events_decode() {
    let request = json!({
        "id": "fr_1", "from": {"id": "u_2", "name": "Bo"}, "to": {"id": "u_1", "name": "Ann"},
        "status": "pending", "created_at": "2024-05-01T09:30:00Z"
    });
    let expected = FriendRequest {
        id: "fr_1".into(),
        from: user("u_2", "Bo"),
        to: user("u_1", "Ann"),
        status: FriendRequestStatus::Pending,
        created_at: datetime!(2024-05-01 09:30:00 UTC),
    };
    for (kind, event) in [
        (
            "friend_request_created",
            Event::FriendRequestCreated {
                request: expected.clone(),
            },
        ),
        (
            "friend_request_updated",
            Event::FriendRequestUpdated {
                request: expected.clone(),
            },
        ),
    ] {
        let text = json!({"type": "event", "seq": 10, "event": {"kind": kind, "request": request}});
        assert_eq!(
            server(&text.to_string()),
            ServerFrame::Event(EventFrame { seq: 10, event })
        );
    }
}

// ---------------------------------------------------------------------------------------------
// REST

#[test]
fn publish_request_for_named_users_decodes() {
    let req: PublishRequest = serde_json::from_str(
        r#"{"to":{"users":["alice","u_2"]},"kind":"sale_completed","title":"Order #881 paid","priority":2,"link":{"url":"https://shop.example/orders/881"},"meta":{"order_id":881}}"#,
    )
    .unwrap();
    assert_eq!(req.to, Audience::Users(vec!["alice".into(), "u_2".into()]));
    assert_eq!(req.kind, NotificationKind::SaleCompleted);
    assert_eq!(req.priority, 2);
    assert_eq!(req.meta["order_id"], json!(881));
}

#[test]
fn login_bodies_decode() {
    let req: LoginRequest =
        serde_json::from_str(r#"{"username":"alice","password":"hunter2"}"#).unwrap();
    assert_eq!(
        req,
        LoginRequest {
            username: "alice".into(),
            password: "hunter2".into()
        }
    );
    let resp: LoginResponse =
        serde_json::from_str(r#"{"token":"t0k3n","user":{"id":"u_1","name":"Ann"}}"#).unwrap();
    assert_eq!(
        resp,
        LoginResponse {
            token: "t0k3n".into(),
            user: user("u_1", "Ann")
        }
    );
}
