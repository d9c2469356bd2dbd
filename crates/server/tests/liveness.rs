//! Liveness and shutdown over real sockets: silent peers are dropped, a graceful shutdown
//! closes every socket with 1001 and the clients resume on the next server without a snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use herald_protocol::wire::{
    close_code, Audience, Event, NotificationKind, Outcome, PublishRequest, ServerFrame,
    StreamPosition,
};
use herald_server::testing::{self, WsClient};
use tokio_tungstenite::tungstenite::Message;

async fn metric(addr: std::net::SocketAddr, name: &str) -> u64 {
    let text = http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_socket_silent_for_ping_plus_grace_is_dropped_while_a_reading_one_stays() {
    // Given pings every second and one second of grace
    let w = world_with(|c| {
        c.ping_interval = Duration::from_secs(1);
        c.liveness_grace = Duration::from_secs(1);
    })
    .await;
    // bob says hello, then stops reading: tungstenite answers pings only while it reads, so
    // the server hears nothing from him.
    let silent = connect(&w, &w.bob).await.into_inner();
    // alice only reads (never sends): her client answers every ping with a pong.
    let mut reading = connect(&w, &w.alice).await.into_inner();
    let until = Instant::now() + Duration::from_millis(4500);
    let mut pings = 0;
    while let Ok(next) = tokio::time::timeout_at(until.into(), reading.next()).await {
        match next {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(_)) => {}
            other => panic!("the reading socket ended: {other:?}"),
        }
    }
    assert!(pings >= 3, "alice saw {pings} pings");

    // Then bob was dropped once ping + grace (2 s) passed without a word from him
    assert_eq!(
        metric(w.server.addr, "herald_liveness_drops_total").await,
        1
    );
    let mut silent = silent;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match silent.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server never closed bob's socket");

    // And alice, who answered pings, is still served
    let mut alice = reading;
    alice
        .send(Message::text(serde_json::to_string(&ping("p")).unwrap()))
        .await
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Text(t))) = alice.next().await {
                if let Ok(ServerFrame::Reply(r)) = serde_json::from_str(&t) {
                    return r;
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(matches!(reply.outcome, Outcome::Ok(_)));
    assert_eq!(metric(w.server.addr, "herald_connections_open").await, 1);
    w.server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_closes_sockets_with_1001_and_clients_resume_recovered_on_the_next_server(
) {
    // Given alice and bob connected, and a message bob has received
    let w = world().await;
    let mut alice = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    let (alice_welcome, _) = alice.hello(None).await.unwrap();
    let mut bob = WsClient::connect(w.server.addr, &w.bob.token)
        .await
        .unwrap();
    let (bob_welcome, _) = bob.hello(None).await.unwrap();
    alice
        .request(&send("s1", &w.room_id, "c1", "before shutdown"))
        .await
        .unwrap();
    let seen = bob.next_event().await.unwrap();
    assert_eq!(seen.seq, bob_welcome.seq + 1);
    let alice_seq = alice.next_event().await.unwrap().seq;
    let old_addr = w.server.addr;

    // When the server shuts down
    let a = tokio::spawn(async move { alice.closed().await.unwrap() });
    let b = tokio::spawn(async move { bob.closed().await.unwrap() });
    w.server.shutdown().await;

    // Then every socket was closed with 1001 and nothing new is accepted
    assert_eq!(a.await.unwrap(), Some(close_code::GOING_AWAY));
    assert_eq!(b.await.unwrap(), Some(close_code::GOING_AWAY));
    assert!(WsClient::connect(old_addr, &w.bob.token).await.is_err());

    // And on a new server over the same database, with a notification bob missed meanwhile,
    // both resume with recovered = true and exactly the events after their positions
    let server = testing::spawn(w.config.clone()).await.unwrap();
    server
        .domain
        .publish_notification(PublishRequest {
            to: Audience::Users(vec!["bob".into()]),
            kind: NotificationKind::SystemAlert,
            title: "while you were away".into(),
            body: String::new(),
            priority: 3,
            link: None,
            meta: Default::default(),
        })
        .await
        .unwrap();
    let mut bob = WsClient::connect(server.addr, &w.bob.token).await.unwrap();
    let (again, snapshot) = bob
        .hello(Some(StreamPosition {
            epoch: bob_welcome.epoch.clone(),
            seq: seen.seq,
        }))
        .await
        .unwrap();
    assert!(again.recovered && snapshot.is_none());
    assert_eq!(again.epoch, bob_welcome.epoch);
    let ev = bob.next_event().await.unwrap();
    assert_eq!(ev.seq, seen.seq + 1);
    assert!(
        matches!(ev.event, Event::NotificationCreated { notification } if notification.title == "while you were away")
    );
    let mut alice = WsClient::connect(server.addr, &w.alice.token)
        .await
        .unwrap();
    let (again, snapshot) = alice
        .hello(Some(StreamPosition {
            epoch: alice_welcome.epoch.clone(),
            seq: alice_seq,
        }))
        .await
        .unwrap();
    assert!(again.recovered && snapshot.is_none());
    assert_eq!(again.seq, alice_seq, "alice missed nothing");
    assert!(matches!(
        alice.request(&ping("p")).await.unwrap().outcome,
        Outcome::Ok(_)
    ));
    server.shutdown().await;
}
