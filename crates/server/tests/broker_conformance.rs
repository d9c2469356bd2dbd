//! One conformance suite for the `Broker` trait, run against every implementation: the
//! in-process broker and the Redis pub/sub broker (against a real redis-server on loopback).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use herald_server::broker::{Broker, Delivery, LocalBroker, RedisBroker};
use redis_server::RedisServer;

/// A broker and whatever must outlive it (the Redis server).
type Made = (Arc<dyn Broker>, Option<RedisServer>);

async fn local() -> Made {
    (Arc::new(LocalBroker::new()), None)
}

async fn redis() -> Made {
    let server = RedisServer::start();
    let broker = RedisBroker::connect(&server.url()).await.unwrap();
    (Arc::new(broker), Some(server))
}

fn d(seq: u64) -> Delivery {
    Delivery {
        seq: Some(seq),
        text: format!("{{\"seq\":{seq}}}").into(),
    }
}

async fn recv(sub: &mut herald_server::broker::Subscription) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
}

async fn every_subscriber_of_a_user_gets_deliveries_in_publish_order(b: Arc<dyn Broker>) {
    let mut one = b.subscribe("u", 16);
    let mut two = b.subscribe("u", 16);
    for i in 1..=3 {
        b.publish("u", d(i));
    }
    for sub in [&mut one, &mut two] {
        for i in 1..=3 {
            assert_eq!(recv(sub).await.seq, Some(i));
        }
    }
}

async fn users_are_isolated(b: Arc<dyn Broker>) {
    let mut other = b.subscribe("other", 16);
    b.publish("u", d(1));
    b.publish("other", d(9));
    assert_eq!(
        recv(&mut other).await.seq,
        Some(9),
        "nothing for u reached other"
    );
}

async fn a_full_subscriber_is_cut_off_and_signalled_without_blocking(b: Arc<dyn Broker>) {
    let slow = b.subscribe("u", 2);
    let mut fast = b.subscribe("u", 64);
    for i in 1..=10 {
        b.publish("u", d(i));
    }
    tokio::time::timeout(Duration::from_secs(5), slow.mailbox.overflowed())
        .await
        .unwrap();
    for i in 1..=10 {
        assert_eq!(recv(&mut fast).await.seq, Some(i), "others are unaffected");
    }
}

async fn dropping_a_subscription_unsubscribes(b: Arc<dyn Broker>) {
    let sub = b.subscribe("u", 1);
    let dropped = sub.mailbox.clone();
    drop(sub);
    let mut live = b.subscribe("u", 64);
    for i in 0..10 {
        b.publish("u", d(i)); // would overflow the dropped one, were it still subscribed
    }
    b.publish("u", d(42));
    // Deliveries reach a user's subscribers in order: once 42 is in, the ten were handed out.
    while recv(&mut live).await.seq != Some(42) {}
    assert!(
        dropped.try_recv().is_none(),
        "a dropped subscription got a delivery"
    );
    assert!(!dropped.is_overflowed());
}

macro_rules! conformance {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;
            #[tokio::test]
            async fn every_subscriber_of_a_user_gets_deliveries_in_publish_order() {
                let (b, _keep) = $make.await;
                super::every_subscriber_of_a_user_gets_deliveries_in_publish_order(b).await;
            }
            #[tokio::test]
            async fn users_are_isolated() {
                let (b, _keep) = $make.await;
                super::users_are_isolated(b).await;
            }
            #[tokio::test]
            async fn a_full_subscriber_is_cut_off_and_signalled_without_blocking() {
                let (b, _keep) = $make.await;
                super::a_full_subscriber_is_cut_off_and_signalled_without_blocking(b).await;
            }
            #[tokio::test]
            async fn dropping_a_subscription_unsubscribes() {
                let (b, _keep) = $make.await;
                super::dropping_a_subscription_unsubscribes(b).await;
            }
        }
    };
}

conformance!(local_broker, local());
conformance!(redis_broker, redis());
