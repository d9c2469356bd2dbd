//! The outbox: messages the user sent that the server has not confirmed yet (a send queue in
//! the style of matrix-rust-sdk).
//!
//! A send gets a `client_msg_id` (UUID v7) and is stored before it is transmitted, so a crash
//! or a dropped socket never loses it; the server is idempotent on that id, so re-sending after
//! a reconnect or a restart never duplicates it. Disconnects do not count as failures (a
//! message may be cut off many times and must still arrive); a permanent error reply fails the
//! entry at once, transient error replies are retried with a growing delay and fail after
//! [`MAX_TRANSIENT_ERRORS`].

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use herald_protocol::ipc::{self, ChatMessage, Delivery};
use herald_protocol::wire::User;
use herald_protocol::wire::{ErrorBody, Message, SendMessage};

use crate::store::OutboxEntry;

/// Transient error replies (rate limited, internal) tolerated before an entry fails.
pub const MAX_TRANSIENT_ERRORS: u32 = 5;

#[derive(Debug, Clone)]
struct Slot {
    entry: OutboxEntry,
    /// Request id of the transmission awaiting its reply.
    inflight: Option<String>,
    /// Not before this instant (after a transient error).
    retry_at: Option<Instant>,
    errors: u32,
}

/// What a reply meant for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyEffect {
    /// Not an outbox request.
    NotOurs,
    /// Delivered: remove the entry; the message is stored on the server.
    Sent {
        client_msg_id: String,
        message: Box<Message>,
    },
    /// Given up: the entry stays, shown as failed, until retry or discard.
    Failed {
        client_msg_id: String,
        code: ipc::ErrorCode,
        reason: String,
    },
    /// Will be retried later.
    Retry { client_msg_id: String },
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Outbox {
    slots: BTreeMap<String, Slot>,
    by_request: HashMap<String, String>,
}

impl Outbox {
    pub fn new(entries: Vec<OutboxEntry>) -> Self {
        let mut o = Self::default();
        for e in entries {
            o.slots.insert(
                e.client_msg_id.clone(),
                Slot {
                    entry: e,
                    inflight: None,
                    retry_at: None,
                    errors: 0,
                },
            );
        }
        o
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn entries(&self) -> impl Iterator<Item = &OutboxEntry> {
        self.slots.values().map(|s| &s.entry)
    }

    pub fn get(&self, client_msg_id: &str) -> Option<&OutboxEntry> {
        self.slots.get(client_msg_id).map(|s| &s.entry)
    }

    /// Adds a new entry (the caller persists it before transmitting).
    pub fn push(&mut self, entry: OutboxEntry) {
        self.slots.insert(
            entry.client_msg_id.clone(),
            Slot {
                entry,
                inflight: None,
                retry_at: None,
                errors: 0,
            },
        );
    }

    /// Entries ready to go out at `now`, oldest first, marked in flight under request ids from
    /// `next_id`. Returns the frames' parameters with their request ids and the updated entries
    /// (attempt counts) to persist.
    pub fn take_ready(
        &mut self,
        now: Instant,
        mut next_id: impl FnMut() -> String,
    ) -> Vec<(String, SendMessage, OutboxEntry)> {
        let mut out = Vec::new();
        for slot in self.slots.values_mut() {
            if slot.inflight.is_some() || slot.entry.failed.is_some() {
                continue;
            }
            if slot.retry_at.map(|t| now < t).unwrap_or(false) {
                continue;
            }
            let id = next_id();
            slot.inflight = Some(id.clone());
            slot.retry_at = None;
            slot.entry.attempts += 1;
            self.by_request
                .insert(id.clone(), slot.entry.client_msg_id.clone());
            out.push((
                id,
                SendMessage {
                    room_id: slot.entry.room_id.clone(),
                    client_msg_id: slot.entry.client_msg_id.clone(),
                    text: slot.entry.text.clone(),
                    reply_to: slot.entry.reply_to.clone(),
                },
                slot.entry.clone(),
            ));
        }
        out
    }

    /// A transmission that did not go out after all (its row was not stored): the entry is
    /// pending again, its attempt not counted.
    pub fn take_back(&mut self, request_id: &str) {
        if let Some(cmid) = self.by_request.remove(request_id) {
            if let Some(slot) = self.slots.get_mut(&cmid) {
                slot.inflight = None;
                slot.entry.attempts = slot.entry.attempts.saturating_sub(1);
            }
        }
    }

    /// The socket went away: every in-flight send goes back to pending (not a failure).
    pub fn disconnected(&mut self) {
        self.by_request.clear();
        for slot in self.slots.values_mut() {
            slot.inflight = None;
        }
    }

    /// A reply arrived for request `id`.
    pub fn on_reply(
        &mut self,
        now: Instant,
        id: &str,
        result: Result<Message, ErrorBody>,
    ) -> ReplyEffect {
        let Some(cmid) = self.by_request.remove(id) else {
            return ReplyEffect::NotOurs;
        };
        let Some(slot) = self.slots.get_mut(&cmid) else {
            return ReplyEffect::NotOurs;
        };
        slot.inflight = None;
        match result {
            Ok(message) => {
                self.slots.remove(&cmid);
                ReplyEffect::Sent {
                    client_msg_id: cmid,
                    message: Box::new(message),
                }
            }
            Err(e) if e.code.is_transient() && slot.errors + 1 < MAX_TRANSIENT_ERRORS => {
                slot.errors += 1;
                // The server's hint (`retry_after_ms` with `rate_limited`) wins when it is the
                // longer wait: retrying sooner would only be refused again.
                let backoff = Duration::from_secs(1u64 << slot.errors.min(5));
                let hint = e
                    .retry_after_ms
                    .map(Duration::from_millis)
                    .unwrap_or_default();
                slot.retry_at = Some(now + backoff.max(hint));
                ReplyEffect::Retry {
                    client_msg_id: cmid,
                }
            }
            Err(e) => {
                let code = ipc::ErrorCode::from(e.code);
                slot.entry.failed = Some((code, e.message.clone()));
                ReplyEffect::Failed {
                    client_msg_id: cmid,
                    code,
                    reason: e.message,
                }
            }
        }
    }

    /// The stream carried our own message (the reply may have been lost with the socket).
    pub fn confirmed_by_event(&mut self, client_msg_id: &str) -> bool {
        let removed = self.slots.remove(client_msg_id).is_some();
        if removed {
            self.by_request.retain(|_, c| c != client_msg_id);
        }
        removed
    }

    /// `retry_send`: a failed entry goes back to pending with a fresh error budget.
    pub fn retry(&mut self, client_msg_id: &str) -> Option<OutboxEntry> {
        let slot = self.slots.get_mut(client_msg_id)?;
        slot.entry.failed = None;
        slot.errors = 0;
        slot.retry_at = None;
        Some(slot.entry.clone())
    }

    /// `discard_send`: forget the entry (a late reply is then ignored).
    pub fn discard(&mut self, client_msg_id: &str) -> Option<OutboxEntry> {
        let slot = self.slots.remove(client_msg_id)?;
        self.by_request.retain(|_, c| c != client_msg_id);
        Some(slot.entry)
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots
            .values()
            .filter(|s| s.inflight.is_none() && s.entry.failed.is_none())
            .filter_map(|s| s.retry_at)
            .min()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.by_request.clear();
    }
}

/// The local echo of an entry.
pub fn echo(entry: &OutboxEntry, me: &User) -> ChatMessage {
    ChatMessage {
        key: entry.client_msg_id.clone(),
        id: None,
        room_id: entry.room_id.clone(),
        sender: me.clone(),
        text: entry.text.clone(),
        reply_to: entry.reply_to.clone(),
        created_at: entry.created_at,
        delivery: match &entry.failed {
            Some((code, reason)) => Delivery::Failed {
                code: *code,
                reason: reason.clone(),
            },
            None => Delivery::Pending,
        },
    }
}
