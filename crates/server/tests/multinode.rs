//! Two server nodes behind one Redis, as a deployment past one process runs them: a user's
//! sockets on one node receive what was done on the other, in stream order. The nodes share
//! one database (a SQLite file, or a real PostgreSQL server; the per-user stream and its seqs
//! live there), and fan out through RedisBroker against a real redis-server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/postgres_server.rs"]
mod postgres_server;
#[path = "common/redis_server.rs"]
mod redis_server;

use common::*;
use herald_protocol::wire::{Audience, Event, NotificationKind, PostMessage, PublishRequest};
use herald_server::config::Database;
use herald_server::testing;
use postgres_server::PostgresServer;
use redis_server::RedisServer;

/// A second node on `w`'s database, secrets and Redis (its own port), and `user`'s socket on
/// it, said hello to.
async fn node_b_with_socket(
    w: &World,
    user: &str,
) -> (
    herald_server::RunningServer,
    herald_protocol::wire::LoginResponse,
    testing::WsClient,
) {
    let node_b = testing::spawn(w.config.clone()).await.unwrap();
    let login = testing::login(node_b.addr, user, PW).await.unwrap();
    let mut ws = testing::WsClient::connect(node_b.addr, &login.token)
        .await
        .unwrap();
    ws.hello(None).await.unwrap();
    (node_b, login, ws)
}

#[tokio::test]
async fn a_message_posted_on_one_node_reaches_the_recipients_socket_on_the_other() {
    let redis = RedisServer::start();
    let w = world_with(|c| c.redis_url = Some(redis.url())).await;
    let (node_b, _, mut bob) = node_b_with_socket(&w, "bob").await;
    let mut alice = connect(&w, &w.alice).await; // on node A

    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        let res = http()
            .post(format!(
                "http://{}/api/rooms/{}/messages",
                w.server.addr, w.room_id
            ))
            .bearer_auth(&w.alice.token)
            .json(&PostMessage {
                text: (*text).into(),
                client_msg_id: Some(format!("multi-{i}")),
                reply_to: None,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let mut seqs = Vec::new();
    for text in ["one", "two", "three"] {
        let ev = bob.next_event().await.unwrap();
        let Event::MessageCreated { message } = ev.event else {
            panic!("expected a message, got {:?}", ev.event)
        };
        assert_eq!(message.text, text);
        seqs.push(ev.seq);
    }
    assert!(seqs.windows(2).all(|p| p[1] == p[0] + 1), "{seqs:?}");
    // The sender's own socket on node A sees its messages too.
    let Event::MessageCreated { message } = alice.next_event().await.unwrap().event else {
        panic!("expected alice's own message")
    };
    assert_eq!(message.text, "one");
    node_b.shutdown().await;
    w.server.shutdown().await;
}

#[tokio::test]
async fn a_notification_published_through_one_node_reaches_a_socket_on_the_other() {
    let redis = RedisServer::start();
    let w = world_with(|c| c.redis_url = Some(redis.url())).await;
    let (node_b, _, mut carol) = node_b_with_socket(&w, "carol").await;
    let res = http()
        .post(format!("http://{}/api/publish", w.server.addr))
        .bearer_auth(&w.config.service_key)
        .json(&PublishRequest {
            to: Audience::Users(vec!["carol".into()]),
            kind: NotificationKind::LowStock,
            title: "Low stock: Blue Mug".into(),
            body: "only 3 left".into(),
            priority: 3,
            link: None,
            meta: Default::default(),
        })
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let Event::NotificationCreated { notification } = carol.next_event().await.unwrap().event
    else {
        panic!("expected a notification")
    };
    assert_eq!(notification.title, "Low stock: Blue Mug");
    node_b.shutdown().await;
    w.server.shutdown().await;
}

#[tokio::test]
async fn two_nodes_on_one_postgres_database_write_concurrently_into_gapless_streams() {
    // given two nodes sharing one PostgreSQL database and one Redis
    let pg = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let redis = RedisServer::start();
    let w = world_with(|c| {
        c.database = Database::Postgres(pg.url("postgres"));
        c.redis_url = Some(redis.url());
    })
    .await;
    let (node_b, bob_on_b, mut bob) = node_b_with_socket(&w, "bob").await;
    // when alice posts through node A while bob posts through node B, at the same time
    let post = |addr: std::net::SocketAddr, token: String, who: &'static str| {
        let room = w.room_id.clone();
        async move {
            for i in 0..10 {
                let res = http()
                    .post(format!("http://{addr}/api/rooms/{room}/messages"))
                    .bearer_auth(&token)
                    .json(&PostMessage {
                        text: format!("{who} {i}"),
                        client_msg_id: Some(format!("{who}-{i}")),
                        reply_to: None,
                    })
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }
    };
    tokio::join!(
        post(w.server.addr, w.alice.token.clone(), "alice"),
        post(node_b.addr, bob_on_b.token.clone(), "bob"),
    );
    // then bob's socket gets all 20, in one gapless run of seqs
    let mut seqs = Vec::new();
    for _ in 0..20 {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), bob.next_event())
            .await
            .expect("every message arrives")
            .unwrap();
        assert!(matches!(ev.event, Event::MessageCreated { .. }), "{ev:?}");
        seqs.push(ev.seq);
    }
    assert!(seqs.windows(2).all(|p| p[1] == p[0] + 1), "{seqs:?}");
    let stored = w
        .server
        .domain
        .store
        .events_after("bob", 0, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), 21, "room_created and 20 messages");
    node_b.shutdown().await;
    w.server.shutdown().await;
}
