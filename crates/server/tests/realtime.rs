//! End-to-end behaviour over real sockets: connect, stream, resume, limits, isolation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use herald_protocol::wire::{
    close_code, Audience, ClientFrame, ErrorCode, Event, LoadHistory, MarkRoomRead,
    NotificationKind, Outcome, PostMessage, PublishRequest, Req, RespondFriendRequest, ServerFrame,
    StreamPosition, TypingUpdate,
};
use herald_server::config::Retention;
use herald_server::testing::{self, WsClient};

fn publish_to(user: &str, title: &str) -> PublishRequest {
    PublishRequest {
        to: Audience::Users(vec![user.into()]),
        kind: NotificationKind::LowStock,
        title: title.into(),
        body: "only 3 left".into(),
        priority: 3,
        link: None,
        meta: Default::default(),
    }
}

#[tokio::test]
async fn first_connect_gets_welcome_then_snapshot_at_the_stream_head() {
    let w = world().await;
    let mut ws = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    let (welcome, snapshot) = ws.hello(None).await.unwrap();
    let snapshot = snapshot.expect("first connect gets a snapshot");
    assert!(!welcome.recovered);
    assert_eq!(welcome.user.id, "alice");
    assert_eq!(welcome.seq, snapshot.seq);
    assert_eq!(snapshot.rooms.len(), 1);
    assert_eq!(snapshot.rooms[0].name, "Job #5");
    assert_eq!(snapshot.rooms[0].members.len(), 2);
    w.server.shutdown().await;
}

#[tokio::test]
async fn two_users_exchange_messages_and_see_unread_counts_move() {
    let w = world().await;
    let mut alice = connect(&w, &w.alice).await;
    let mut bob = connect(&w, &w.bob).await;

    let msg = ok_message(
        alice
            .request(&send("1", &w.room_id, "c1", "hello bob"))
            .await
            .unwrap(),
    );
    let Event::MessageCreated { message } = bob.next_event().await.unwrap().event else {
        panic!("expected message")
    };
    assert_eq!(message, msg);
    assert_eq!(message.sender.id, "alice");
    let Event::MessageCreated { message: own } = alice.next_event().await.unwrap().event else {
        panic!()
    };
    assert_eq!(
        own.id, msg.id,
        "the sender's other devices see their own message too"
    );

    let rooms: Vec<herald_protocol::wire::Room> = http()
        .get(format!("http://{}/api/rooms", w.server.addr))
        .bearer_auth(&w.bob.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rooms[0].unread_count, 1);

    let read = ClientFrame::MarkRoomRead(Req {
        id: "r".into(),
        params: MarkRoomRead {
            room_id: w.room_id.clone(),
            up_to: msg.id.clone(),
        },
    });
    let ok: herald_protocol::wire::RoomRead =
        bob.request(&read).await.unwrap().into_result().unwrap();
    assert_eq!(ok.unread_count, 0);
    let Event::RoomRead(ev) = bob.next_event().await.unwrap().event else {
        panic!("expected room_read")
    };
    assert_eq!(ev.unread_count, 0);

    ok_message(
        bob.request(&send("2", &w.room_id, "c2", "hi alice"))
            .await
            .unwrap(),
    );
    let Event::MessageCreated { message } = alice.next_event().await.unwrap().event else {
        panic!()
    };
    assert_eq!(message.text, "hi alice");
    w.server.shutdown().await;
}

#[tokio::test]
async fn resume_after_disconnect_replays_exactly_the_missed_events() {
    let w = world().await;
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let (welcome, _) = bob.hello(None).await.unwrap();
    drop(bob);

    // Given three changes while bob is offline: socket, REST and the publish API.
    let mut alice = connect(&w, &w.alice).await;
    ok_message(
        alice
            .request(&send("1", &w.room_id, "c1", "over the socket"))
            .await
            .unwrap(),
    );
    let res = http()
        .post(format!(
            "http://{}/api/rooms/{}/messages",
            w.server.addr, w.room_id
        ))
        .bearer_auth(&w.alice.token)
        .json(&PostMessage {
            text: "over REST".into(),
            client_msg_id: None,
            reply_to: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = http()
        .post(format!("http://{}/api/publish", w.server.addr))
        .bearer_auth(&w.config.service_key)
        .json(&publish_to("bob", "Low stock: grout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // When bob resumes from where he was.
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let pos = StreamPosition {
        epoch: welcome.epoch.clone(),
        seq: welcome.seq,
    };
    let (again, snapshot) = bob.hello(Some(pos)).await.unwrap();

    // Then exactly the three missed events follow, in order, and nothing else.
    assert!(again.recovered && snapshot.is_none());
    assert_eq!(again.seq, welcome.seq + 3);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(bob.next_event().await.unwrap());
    }
    assert_eq!(
        got.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (welcome.seq + 1..=welcome.seq + 3).collect::<Vec<_>>()
    );
    assert!(
        matches!(&got[0].event, Event::MessageCreated { message } if message.text == "over the socket")
    );
    assert!(
        matches!(&got[1].event, Event::MessageCreated { message } if message.text == "over REST")
    );
    assert!(
        matches!(&got[2].event, Event::NotificationCreated { notification } if notification.title == "Low stock: grout")
    );
    bob.send(&ping("p")).await.unwrap();
    assert!(
        matches!(bob.recv().await.unwrap(), ServerFrame::Reply(r) if r.id == "p"),
        "no extra event"
    );
    w.server.shutdown().await;
}

#[tokio::test]
async fn resume_with_another_epoch_or_outside_retention_gets_a_snapshot() {
    let w = world_with(|c| {
        c.retention = Retention {
            min_events: 1,
            max_age: Duration::ZERO,
        }
    })
    .await;
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let (welcome, _) = bob.hello(None).await.unwrap();
    drop(bob);

    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let wrong = StreamPosition {
        epoch: "another-epoch".into(),
        seq: welcome.seq,
    };
    let (again, snapshot) = bob.hello(Some(wrong)).await.unwrap();
    assert!(!again.recovered && snapshot.is_some());
    drop(bob);

    for i in 0..3 {
        w.server
            .domain
            .publish_notification(publish_to("bob", &format!("n{i}")))
            .await
            .unwrap();
    }
    let pruned = w
        .server
        .domain
        .store
        .prune(
            w.config.retention,
            time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
        )
        .await
        .unwrap();
    assert!(pruned > 0);
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let old = StreamPosition {
        epoch: welcome.epoch.clone(),
        seq: welcome.seq,
    };
    let (again, snapshot) = bob.hello(Some(old)).await.unwrap();
    assert!(!again.recovered, "events after the position were pruned");
    assert_eq!(snapshot.unwrap().notifications.unread, 3);
    w.server.shutdown().await;
}

#[tokio::test]
async fn duplicate_client_msg_id_creates_one_message_and_one_event() {
    let w = world().await;
    let mut alice = connect(&w, &w.alice).await;
    let mut bob = connect(&w, &w.bob).await;
    let first = ok_message(
        alice
            .request(&send("1", &w.room_id, "same", "once"))
            .await
            .unwrap(),
    );
    let retry = ok_message(
        alice
            .request(&send("2", &w.room_id, "same", "once"))
            .await
            .unwrap(),
    );
    assert_eq!(first, retry);
    bob.next_event().await.unwrap();
    bob.send(&ping("p")).await.unwrap();
    assert!(
        matches!(bob.recv().await.unwrap(), ServerFrame::Reply(r) if r.id == "p"),
        "no second event"
    );
    let page = ClientFrame::LoadHistory(Req {
        id: "h".into(),
        params: LoadHistory {
            room_id: w.room_id.clone(),
            before: None,
            limit: 10,
        },
    });
    let ok: herald_protocol::wire::LoadHistoryOk =
        alice.request(&page).await.unwrap().into_result().unwrap();
    assert_eq!(ok.messages.len(), 1);
    w.server.shutdown().await;
}

#[tokio::test]
async fn users_never_see_or_touch_rooms_they_are_not_in() {
    let w = world().await;
    let mut carol = WsClient::connect(w.server.addr, &w.carol.token)
        .await
        .unwrap();
    let (_, snap) = carol.hello(None).await.unwrap();
    assert!(snap.unwrap().rooms.is_empty());
    let mut bob = connect(&w, &w.bob).await;
    let mut alice = connect(&w, &w.alice).await;

    let reply = carol
        .request(&send("1", &w.room_id, "x", "let me in"))
        .await
        .unwrap();
    assert!(matches!(reply.outcome, Outcome::Error(ref e) if e.code == ErrorCode::Forbidden));
    let hist = ClientFrame::LoadHistory(Req {
        id: "h".into(),
        params: LoadHistory {
            room_id: w.room_id.clone(),
            before: None,
            limit: 10,
        },
    });
    assert!(
        matches!(carol.request(&hist).await.unwrap().outcome, Outcome::Error(ref e) if e.code == ErrorCode::Forbidden)
    );
    let res = http()
        .get(format!(
            "http://{}/api/rooms/{}/messages",
            w.server.addr, w.room_id
        ))
        .bearer_auth(&w.carol.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Typing reaches the room's other members only.
    alice
        .send(&ClientFrame::Typing(TypingUpdate {
            room_id: w.room_id.clone(),
            typing: true,
        }))
        .await
        .unwrap();
    assert!(
        matches!(bob.recv().await.unwrap(), ServerFrame::Typing(t) if t.user.id == "alice" && t.typing)
    );
    // A notification of bob's is invisible to alice.
    let ids = w
        .server
        .domain
        .publish_notification(publish_to("bob", "for bob"))
        .await
        .unwrap()
        .notification_ids;
    let read = ClientFrame::MarkNotificationRead(Req {
        id: "n".into(),
        params: herald_protocol::wire::NotificationRef {
            notification_id: ids[0].clone(),
        },
    });
    assert!(
        matches!(alice.request(&read).await.unwrap().outcome, Outcome::Error(ref e) if e.code == ErrorCode::NotFound)
    );
    carol.send(&ping("p")).await.unwrap();
    assert!(
        matches!(carol.recv().await.unwrap(), ServerFrame::Reply(r) if r.id == "p"),
        "carol saw nothing of it"
    );
    w.server.shutdown().await;
}

#[tokio::test]
async fn garbage_unknown_and_oversize_frames_get_errors_and_keep_the_connection() {
    let w = world().await;
    let mut alice = connect(&w, &w.alice).await;
    alice.send_text("{not json").await.unwrap();
    assert!(
        matches!(alice.recv().await.unwrap(), ServerFrame::Error(e) if e.code == ErrorCode::BadRequest)
    );
    alice
        .send_text(r#"{"type":"teleport","id":"1"}"#)
        .await
        .unwrap();
    assert!(
        matches!(alice.recv().await.unwrap(), ServerFrame::Error(e) if e.code == ErrorCode::BadRequest)
    );
    alice
        .send_text(r#"{"type":"send_message","id":"b1","room_id":3}"#)
        .await
        .unwrap();
    assert!(
        matches!(alice.recv().await.unwrap(), ServerFrame::Reply(r) if r.id == "b1" && matches!(r.outcome, Outcome::Error(ref e) if e.code == ErrorCode::BadRequest))
    );
    alice
        .send_text(&format!(
            r#"{{"type":"ping","id":"{}"}}"#,
            "x".repeat(70 * 1024)
        ))
        .await
        .unwrap();
    assert!(
        matches!(alice.recv().await.unwrap(), ServerFrame::Error(e) if e.code == ErrorCode::TooLarge)
    );
    let long = "é".repeat(4001);
    let reply = alice
        .request(&send("t", &w.room_id, "long", &long))
        .await
        .unwrap();
    assert!(matches!(reply.outcome, Outcome::Error(ref e) if e.code == ErrorCode::TooLarge));
    let reply = alice
        .request(&send("e", &w.room_id, "empty", "   "))
        .await
        .unwrap();
    assert!(matches!(reply.outcome, Outcome::Error(ref e) if e.code == ErrorCode::BadRequest));
    assert!(
        matches!(
            alice.request(&ping("p")).await.unwrap().outcome,
            Outcome::Ok(_)
        ),
        "still connected"
    );
    w.server.shutdown().await;
}

#[tokio::test]
async fn a_frame_before_hello_an_oversize_hello_or_a_wrong_protocol_closes_with_4400() {
    let w = world().await;
    let mut ws = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    ws.send(&ping("p")).await.unwrap();
    assert_eq!(
        ws.closed().await.unwrap(),
        Some(close_code::PROTOCOL_VIOLATION)
    );

    let mut ws = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    ws.send_text(&"x".repeat(65 * 1024)).await.unwrap();
    assert_eq!(
        ws.closed().await.unwrap(),
        Some(close_code::PROTOCOL_VIOLATION)
    );

    let mut ws = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    ws.send_text(r#"{"type":"hello","protocol":99,"resume":null}"#)
        .await
        .unwrap();
    assert_eq!(
        ws.closed().await.unwrap(),
        Some(close_code::PROTOCOL_VIOLATION)
    );
    w.server.shutdown().await;
}

#[tokio::test]
async fn ws_refuses_missing_invalid_or_expired_tokens_with_401_before_upgrade() {
    let w = world().await;
    let expired = w
        .server
        .domain
        .keys
        .mint(
            &w.alice.user,
            time::OffsetDateTime::now_utc() - time::Duration::hours(1),
            Duration::from_secs(60),
        )
        .unwrap();
    for token in ["", "garbage", expired.as_str()] {
        let err = WsClient::connect(w.server.addr, token).await.unwrap_err();
        let status = match err.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
            Some(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            other => panic!("expected an HTTP refusal, got {other:?}"),
        };
        assert_eq!(status, 401, "token {token:?}");
    }
    let res = http()
        .get(format!("http://{}/api/rooms", w.server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = http()
        .post(format!("http://{}/api/publish", w.server.addr))
        .bearer_auth("wrong")
        .json(&publish_to("bob", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    w.server.shutdown().await;
}

#[tokio::test]
async fn a_token_that_expires_on_a_live_socket_closes_it_with_4001() {
    let w = world().await;
    let short = w
        .server
        .domain
        .keys
        .mint(
            &w.alice.user,
            time::OffsetDateTime::now_utc(),
            Duration::from_secs(2),
        )
        .unwrap();
    let mut ws = WsClient::connect(w.server.addr, &short).await.unwrap();
    ws.hello(None).await.unwrap();
    assert_eq!(ws.closed().await.unwrap(), Some(close_code::UNAUTHORIZED));
    w.server.shutdown().await;
}

#[tokio::test]
async fn slow_consumer_is_closed_with_4008_while_others_are_served() {
    let w = world_with(|c| {
        c.outbound_queue = 8;
        c.close_timeout = Duration::from_secs(10);
    })
    .await;
    let mut bob = connect(&w, &w.bob).await;
    let mut alice = connect(&w, &w.alice).await;
    // Bob stops reading; bulky notifications pile up until his queue overflows.
    let mut req = publish_to("bob", "bulk");
    req.body = "x".repeat(3900);
    let metrics = || async {
        http()
            .get(format!("http://{}/metrics", w.server.addr))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let mut dropped = false;
    for i in 0..5000 {
        w.server
            .domain
            .publish_notification(req.clone())
            .await
            .unwrap();
        if i % 100 == 99 {
            assert!(
                matches!(
                    alice.request(&ping("p")).await.unwrap().outcome,
                    Outcome::Ok(_)
                ),
                "others stay served"
            );
            if metrics()
                .await
                .contains("herald_slow_consumer_drops_total 1")
            {
                dropped = true;
                break;
            }
        }
    }
    assert!(dropped, "bob's queue never overflowed");
    // When bob reads again, the stream ends with 4008.
    assert_eq!(bob.closed().await.unwrap(), Some(close_code::TOO_SLOW));
    assert!(matches!(
        alice.request(&ping("p2")).await.unwrap().outcome,
        Outcome::Ok(_)
    ));
    w.server.shutdown().await;
}

#[tokio::test]
async fn after_a_server_restart_on_the_same_database_clients_resume_with_nothing_lost() {
    let w = world().await;
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let (welcome, _) = bob.hello(None).await.unwrap();
    let closing = tokio::spawn(async move { bob.closed().await.unwrap() });
    w.server.shutdown().await;
    assert_eq!(closing.await.unwrap(), Some(close_code::GOING_AWAY));

    let server = testing::spawn(w.config.clone()).await.unwrap();
    let res = http()
        .post(format!(
            "http://{}/api/rooms/{}/messages",
            server.addr, w.room_id
        ))
        .bearer_auth(&w.alice.token)
        .json(&PostMessage {
            text: "after restart".into(),
            client_msg_id: Some("r1".into()),
            reply_to: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut bob = WsClient::connect(server.addr, &w.bob.token).await.unwrap();
    let (again, _) = bob
        .hello(Some(StreamPosition {
            epoch: welcome.epoch.clone(),
            seq: welcome.seq,
        }))
        .await
        .unwrap();
    assert!(again.recovered);
    assert_eq!(again.epoch, welcome.epoch);
    let ev = bob.next_event().await.unwrap();
    assert_eq!(ev.seq, welcome.seq + 1);
    assert!(
        matches!(ev.event, Event::MessageCreated { message } if message.text == "after restart")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn history_pages_oldest_first_with_limit_clamped_to_100() {
    let w = world().await;
    let mut alice = connect(&w, &w.alice).await;
    for i in 0..120 {
        w.server
            .domain
            .send_message(
                &w.alice.user,
                &w.room_id,
                Some(format!("c{i}")),
                &format!("m{i}"),
                None,
            )
            .await
            .unwrap();
    }
    let page = |before: Option<String>| {
        ClientFrame::LoadHistory(Req {
            id: "h".into(),
            params: LoadHistory {
                room_id: w.room_id.clone(),
                before,
                limit: 500,
            },
        })
    };
    let ok: herald_protocol::wire::LoadHistoryOk = alice
        .request(&page(None))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(ok.messages.len(), 100);
    assert!(ok.has_more);
    assert_eq!(ok.messages[0].text, "m20");
    assert_eq!(ok.messages[99].text, "m119");
    let older: herald_protocol::wire::LoadHistoryOk = alice
        .request(&page(Some(ok.messages[0].id.clone())))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(older.messages.len(), 20);
    assert!(!older.has_more);
    assert_eq!(older.messages[0].text, "m0");
    w.server.shutdown().await;
}

#[tokio::test]
async fn accepting_a_friend_request_notifies_the_sender_and_opens_a_direct_room() {
    let w = world().await;
    let mut carol = connect(&w, &w.carol).await;
    let mut bob = connect(&w, &w.bob).await;
    let res = http()
        .post(format!("http://{}/api/friend-requests", w.server.addr))
        .bearer_auth(&w.carol.token)
        .json(&serde_json::json!({"to": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let request: herald_protocol::wire::FriendRequest = res.json().await.unwrap();
    assert!(matches!(
        bob.next_event().await.unwrap().event,
        Event::FriendRequestCreated { .. }
    ));
    assert!(
        matches!(bob.next_event().await.unwrap().event, Event::NotificationCreated { notification } if notification.kind == NotificationKind::FriendRequest)
    );
    assert!(matches!(
        carol.next_event().await.unwrap().event,
        Event::FriendRequestCreated { .. }
    ));

    let respond = ClientFrame::RespondFriendRequest(Req {
        id: "f".into(),
        params: RespondFriendRequest {
            request_id: request.id.clone(),
            accept: true,
        },
    });
    let ok: herald_protocol::wire::FriendRequestOk =
        bob.request(&respond).await.unwrap().into_result().unwrap();
    assert_eq!(
        ok.request.status,
        herald_protocol::wire::FriendRequestStatus::Accepted
    );
    assert!(matches!(
        carol.next_event().await.unwrap().event,
        Event::FriendRequestUpdated { .. }
    ));
    assert!(
        matches!(carol.next_event().await.unwrap().event, Event::RoomCreated { room } if room.kind == herald_protocol::wire::RoomKind::Direct)
    );
    assert!(
        matches!(carol.next_event().await.unwrap().event, Event::NotificationCreated { notification } if notification.kind == NotificationKind::FriendRequestAccepted)
    );
    let again = bob.request(&respond).await.unwrap();
    assert!(matches!(again.outcome, Outcome::Error(ref e) if e.code == ErrorCode::Conflict));
    w.server.shutdown().await;
}

#[tokio::test]
async fn several_sockets_of_one_user_all_get_the_stream() {
    let w = world().await;
    let mut bob1 = connect(&w, &w.bob).await;
    let mut bob2 = connect(&w, &w.bob).await;
    w.server
        .domain
        .publish_notification(publish_to("bob", "both"))
        .await
        .unwrap();
    let a = bob1.next_event().await.unwrap();
    let b = bob2.next_event().await.unwrap();
    assert_eq!(a, b);
    w.server.shutdown().await;
}
