//! The read on every (re)connect: what the backend's REST can return, merged with what the
//! engine holds (see the module docs of `adapter`). Parts run in parallel; the optional
//! `for_each` step (ventree: the shops) and the per-room message pages run after the answer
//! they depend on. Any failed part abandons the read and closes the socket, so the engine
//! reconnects with backoff and the read starts again: never a half-merged state.

use herald_protocol::wire::{
    close_code, ErrorCode, Event, FriendRequest, Message, Notification, NotificationSummary, Room,
    ServerFrame, Snapshot, Welcome, PROTOCOL_VERSION,
};
use herald_protocol::Timestamp;
use serde_json::Value;

use super::super::fields::{self, Me};
use super::super::profile::Fetch;
use super::outbound::Purpose;
use super::{Adapter, AdapterOutput, HttpRequest};

/// Newest messages read per room on a reconnect.
const CATCHUP_PAGE: u32 = 50;

/// One part of the read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SyncPart {
    Rooms,
    /// The `for_each` list of the notifications read.
    NotificationSources,
    Notifications,
    FriendRequests,
    RoomMessages {
        room_id: String,
    },
}

/// A read under way.
#[derive(Debug, Default)]
pub(crate) struct SyncRun {
    pending: usize,
    /// Resume from this seq (the engine's position in this epoch); `None`: a snapshot.
    resume_seq: Option<u64>,
    /// A `sync.poll_secs` re-read while live: no welcome, only what changed is sent.
    poll: bool,
    rooms: Vec<Room>,
    notifications: Vec<Notification>,
    unread: Option<u32>,
    friend_requests: Vec<FriendRequest>,
    messages: Vec<Message>,
}

impl Adapter {
    /// Starts the read once the transport is ready and the engine said hello.
    pub(crate) fn maybe_start_sync(&mut self, _now: Timestamp) {
        if !self.ready || self.sync.is_some() || self.live {
            return;
        }
        let Some(hello) = &self.hello else { return };
        let resume_seq = hello
            .resume
            .as_ref()
            .filter(|p| p.epoch == self.epoch)
            .map(|p| p.seq);
        self.sync = Some(SyncRun {
            resume_seq,
            ..Default::default()
        });
        self.request_sync_parts();
    }

    /// The `sync.poll_secs` re-read: the same parts, while live; skipped while one runs.
    pub(crate) fn start_poll(&mut self) {
        if !self.live || self.sync.is_some() {
            return;
        }
        self.sync = Some(SyncRun {
            resume_seq: Some(self.seq),
            poll: true,
            ..Default::default()
        });
        self.request_sync_parts();
    }

    fn request_sync_parts(&mut self) {
        let s = self.profile.sync.clone();
        if let Some(f) = &s.rooms {
            self.sync_fetch(SyncPart::Rooms, f, &|_| None);
        }
        if let Some(f) = &s.notifications {
            match &f.for_each {
                Some(each) => {
                    let req = self.request("GET", &self.fill(&each.path), Vec::new(), None);
                    self.sync_http(SyncPart::NotificationSources, req);
                }
                None => self.sync_fetch(SyncPart::Notifications, f, &|_| None),
            }
        }
        if let Some(f) = &s.friend_requests {
            self.sync_fetch(SyncPart::FriendRequests, f, &|_| None);
        }
        self.maybe_finish();
    }

    /// A GET for `fetch` with its query; a query parameter that uses an absent variable is
    /// left out.
    pub(crate) fn fetch_request(
        &self,
        fetch: &Fetch,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> HttpRequest {
        let lookup = |n: &str| vars(n).or_else(|| self.session_var(n));
        let path = fields::fill(&fetch.path, |n| lookup(n).map(|v| super::encode(&v)));
        let query = fetch
            .query
            .iter()
            .filter(|(_, v)| fields::placeholders(v).iter().all(|n| lookup(n).is_some()))
            .map(|(k, v)| (k.clone(), fields::fill(v, lookup)))
            .collect();
        self.request("GET", &path, query, None)
    }

    fn sync_fetch(&mut self, part: SyncPart, fetch: &Fetch, vars: &dyn Fn(&str) -> Option<String>) {
        let req = self.fetch_request(fetch, vars);
        self.sync_http(part, req);
    }

    fn sync_http(&mut self, part: SyncPart, req: HttpRequest) {
        if let Some(run) = self.sync.as_mut() {
            run.pending += 1;
        }
        self.http(Purpose::Sync(part), req);
    }

    /// A part of the read was answered.
    pub(crate) fn sync_answer(
        &mut self,
        now: Timestamp,
        part: SyncPart,
        answer: Result<Value, (ErrorCode, String)>,
    ) {
        let Some(run) = self.sync.as_mut() else {
            return;
        };
        run.pending = run.pending.saturating_sub(1);
        let body = match answer {
            Ok(b) => b,
            Err((code, msg)) => {
                tracing::info!(backend = %self.profile.name, part = ?part, %msg, "sync read failed; reconnecting");
                self.sync = None;
                let code = (code == ErrorCode::Unauthorized).then_some(close_code::UNAUTHORIZED);
                self.out.push_back(AdapterOutput::Close { code });
                return;
            }
        };
        let p = self.profile.clone();
        let me_user = self.me.clone();
        let me = Me { user: &me_user };
        let list_at = |f: Option<&Fetch>, body: &Value| -> Value {
            match f.and_then(|f| f.at.as_deref()) {
                Some(path) => fields::get(body, path).cloned().unwrap_or(Value::Null),
                None => body.clone(),
            }
        };
        match part {
            SyncPart::Rooms => {
                let (Some(rf), list) = (p.room.as_ref(), list_at(p.sync.rooms.as_ref(), &body))
                else {
                    return;
                };
                let mut rooms = Vec::new();
                for item in as_list(&list).iter().take(1000) {
                    match fields::room(rf, p.message.as_ref(), item, &me, now) {
                        Ok(r) => rooms.push(r),
                        Err(e) => self.warn_once(format!("room: {e}"), &e.to_string()),
                    }
                }
                let resuming = self
                    .sync
                    .as_ref()
                    .map(|r| r.resume_seq.is_some() || r.poll)
                    .unwrap_or(false);
                if resuming {
                    if let Some(mf) = p.sync.messages.clone() {
                        let has_time = p.room.as_ref().is_some_and(|f| f.updated_at.is_some());
                        for r in &rooms {
                            let held = self.held.rooms.get(&r.id).cloned().flatten();
                            // A backend that lists only the last message's text (seed 001,
                            // 004) still moves the room's activity time.
                            let newer = match (&r.last_message, &held) {
                                (Some(last), Some((head, _))) => last.id != *head,
                                (None, Some((_, at))) => r.updated_at > *at,
                                // A known room without a message held yet got its first.
                                (Some(_), None) => self.held.rooms.contains_key(&r.id),
                                // No message held, a text-only preview (004's room list):
                                // the room's activity time moved since it was last read.
                                (None, None) => {
                                    has_time
                                        && self
                                            .rooms_seen
                                            .get(&r.id)
                                            .is_some_and(|s| r.updated_at > s.updated_at)
                                }
                            };
                            if newer {
                                let room_id = r.id.clone();
                                self.sync_fetch(
                                    SyncPart::RoomMessages {
                                        room_id: room_id.clone(),
                                    },
                                    &mf,
                                    &|n| match n {
                                        "room_id" => Some(room_id.clone()),
                                        "limit" => Some(CATCHUP_PAGE.to_string()),
                                        _ => None,
                                    },
                                );
                            }
                        }
                    }
                }
                if let Some(run) = self.sync.as_mut() {
                    run.rooms = rooms;
                }
            }
            SyncPart::NotificationSources => {
                let Some(f) = p.sync.notifications.clone() else {
                    return;
                };
                let Some(each) = f.for_each.clone() else {
                    return;
                };
                let list = match each.at.as_deref() {
                    Some(path) => fields::get(&body, path).cloned().unwrap_or(Value::Null),
                    None => body.clone(),
                };
                for item in as_list(&list).iter().take(100) {
                    let Some(id) = fields::get(item, &each.id).and_then(fields::text) else {
                        self.warn_once(
                            "for_each: no id".into(),
                            &format!("a `for_each` element without `{}`", each.id),
                        );
                        continue;
                    };
                    let bind = each.bind.clone();
                    self.sync_fetch(SyncPart::Notifications, &f, &|n| {
                        (n == bind).then(|| id.clone())
                    });
                }
            }
            SyncPart::Notifications => {
                let (Some(nf), list) = (
                    p.notification.as_ref(),
                    list_at(p.sync.notifications.as_ref(), &body),
                ) else {
                    return;
                };
                let unread = p
                    .sync
                    .notifications
                    .as_ref()
                    .and_then(|f| f.unread.as_deref())
                    .and_then(|path| fields::get(&body, path))
                    .and_then(Value::as_u64);
                let mut items = Vec::new();
                for item in as_list(&list).iter().take(500) {
                    match fields::notification(nf, item) {
                        Ok(n) => items.push(n),
                        Err(e) => self.warn_once(format!("notification: {e}"), &e.to_string()),
                    }
                }
                if let Some(run) = self.sync.as_mut() {
                    run.notifications.extend(items);
                    if let Some(u) = unread {
                        run.unread = Some(run.unread.unwrap_or(0).saturating_add(u as u32));
                    }
                }
            }
            SyncPart::FriendRequests => {
                let (Some(ff), list) = (
                    p.friend_request.as_ref(),
                    list_at(p.sync.friend_requests.as_ref(), &body),
                ) else {
                    return;
                };
                let mut items = Vec::new();
                for item in as_list(&list).iter().take(500) {
                    match fields::friend_request(ff, item) {
                        Ok(r) => items.push(r),
                        Err(e) => self.warn_once(format!("friend_request: {e}"), &e.to_string()),
                    }
                }
                if let Some(run) = self.sync.as_mut() {
                    run.friend_requests = items;
                }
            }
            SyncPart::RoomMessages { room_id } => {
                let list = list_at(p.sync.messages.as_ref(), &body);
                let mut messages = self.messages_of(&list, &room_id);
                let held = self.held.rooms.get(&room_id).cloned().flatten();
                match held {
                    Some((head, at)) => messages.retain(|m| m.created_at >= at && m.id != head),
                    // Nothing held of the room: only what came after it was last read is
                    // new (the older page is history, loaded when the room is opened).
                    None => {
                        if let Some(seen) = self.rooms_seen.get(&room_id) {
                            let since = seen.updated_at;
                            messages.retain(|m| m.created_at > since);
                        }
                    }
                }
                if let Some(run) = self.sync.as_mut() {
                    run.messages.extend(messages);
                }
            }
        }
        self.maybe_finish();
    }

    /// All parts answered: tell the engine, then go live.
    fn maybe_finish(&mut self) {
        match &self.sync {
            Some(run) if run.pending == 0 => {}
            _ => return,
        }
        let Some(run) = self.sync.take() else { return };
        let mut events = Vec::new();
        match run.resume_seq {
            None => {
                let unread = run
                    .unread
                    .unwrap_or_else(|| run.notifications.iter().filter(|n| !n.read).count() as u32);
                let mut items = run.notifications;
                items.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
                self.seq = 1;
                self.welcome(1, false);
                let snapshot = Snapshot {
                    seq: 1,
                    rooms: run.rooms.clone(),
                    notifications: NotificationSummary {
                        unread,
                        items: items.clone(),
                    },
                    friend_requests: run.friend_requests.clone(),
                };
                for r in &run.rooms {
                    self.note(&Event::RoomCreated { room: r.clone() });
                }
                for n in items {
                    self.note(&Event::NotificationCreated { notification: n });
                }
                for f in run.friend_requests {
                    self.note(&Event::FriendRequestCreated { request: f });
                }
                self.out
                    .push_back(AdapterOutput::Engine(ServerFrame::Snapshot(snapshot)));
            }
            Some(base) => {
                let mut messages = run.messages;
                messages.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                for m in messages {
                    events.push(Event::MessageCreated { message: m });
                }
                for room in run.rooms {
                    if self.room_unchanged(&room) {
                        continue;
                    }
                    events.push(if self.held.rooms.contains_key(&room.id) {
                        Event::RoomUpdated { room }
                    } else {
                        Event::RoomCreated { room }
                    });
                }
                let mut notifications = run.notifications;
                notifications.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                for n in notifications {
                    match self.held.notifications.get(&n.id) {
                        None => events.push(Event::NotificationCreated { notification: n }),
                        Some(h) if h.read != n.read || h.title != n.title || h.body != n.body => {
                            events.push(Event::NotificationUpdated { notification: n })
                        }
                        Some(_) => {}
                    }
                }
                for r in run.friend_requests {
                    match self.friend_request_known(&r) {
                        None => events.push(Event::FriendRequestCreated { request: r }),
                        Some(s) if s != r.status => {
                            events.push(Event::FriendRequestUpdated { request: r })
                        }
                        Some(_) => {}
                    }
                }
                if !run.poll {
                    self.seq = base;
                }
            }
        }
        if run.poll {
            // Live all along: the events are numbered after what the socket already sent.
            for e in events {
                self.emit(e);
            }
            return;
        }
        // Live frames that arrived during the read follow it.
        events.append(&mut self.held_back);
        let head = self.seq + events.len() as u64;
        if run.resume_seq.is_some() {
            self.welcome(head, true);
        }
        self.live = true;
        for e in events {
            self.emit(e);
        }
        self.reconcile_rooms();
    }

    /// The room is as last told to the engine (a backend without `updated_at` gets "now" on
    /// every read, which is not a change).
    fn room_unchanged(&self, room: &Room) -> bool {
        let Some(seen) = self.rooms_seen.get(&room.id) else {
            return false;
        };
        let has_time = self
            .profile
            .room
            .as_ref()
            .is_some_and(|r| r.updated_at.is_some());
        if has_time || room.last_message.is_some() {
            seen == room
        } else {
            Room {
                updated_at: seen.updated_at,
                ..room.clone()
            } == *seen
        }
    }

    fn welcome(&mut self, seq: u64, recovered: bool) {
        self.out
            .push_back(AdapterOutput::Engine(ServerFrame::Welcome(Welcome {
                protocol: PROTOCOL_VERSION,
                user: self.me.clone(),
                epoch: self.epoch.clone(),
                seq,
                recovered,
                token_expires_at: None,
            })));
    }
}

fn as_list(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        _ => &[],
    }
}
