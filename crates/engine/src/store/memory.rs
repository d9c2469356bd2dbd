//! An in-memory [`Store`]: same contract as SQLite (the conformance suite runs on both), for
//! tests, benchmarks and clients that must not touch the disk.

use std::collections::{BTreeMap, HashSet};

use herald_protocol::ipc::Settings;
use herald_protocol::wire::{FriendRequest, Message, Notification, Room, StreamPosition};
use herald_protocol::Timestamp;

use super::{
    message_order, Changes, OutboxEntry, Store, StoreError, StoredOp, StoredSession, StoredState,
};

/// See the module docs.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    session: Option<StoredSession>,
    position: Option<StreamPosition>,
    rooms: BTreeMap<String, Room>,
    /// room -> (created_at nanos, id) -> message
    messages: BTreeMap<String, BTreeMap<(i128, String), Message>>,
    message_index: BTreeMap<String, (String, i128)>,
    notifications: BTreeMap<String, Notification>,
    notifications_unread: u32,
    friend_requests: BTreeMap<String, FriendRequest>,
    outbox: BTreeMap<String, OutboxEntry>,
    ops: BTreeMap<String, StoredOp>,
    drafts: BTreeMap<String, String>,
    notified: HashSet<String>,
    settings: Option<Settings>,
    /// Number of `apply` calls, for tests that check batching.
    pub transactions: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn clear_server_state(&mut self) {
        self.rooms.clear();
        self.messages.clear();
        self.message_index.clear();
        self.notifications.clear();
        self.notifications_unread = 0;
        self.friend_requests.clear();
    }
}

impl Store for MemoryStore {
    fn load(&self, recent: usize) -> Result<StoredState, StoreError> {
        let mut messages = Vec::new();
        for per_room in self.messages.values() {
            let skip = per_room.len().saturating_sub(recent);
            messages.extend(per_room.values().skip(skip).cloned());
        }
        let mut outbox: Vec<OutboxEntry> = self.outbox.values().cloned().collect();
        outbox.sort_by(|a, b| a.client_msg_id.cmp(&b.client_msg_id));
        Ok(StoredState {
            session: self.session.clone(),
            position: self.position.clone(),
            rooms: self.rooms.values().cloned().collect(),
            messages,
            notifications: self.notifications.values().cloned().collect(),
            notifications_unread: self.notifications_unread,
            friend_requests: self.friend_requests.values().cloned().collect(),
            outbox,
            ops: self.ops.values().cloned().collect(),
            drafts: self
                .drafts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            notified: self.notified.clone(),
            settings: self.settings.clone(),
        })
    }

    fn apply(&mut self, c: &Changes) -> Result<(), StoreError> {
        self.transactions += 1;
        if let Some(session) = &c.session {
            if session.is_none() || self.session.as_ref() != session.as_ref() {
                let settings = self.settings.take();
                *self = MemoryStore {
                    transactions: self.transactions,
                    settings,
                    ..Default::default()
                };
            }
            self.session = session.clone();
        }
        if c.reset_server_state {
            self.clear_server_state();
        }
        for r in &c.rooms {
            self.rooms.insert(r.id.clone(), r.clone());
        }
        for id in &c.removed_rooms {
            self.rooms.remove(id);
            if let Some(msgs) = self.messages.remove(id) {
                for (_, m) in msgs {
                    self.message_index.remove(&m.id);
                }
            }
        }
        for m in &c.messages {
            if let Some((room, at)) = self.message_index.remove(&m.id) {
                if let Some(per_room) = self.messages.get_mut(&room) {
                    per_room.remove(&(at, m.id.clone()));
                }
            }
            let (at, id) = message_order(m);
            self.message_index
                .insert(m.id.clone(), (m.room_id.clone(), at));
            self.messages
                .entry(m.room_id.clone())
                .or_default()
                .insert((at, id.to_owned()), m.clone());
        }
        for n in &c.notifications {
            self.notifications.insert(n.id.clone(), n.clone());
        }
        if let Some(u) = c.notifications_unread {
            self.notifications_unread = u;
        }
        for f in &c.friend_requests {
            self.friend_requests.insert(f.id.clone(), f.clone());
        }
        for o in &c.outbox {
            self.outbox.insert(o.client_msg_id.clone(), o.clone());
        }
        for id in &c.outbox_removed {
            self.outbox.remove(id);
        }
        for o in &c.ops {
            self.ops.insert(o.key.clone(), o.clone());
        }
        for key in &c.ops_removed {
            self.ops.remove(key);
        }
        for (room, text) in &c.drafts {
            if text.is_empty() {
                self.drafts.remove(room);
            } else {
                self.drafts.insert(room.clone(), text.clone());
            }
        }
        self.notified.extend(c.notified.iter().cloned());
        if let Some(s) = &c.settings {
            self.settings = Some(s.clone());
        }
        if let Some(p) = &c.position {
            self.position = Some(p.clone());
        }
        Ok(())
    }

    fn messages_before(
        &self,
        room_id: &str,
        before: Option<(Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let Some(per_room) = self.messages.get(room_id) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Message> = match before {
            Some((at, id)) => per_room
                .range(..(at.unix_timestamp_nanos(), id.to_owned()))
                .rev()
                .take(limit)
                .map(|(_, m)| m.clone())
                .collect(),
            None => per_room.values().rev().take(limit).cloned().collect(),
        };
        out.reverse();
        Ok(out)
    }
}
