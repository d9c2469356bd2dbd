//! Fan-out of committed events (and ephemeral typing notices) to the sessions holding a user's
//! sockets.
//!
//! The broker is deliberately lossy toward slow subscribers: each subscription has a bounded
//! queue, and a subscriber whose queue is full is cut off (its `overflowed` flag is raised and it
//! is woken), so one stuck client can never make the server buffer without bound. Sessions turn
//! that into close 4008; the client resumes from the durable log. The in-process broker serves a
//! single node; a Redis pub/sub broker for many nodes implements the same trait.

pub mod local;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, Notify};

pub use local::LocalBroker;

/// Something to push to a user's live sockets, serialized once for every socket it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The stream seq of an `event` frame; `None` for ephemeral frames (typing).
    pub seq: Option<u64>,
    /// The whole server frame as JSON text (cheap to clone).
    pub text: Utf8Bytes,
}

/// The subscriber side shared between a [`Subscription`] and the broker.
#[derive(Debug, Default)]
pub struct Signal {
    overflowed: AtomicBool,
    wake: Notify,
}

impl Signal {
    /// Marks the subscription as cut off for being too slow and wakes its owner.
    pub fn overflow(&self) {
        self.overflowed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::SeqCst)
    }

    /// Resolves when the broker cut the subscription off for overflowing.
    pub async fn overflowed(&self) {
        loop {
            let notified = self.wake.notified();
            if self.is_overflowed() {
                return;
            }
            notified.await;
        }
    }
}

/// A session's subscription to one user's deliveries. Dropping it unsubscribes.
pub struct Subscription {
    pub rx: mpsc::Receiver<Delivery>,
    pub signal: Arc<Signal>,
    /// Runs on drop to unregister from the broker.
    pub(crate) on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("signal", &self.signal)
            .finish_non_exhaustive()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

/// Publish/subscribe per user.
pub trait Broker: Send + Sync + 'static {
    /// Subscribes to `user_id`'s deliveries with a queue of `capacity`.
    fn subscribe(&self, user_id: &str, capacity: usize) -> Subscription;
    /// Delivers to every current subscriber of `user_id`; never blocks (slow ones overflow).
    fn publish(&self, user_id: &str, delivery: Delivery);
}
