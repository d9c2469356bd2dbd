//! The in-process broker: a map from user id to that user's subscribers' bounded queues.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::{Broker, Delivery, Mailbox, Subscription};

struct Subscriber {
    id: u64,
    mailbox: Arc<Mailbox>,
}

#[derive(Default)]
struct Inner {
    next_id: AtomicU64,
    users: Mutex<HashMap<String, Vec<Subscriber>>>,
}

/// Single-node [`Broker`].
#[derive(Clone, Default)]
pub struct LocalBroker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LocalBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBroker")
            .field("users", &self.subscribed_users())
            .finish()
    }
}

impl LocalBroker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts every subscriber off (they see `overflowed`, their sessions close with 4008 and
    /// their clients resume from the log): for a node that lost its link to other nodes.
    pub fn cut_off_all(&self) {
        let Ok(mut users) = self.inner.users.lock() else {
            return;
        };
        for subscriber in users.values().flatten() {
            subscriber.mailbox.overflow();
        }
        users.clear();
    }

    /// How many users have at least one subscriber (for tests and metrics).
    pub fn subscribed_users(&self) -> usize {
        self.inner.users.lock().map(|m| m.len()).unwrap_or(0)
    }
}

fn unsubscribe(inner: &Weak<Inner>, user_id: &str, id: u64) {
    let Some(inner) = inner.upgrade() else { return };
    let Ok(mut users) = inner.users.lock() else {
        return;
    };
    if let Some(list) = users.get_mut(user_id) {
        list.retain(|s| s.id != id);
        if list.is_empty() {
            users.remove(user_id);
        }
    }
}

impl Broker for LocalBroker {
    fn subscribe(&self, user_id: &str, capacity: usize) -> Subscription {
        let mailbox = Arc::new(Mailbox::new(capacity));
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut users) = self.inner.users.lock() {
            users
                .entry(user_id.to_owned())
                .or_default()
                .push(Subscriber {
                    id,
                    mailbox: mailbox.clone(),
                });
        }
        let weak = Arc::downgrade(&self.inner);
        let user = user_id.to_owned();
        Subscription {
            mailbox,
            on_drop: Some(Box::new(move || unsubscribe(&weak, &user, id))),
        }
    }

    fn publish(&self, user_id: &str, delivery: Delivery) {
        let Ok(mut users) = self.inner.users.lock() else {
            return;
        };
        let Some(list) = users.get_mut(user_id) else {
            return;
        };
        // A full mailbox is cut off (and told so by `push`) and dropped from the list.
        list.retain(|s| s.mailbox.push(delivery.clone()).is_ok());
        if list.is_empty() {
            users.remove(user_id);
        }
    }
}
