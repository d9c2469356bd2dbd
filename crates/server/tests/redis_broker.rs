//! The Redis broker as several nodes use it, against a real redis-server on loopback: fan-out
//! between nodes, and what an outage does (sessions are cut off, never silently starved).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use herald_server::broker::{Broker, Delivery, RedisBroker, Subscription};
use redis_server::RedisServer;

fn d(seq: u64) -> Delivery {
    Delivery {
        seq: Some(seq),
        text: format!("{{\"seq\":{seq}}}").into(),
    }
}

async fn recv(sub: &Subscription) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
}

async fn until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn what_one_node_publishes_reaches_the_subscribers_on_every_node_in_order() {
    let redis = RedisServer::start();
    let a = RedisBroker::connect(&redis.url()).await.unwrap();
    let b = RedisBroker::connect(&redis.url()).await.unwrap();
    let on_a = a.subscribe("alice", 64);
    let on_b = b.subscribe("alice", 64);
    let other_on_b = b.subscribe("bob", 64);
    for i in 1..=20 {
        a.publish("alice", d(i));
    }
    b.publish("bob", d(7));
    for sub in [&on_a, &on_b] {
        for i in 1..=20 {
            assert_eq!(recv(sub).await.seq, Some(i));
        }
    }
    assert_eq!(
        recv(&other_on_b).await.seq,
        Some(7),
        "only bob's reached bob"
    );
}

#[tokio::test]
async fn an_outage_cuts_subscribers_off_and_deliveries_resume_when_redis_is_back() {
    let mut redis = RedisServer::start();
    let broker = RedisBroker::connect(&redis.url()).await.unwrap();
    let before = broker.subscribe("alice", 64);
    redis.kill();
    // The session would close with 4008 here, and its client resume from the log.
    tokio::time::timeout(Duration::from_secs(20), before.mailbox.overflowed())
        .await
        .unwrap();
    until("the link counts as down", || !broker.is_up()).await;
    let during = broker.subscribe("alice", 64);
    assert!(
        during.mailbox.is_overflowed(),
        "a subscription made during the outage would silently miss events"
    );
    broker.publish("alice", d(1)); // dropped: nobody can receive it live; it is in the log
    redis.restart();
    until("the link is back", || broker.is_up()).await;
    let after = broker.subscribe("alice", 64);
    broker.publish("alice", d(2));
    assert_eq!(recv(&after).await.seq, Some(2));
}

#[tokio::test]
async fn a_server_that_cannot_reach_redis_says_so_at_start() {
    let redis = RedisServer::start();
    let url = redis.url();
    drop(redis);
    let e = RedisBroker::connect(&url).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot use Redis at redis://127.0.0.1:"),
        "{e}"
    );
}
