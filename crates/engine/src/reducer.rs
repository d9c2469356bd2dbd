//! The local model and the UI events each change produces.
//!
//! The model is what the UI renders (rooms with unread and last message, messages per room,
//! notifications with the unread count, friend requests, typing with a TTL). Every mutation
//! goes through here so the three consumers stay consistent: the model itself, the [`Changes`]
//! the store commits, and the [`UiQueue`] the UI receives. The queue coalesces: the UI gets at
//! most one batch per frame interval, with repeated upserts of one room or notification
//! collapsed to the last one and a burst's messages merged per room.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use herald_protocol::ipc::{ChatMessage, Delivery, RoomView, Settings, UiEvent, UiEventBatch};
use herald_protocol::wire::{FriendRequest, Message, Notification, Room, User};
use herald_protocol::Timestamp;

use crate::store::{message_order, Changes};

/// How long a typing indicator lives without a refresh.
pub const TYPING_TTL: Duration = Duration::from_secs(6);

/// Per-room state beyond the wire `Room`.
#[derive(Debug, Clone)]
pub struct RoomState {
    pub room: Room,
    pub has_more: bool,
    pub typing: Vec<(User, Instant)>,
}

/// A room's loaded messages, ordered by (created_at, id), deduplicated by id.
#[derive(Debug, Default, Clone)]
pub struct RoomMessages {
    pub list: Vec<Message>,
    ids: HashSet<String>,
}

impl RoomMessages {
    /// Inserts or replaces by id; returns false when an identical message was already there.
    pub fn upsert(&mut self, m: Message) -> bool {
        if self.ids.contains(&m.id) {
            if let Some(slot) = self.list.iter_mut().rev().find(|x| x.id == m.id) {
                if *slot == m {
                    return false;
                }
                *slot = m;
            }
            return true;
        }
        self.ids.insert(m.id.clone());
        let key = message_order(&m);
        let at_end = self
            .list
            .last()
            .map(|l| message_order(l) < key)
            .unwrap_or(true);
        if at_end {
            self.list.push(m);
        } else {
            let pos = self.list.partition_point(|x| message_order(x) < key);
            self.list.insert(pos, m);
        }
        true
    }

    pub fn oldest(&self) -> Option<&Message> {
        self.list.first()
    }
}

/// The whole local model.
#[derive(Debug, Default)]
pub struct Model {
    pub me: Option<User>,
    pub rooms: BTreeMap<String, RoomState>,
    pub messages: HashMap<String, RoomMessages>,
    pub notifications: BTreeMap<String, Notification>,
    pub notifications_unread: u32,
    /// How far the notifications page has paged back (see `notification_pages`).
    pub notification_pages: super::notification_pages::NotificationPaging,
    pub friend_requests: BTreeMap<String, FriendRequest>,
    pub drafts: BTreeMap<String, String>,
}

/// Whether a notification is in the bell's unread count (the model holds no ended snooze).
fn counts_unread(n: &Notification) -> bool {
    !n.read && !n.archived && n.snoozed_until.is_none()
}

/// Converts a server message to the view type: own messages are keyed by their client_msg_id
/// so the local echo and the stored message are one row.
pub fn chat_message(m: &Message, me: Option<&User>) -> ChatMessage {
    let own = me.map(|u| u.id == m.sender.id).unwrap_or(false);
    let key = match (&m.client_msg_id, own) {
        (Some(c), true) => c.clone(),
        _ => m.id.clone(),
    };
    ChatMessage {
        key,
        id: Some(m.id.clone()),
        room_id: m.room_id.clone(),
        sender: m.sender.clone(),
        text: m.text.clone(),
        reply_to: m.reply_to.clone(),
        created_at: m.created_at,
        delivery: Delivery::Sent,
    }
}

impl Model {
    pub fn room_view(&self, room_id: &str, settings: &Settings) -> Option<RoomView> {
        let st = self.rooms.get(room_id)?;
        Some(RoomView {
            room: st.room.clone(),
            muted: settings.muted_rooms.iter().any(|r| r == room_id),
            draft: self.drafts.get(room_id).cloned().unwrap_or_default(),
            typing: st.typing.iter().map(|(u, _)| u.clone()).collect(),
            has_more: st.has_more,
        })
    }

    /// Total unread over all rooms (the chat badge).
    pub fn chat_unread(&self) -> u32 {
        self.rooms.values().map(|r| r.room.unread_count).sum()
    }

    /// Creates or replaces a room (keeps local-only state: has_more, typing).
    pub fn upsert_room(&mut self, room: Room, changes: &mut Changes) {
        let entry = self.rooms.entry(room.id.clone());
        match entry {
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().room = room.clone(),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(RoomState {
                    room: room.clone(),
                    has_more: true,
                    typing: Vec::new(),
                });
            }
        }
        if let Some(m) = &room.last_message {
            if self
                .messages
                .entry(room.id.clone())
                .or_default()
                .upsert(m.clone())
            {
                changes.messages.push(m.clone());
            }
        }
        changes.put_room(room);
    }

    /// Adds a message; bumps the room's last message and, for others' messages, its unread
    /// count (unless `read_now`: the room is being looked at). Returns false for a duplicate.
    pub fn add_message(&mut self, m: &Message, read_now: bool, changes: &mut Changes) -> bool {
        let fresh = self
            .messages
            .entry(m.room_id.clone())
            .or_default()
            .upsert(m.clone());
        if !fresh {
            return false;
        }
        changes.messages.push(m.clone());
        let own = self
            .me
            .as_ref()
            .map(|u| u.id == m.sender.id)
            .unwrap_or(false);
        if let Some(st) = self.rooms.get_mut(&m.room_id) {
            let newer = st
                .room
                .last_message
                .as_ref()
                .map(|l| message_order(l) < message_order(m))
                .unwrap_or(true);
            if newer {
                st.room.last_message = Some(m.clone());
                st.room.updated_at = m.created_at;
                if !own && !read_now {
                    st.room.unread_count = st.room.unread_count.saturating_add(1);
                }
                st.typing.retain(|(u, _)| u.id != m.sender.id);
                changes.put_room(st.room.clone());
            }
        }
        true
    }

    pub fn set_unread(&mut self, room_id: &str, unread: u32, changes: &mut Changes) -> Option<u32> {
        let st = self.rooms.get_mut(room_id)?;
        let prev = st.room.unread_count;
        st.room.unread_count = unread;
        changes.put_room(st.room.clone());
        Some(prev)
    }

    /// Creates or replaces a notification, keeping the unread count in step. An item counts
    /// while it is unread, not archived and not snoozed at `wall`. A snooze already over at
    /// `wall` is dropped (`snoozed_until: None`), so every snooze the model holds is still
    /// running and [`Model::end_snoozes`] finds exactly the ones whose time came since. Returns
    /// the item as the model now holds it (what the UI is sent).
    pub fn upsert_notification(
        &mut self,
        mut n: Notification,
        wall: Timestamp,
        changes: &mut Changes,
    ) -> Notification {
        if n.snoozed_until.is_some_and(|t| t <= wall) {
            n.snoozed_until = None;
        }
        let before = self
            .notifications
            .get(&n.id)
            .map(counts_unread)
            .unwrap_or(false);
        let after = counts_unread(&n);
        if before && !after {
            self.notifications_unread = self.notifications_unread.saturating_sub(1);
        } else if !before && after {
            self.notifications_unread = self.notifications_unread.saturating_add(1);
        }
        changes.notifications.push(n.clone());
        changes.notifications_unread = Some(self.notifications_unread);
        self.notifications.insert(n.id.clone(), n.clone());
        n
    }

    /// What the tray counts: chat unread over all rooms plus unread bell items.
    pub fn unread_total(&self) -> u32 {
        self.rooms.values().fold(self.notifications_unread, |n, r| {
            n.saturating_add(r.room.unread_count)
        })
    }

    /// When the next running snooze ends.
    pub fn next_snooze_end(&self) -> Option<Timestamp> {
        self.notifications
            .values()
            .filter_map(|n| n.snoozed_until)
            .min()
    }

    /// Ends every snooze whose time is `wall` or earlier: the item is shown again and, if it is
    /// unread and not archived, counted again. Returns the items that came back unread, each
    /// with the end of its snooze, for the policy to announce.
    pub fn end_snoozes(
        &mut self,
        wall: Timestamp,
        changes: &mut Changes,
    ) -> Vec<(Notification, Timestamp)> {
        let mut back = Vec::new();
        for n in self.notifications.values_mut() {
            let Some(until) = n.snoozed_until.filter(|t| *t <= wall) else {
                continue;
            };
            n.snoozed_until = None;
            changes.notifications.push(n.clone());
            if !n.read && !n.archived {
                self.notifications_unread = self.notifications_unread.saturating_add(1);
                back.push((n.clone(), until));
            }
        }
        if !back.is_empty() {
            changes.notifications_unread = Some(self.notifications_unread);
        }
        back
    }

    pub fn read_all_notifications(&mut self, changes: &mut Changes) {
        for n in self.notifications.values_mut() {
            if !n.read {
                n.read = true;
                changes.notifications.push(n.clone());
            }
        }
        self.notifications_unread = 0;
        changes.notifications_unread = Some(0);
    }

    pub fn upsert_friend_request(&mut self, f: FriendRequest, changes: &mut Changes) {
        changes.friend_requests.push(f.clone());
        self.friend_requests.insert(f.id.clone(), f);
    }

    /// Someone typing (or stopping); returns whether the room's typing list changed.
    pub fn set_typing(&mut self, now: Instant, room_id: &str, user: &User, typing: bool) -> bool {
        let Some(st) = self.rooms.get_mut(room_id) else {
            return false;
        };
        let had = st.typing.iter().position(|(u, _)| u.id == user.id);
        match (had, typing) {
            (Some(i), true) => {
                st.typing[i].1 = now + TYPING_TTL;
                false
            }
            (None, true) => {
                st.typing.push((user.clone(), now + TYPING_TTL));
                true
            }
            (Some(i), false) => {
                st.typing.remove(i);
                true
            }
            (None, false) => false,
        }
    }

    /// Drops expired typing indicators; returns the rooms that changed.
    pub fn expire_typing(&mut self, now: Instant) -> Vec<String> {
        let mut changed = Vec::new();
        for (id, st) in self.rooms.iter_mut() {
            let before = st.typing.len();
            st.typing.retain(|(_, until)| *until > now);
            if st.typing.len() != before {
                changed.push(id.clone());
            }
        }
        changed
    }

    pub fn next_typing_expiry(&self) -> Option<Instant> {
        self.rooms
            .values()
            .flat_map(|r| r.typing.iter().map(|(_, t)| *t))
            .min()
    }

    /// Drops everything the server owns (before a snapshot); drafts stay.
    pub fn clear_server_state(&mut self) {
        self.rooms.clear();
        self.messages.clear();
        self.notifications.clear();
        self.notifications_unread = 0;
        self.friend_requests.clear();
    }
}

/// UI events waiting for the next frame; see the module docs.
#[derive(Debug)]
pub struct UiQueue {
    events: Vec<UiEvent>,
    interval: Duration,
    last_flush: Option<Instant>,
    /// Batches emitted so far (benchmarks and tests).
    pub batches: u64,
}

impl UiQueue {
    pub fn new(interval: Duration) -> Self {
        Self {
            events: Vec::new(),
            interval,
            last_flush: None,
            batches: 0,
        }
    }

    pub fn push(&mut self, ev: UiEvent) {
        if matches!(ev, UiEvent::Reset(_)) {
            self.events.clear();
        }
        self.events.push(ev);
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// When the pending events may go out: at once (`now`) if nothing went out for an
    /// interval (leading edge), else one interval after the previous batch.
    pub fn deadline(&self, now: Instant) -> Option<Instant> {
        if self.events.is_empty() {
            return None;
        }
        Some(match self.last_flush {
            Some(t) => t + self.interval,
            None => now,
        })
    }

    /// Takes the coalesced batch if it is due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Option<UiEventBatch> {
        if self.events.is_empty() {
            return None;
        }
        if let Some(t) = self.last_flush {
            if now < t + self.interval {
                return None;
            }
        }
        self.last_flush = Some(now);
        self.batches += 1;
        Some(UiEventBatch {
            events: coalesce(std::mem::take(&mut self.events)),
        })
    }
}

/// Collapses a batch: the last upsert per room / notification / friend request wins (kept at
/// its last position), message upserts are merged per room (last version of a key wins), and
/// only the last connection status and unread count are kept.
pub fn coalesce(events: Vec<UiEvent>) -> Vec<UiEvent> {
    use std::collections::hash_map::Entry;
    let mut last_index: HashMap<String, usize> = HashMap::new();
    let key_of = |e: &UiEvent| -> Option<String> {
        Some(match e {
            UiEvent::RoomUpserted(r) => format!("room:{}", r.room.id),
            UiEvent::NotificationUpserted(n) => format!("notif:{}", n.id),
            UiEvent::FriendRequestUpserted(f) => format!("fr:{}", f.id),
            UiEvent::Connection(_) => "conn".to_owned(),
            UiEvent::NotificationsUnread { .. } => "unread".to_owned(),
            UiEvent::Toast(t) => format!("toast:{}", t.id),
            UiEvent::ActiveRoom { .. } => "active".to_owned(),
            UiEvent::Settings(_) => "settings".to_owned(),
            _ => return None,
        })
    };
    for (i, e) in events.iter().enumerate() {
        if let Some(k) = key_of(e) {
            last_index.insert(k, i);
        }
    }
    let mut out: Vec<UiEvent> = Vec::with_capacity(events.len().min(64));
    let mut msg_slot: HashMap<String, usize> = HashMap::new();
    let mut msg_keys: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for (i, e) in events.into_iter().enumerate() {
        if let Some(k) = key_of(&e) {
            if last_index.get(&k) != Some(&i) {
                continue;
            }
        }
        match e {
            UiEvent::MessagesUpserted { room_id, messages } => {
                match msg_slot.entry(room_id.clone()) {
                    Entry::Occupied(o) => {
                        let slot = *o.get();
                        let keys = msg_keys.entry(room_id).or_default();
                        if let UiEvent::MessagesUpserted {
                            messages: existing, ..
                        } = &mut out[slot]
                        {
                            for m in messages {
                                match keys.get(&m.key) {
                                    Some(&j) => existing[j] = m,
                                    None => {
                                        keys.insert(m.key.clone(), existing.len());
                                        existing.push(m);
                                    }
                                }
                            }
                        }
                    }
                    Entry::Vacant(v) => {
                        v.insert(out.len());
                        let keys = msg_keys.entry(room_id.clone()).or_default();
                        for (j, m) in messages.iter().enumerate() {
                            keys.insert(m.key.clone(), j);
                        }
                        out.push(UiEvent::MessagesUpserted { room_id, messages });
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}
