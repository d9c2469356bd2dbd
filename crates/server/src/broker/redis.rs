//! The Redis pub/sub broker: fan-out between several server nodes.
//!
//! Every node pattern-subscribes once to `herald:user:*` and publishes each delivery to
//! `herald:user:<id>`; what arrives from Redis (its own publishes included) goes to the node's
//! local subscribers through a [`LocalBroker`]. Subscribing is therefore instant and local: a
//! session that subscribes and then reads its replay from the store cannot miss an event that
//! another node commits in between (it arrives over Redis; the session drops the duplicate).
//!
//! Redis pub/sub is at-most-once, so Herald's correctness never rests on it: every event is in
//! the durable per-user log with its seq, clients resume on a gap, and whenever this node's link
//! to Redis breaks (or cannot keep up) every local subscriber is cut off, so sessions close
//! with 4008 and their clients resume from the log once the link is back. Subscribing while the
//! link is down gives a subscription that is cut off at once, for the same reason.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{Broker, Delivery, LocalBroker, Subscription};

/// The channel of a user's deliveries is this prefix + the user id.
pub const CHANNEL_PREFIX: &str = "herald:user:";
/// Deliveries waiting to be published before the node counts Redis as too slow.
const OUTGOING_QUEUE: usize = 65_536;
/// Reconnect backoff bounds.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Multi-node [`Broker`] over Redis pub/sub.
#[derive(Clone)]
pub struct RedisBroker {
    local: LocalBroker,
    outgoing: mpsc::Sender<(String, Delivery)>,
    link: Arc<Link>,
}

/// The two halves of the link to Redis; deliveries flow only while both are up.
#[derive(Debug)]
struct Link {
    publishing: AtomicBool,
    receiving: AtomicBool,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("local", &self.local)
            .field("up", &self.is_up())
            .finish()
    }
}

/// Why the broker could not connect at start.
#[derive(Debug, thiserror::Error)]
#[error("cannot use Redis at {url}: {source}")]
pub struct RedisError {
    url: String,
    #[source]
    source: ::redis::RedisError,
}

impl RedisBroker {
    /// Connects (publisher and pattern subscription) and starts the two link tasks. Fails when
    /// Redis cannot be reached now; later outages are ridden out (see the module docs).
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let err = |source| RedisError {
            url: redact(url),
            source,
        };
        let client = ::redis::Client::open(url).map_err(err)?;
        let publisher = client
            .get_multiplexed_async_connection()
            .await
            .map_err(err)?;
        let pubsub = subscribe(&client).await.map_err(err)?;
        let local = LocalBroker::new();
        let link = Arc::new(Link {
            publishing: AtomicBool::new(true),
            receiving: AtomicBool::new(true),
        });
        let (outgoing, rx) = mpsc::channel(OUTGOING_QUEUE);
        tokio::spawn(publish_loop(client.clone(), publisher, rx, link.clone()));
        tokio::spawn(receive_loop(client, pubsub, local.clone(), link.clone()));
        tracing::info!(redis = %redact(url), "broker: Redis pub/sub");
        Ok(Self {
            local,
            outgoing,
            link,
        })
    }

    /// Whether the link to Redis is up (both publishing and receiving).
    pub fn is_up(&self) -> bool {
        self.link.publishing.load(Ordering::SeqCst) && self.link.receiving.load(Ordering::SeqCst)
    }
}

impl Broker for RedisBroker {
    fn subscribe(&self, user_id: &str, capacity: usize) -> Subscription {
        let sub = self.local.subscribe(user_id, capacity);
        if !self.is_up() {
            sub.mailbox.overflow();
        }
        sub
    }

    fn publish(&self, user_id: &str, delivery: Delivery) {
        if !self.is_up() {
            return; // every local subscriber is cut off; the event is in the log
        }
        if self
            .outgoing
            .try_send((user_id.to_owned(), delivery))
            .is_err()
        {
            tracing::warn!("broker: Redis cannot keep up; cutting local subscribers off");
            self.local.cut_off_all();
        }
    }
}

async fn subscribe(client: &::redis::Client) -> ::redis::RedisResult<::redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe(format!("{CHANNEL_PREFIX}*")).await?;
    Ok(pubsub)
}

/// Publishes in order. A failed publish is sent again on a new connection (with backoff) before
/// anything after it, so a broken connection loses nothing; meanwhile the link counts as down
/// and deliveries queue up (a full queue cuts local subscribers off, see `publish`).
async fn publish_loop(
    client: ::redis::Client,
    mut conn: ::redis::aio::MultiplexedConnection,
    mut rx: mpsc::Receiver<(String, Delivery)>,
    link: Arc<Link>,
) {
    while let Some((user, delivery)) = rx.recv().await {
        let channel = format!("{CHANNEL_PREFIX}{user}");
        let payload = encode(&delivery);
        let mut wait = RETRY_MIN;
        loop {
            let published: ::redis::RedisResult<()> = ::redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async(&mut conn)
                .await;
            match published {
                Ok(()) => break,
                Err(e) => {
                    if link.publishing.swap(false, Ordering::SeqCst) {
                        tracing::warn!(error = %e, "broker: publishing to Redis failed; reconnecting");
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                    match client.get_multiplexed_async_connection().await {
                        Ok(c) => conn = c,
                        Err(e) => tracing::debug!(error = %e, "broker: Redis still unreachable"),
                    }
                }
            }
        }
        if !link.publishing.swap(true, Ordering::SeqCst) {
            tracing::info!("broker: publishing to Redis again");
        }
    }
}

/// Hands what Redis delivers to the local subscribers; when the subscription connection ends,
/// marks the link down, cuts local subscribers off and subscribes again.
async fn receive_loop(
    client: ::redis::Client,
    mut pubsub: ::redis::aio::PubSub,
    local: LocalBroker,
    link: Arc<Link>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(msg) = messages.next().await {
                let channel = msg.get_channel_name();
                let Some(user) = channel.strip_prefix(CHANNEL_PREFIX) else {
                    continue;
                };
                match decode(msg.get_payload_bytes()) {
                    Some(delivery) => local.publish(user, delivery),
                    None => tracing::warn!(channel, "broker: undecodable message from Redis"),
                }
            }
        }
        tracing::warn!("broker: the Redis subscription ended; resubscribing");
        link.receiving.store(false, Ordering::SeqCst);
        local.cut_off_all();
        let mut wait = RETRY_MIN;
        pubsub = loop {
            tokio::time::sleep(wait).await;
            match subscribe(&client).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::debug!(error = %e, "broker: Redis still unreachable");
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        };
        tracing::info!("broker: subscribed to Redis again");
        link.receiving.store(true, Ordering::SeqCst);
    }
}

/// `<seq or ->\n<frame JSON>`.
fn encode(d: &Delivery) -> Vec<u8> {
    let mut out = match d.seq {
        Some(seq) => seq.to_string().into_bytes(),
        None => b"-".to_vec(),
    };
    out.push(b'\n');
    out.extend_from_slice(d.text.as_str().as_bytes());
    out
}

fn decode(payload: &[u8]) -> Option<Delivery> {
    let split = payload.iter().position(|&b| b == b'\n')?;
    let (head, text) = (&payload[..split], &payload[split + 1..]);
    let seq = match head {
        b"-" => None,
        digits => Some(std::str::from_utf8(digits).ok()?.parse().ok()?),
    };
    let text = std::str::from_utf8(text).ok()?.to_owned();
    Some(Delivery {
        seq,
        text: text.into(),
    })
}

/// The URL without a password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_survives_the_trip_through_a_redis_payload() {
        for seq in [Some(42), None] {
            let d = Delivery {
                seq,
                text: "{\"type\":\"event\",\"text\":\"a\\nb\"}".into(),
            };
            assert_eq!(decode(&encode(&d)), Some(d));
        }
    }

    #[test]
    fn a_garbled_payload_is_refused() {
        assert_eq!(decode(b"no newline"), None);
        assert_eq!(decode(b"12x\n{}"), None);
        assert_eq!(decode(b"1\n\xff"), None);
    }

    #[test]
    fn passwords_stay_out_of_the_logs() {
        assert_eq!(
            redact("redis://:s3cret@10.0.0.5:6379/0"),
            "redis://…@10.0.0.5:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
