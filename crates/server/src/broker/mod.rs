//! Fan-out of committed events (and ephemeral typing notices) to the sessions holding a user's
//! sockets.
//!
//! The broker is deliberately lossy toward slow subscribers: each subscription has a bounded
//! queue, and a subscriber whose queue is full is cut off (its `overflowed` flag is raised and it
//! is woken), so one stuck client can never make the server buffer without bound. Sessions turn
//! that into close 4008; the client resumes from the durable log. The in-process broker serves a
//! single node; the Redis pub/sub broker (`redis.rs`) serves several nodes.

pub mod local;
pub mod redis;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

pub use local::LocalBroker;
pub use redis::RedisBroker;

/// Something to push to a user's live sockets, serialized once for every socket it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The stream seq of an `event` frame; `None` for ephemeral frames (typing).
    pub seq: Option<u64>,
    /// The whole server frame as JSON text (cheap to clone).
    pub text: Utf8Bytes,
}

/// Why [`Mailbox::push`] refused a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The queue was full: the subscriber is now cut off (overflowed).
    Full,
    /// The subscriber was already cut off.
    Overflowed,
}

/// A subscriber's bounded queue, shared between the broker (producer) and one session.
///
/// It allocates nothing until something is queued (an idle socket costs a few dozen bytes
/// here, where a `tokio::sync::mpsc` channel preallocates a 32-slot block), and gives its
/// memory back once a burst has drained.
#[derive(Debug)]
pub struct Mailbox {
    queue: Mutex<VecDeque<Delivery>>,
    capacity: usize,
    overflowed: AtomicBool,
    /// Wakes the consumer on a new delivery (single consumer: a stored permit never gets lost).
    arrived: Notify,
    /// Wakes the consumer when it is cut off.
    cut_off: Notify,
}

/// Capacity a drained queue may keep; a larger one is released.
const KEEP_CAPACITY: usize = 16;

impl Mailbox {
    pub fn new(capacity: usize) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            overflowed: AtomicBool::new(false),
            arrived: Notify::new(),
            cut_off: Notify::new(),
        }
    }

    /// Queues a delivery without blocking; a full queue cuts the subscriber off.
    pub fn push(&self, delivery: Delivery) -> Result<(), PushError> {
        if self.is_overflowed() {
            return Err(PushError::Overflowed);
        }
        {
            let Ok(mut q) = self.queue.lock() else {
                return Err(PushError::Overflowed);
            };
            if q.len() >= self.capacity {
                drop(q);
                self.overflow();
                return Err(PushError::Full);
            }
            q.push_back(delivery);
        }
        self.arrived.notify_one();
        Ok(())
    }

    /// Marks the subscription as cut off for being too slow and wakes its owner.
    pub fn overflow(&self) {
        self.overflowed.store(true, Ordering::SeqCst);
        self.cut_off.notify_one();
    }

    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::SeqCst)
    }

    /// Resolves when the broker cut the subscription off for overflowing.
    pub async fn overflowed(&self) {
        loop {
            let notified = self.cut_off.notified();
            if self.is_overflowed() {
                return;
            }
            notified.await;
        }
    }

    /// The next delivery, if one is queued.
    pub fn try_recv(&self) -> Option<Delivery> {
        let mut q = self.queue.lock().ok()?;
        let d = q.pop_front();
        if q.is_empty() && q.capacity() > KEEP_CAPACITY {
            *q = VecDeque::new();
        }
        d
    }

    /// Waits for the next delivery. Cancel-safe; one consumer only.
    pub async fn recv(&self) -> Delivery {
        loop {
            if let Some(d) = self.try_recv() {
                return d;
            }
            self.arrived.notified().await;
        }
    }
}

/// A session's subscription to one user's deliveries. Dropping it unsubscribes.
pub struct Subscription {
    pub mailbox: Arc<Mailbox>,
    /// Runs on drop to unregister from the broker.
    pub(crate) on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Subscription {
    /// Waits for the next delivery (see [`Mailbox::recv`]).
    pub async fn recv(&self) -> Delivery {
        self.mailbox.recv().await
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("mailbox", &self.mailbox)
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
