//! Per-room sockets, for backends that carry a room's messages and typing only on a socket of
//! that room (seed 004 as-is: `/ws/job_chat/{room_id}/`). Herald keeps its one stream (the
//! `[socket]`, or the `[sync]` poll when there is none) and opens a room's socket only while
//! the room needs it: it is open on screen, or a message to it waits for the backend's echo.
//! Nothing else keeps one open, so a person with 40 job rooms costs the backend 1 socket, not 41.
//!
//! A room socket that opens first reads the room's newest messages over REST (`sync.messages`):
//! what arrived while it was closed is merged by id, and a message sent before a drop whose
//! echo was lost is confirmed by it instead of being sent twice. Then the queued frames go out.
//! A socket that drops while still needed is opened again with backoff; after
//! [`GIVE_UP_AFTER`] failed opens its waiting sends are answered with a transient error, so the
//! engine's outbox retries them later (as after any failed send).

use std::time::{Duration, Instant};

use herald_protocol::wire::ErrorCode;

use super::outbound::Purpose;
use super::{Adapter, AdapterOutput, SocketRequest};

/// Frames (mark read, …) queued for a room socket that is not open yet; sends are kept apart.
const MAX_QUEUED: usize = 64;

/// Failed opens in a row after which the room's waiting sends are answered with an error.
pub const GIVE_UP_AFTER: u32 = 4;

/// Newest messages read when a room socket opens.
const OPEN_PAGE: u32 = 50;

/// One room's socket as the adapter tracks it.
#[derive(Debug, Default)]
pub(crate) struct RoomSock {
    /// The driver reported it open.
    open: bool,
    /// The REST read after opening is under way; frames wait for it.
    catching_up: bool,
    /// Frames waiting for the socket (not sends: those are re-sent from `pending_sends`).
    queued: Vec<String>,
    /// Opened again at this instant (it closed while still needed).
    retry_at: Option<Instant>,
    failures: u32,
}

impl Adapter {
    /// The room open on screen changed (`None`: none is). Opens or closes room sockets.
    pub fn set_active_room(&mut self, room_id: Option<String>) {
        if self.active_room != room_id {
            self.active_room = room_id;
            self.reconcile_rooms();
        }
    }

    /// Rooms whose socket is open or being opened (for tests and the debug view).
    pub fn room_sockets(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.room_sockets.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The socket for `room_id`: URL and headers with the room and the token filled in.
    pub fn room_socket_request(&self, room_id: &str) -> Option<SocketRequest> {
        let rs = self.profile.room_socket.as_ref()?;
        let fill = |t: &str| {
            super::super::fields::fill(t, |n| match n {
                "room_id" => Some(super::encode(room_id)),
                _ => self.session_var(n),
            })
        };
        let headers = rs.headers.iter().map(|(k, v)| (k.clone(), fill(v)));
        Some(self.socket_at(&fill(&rs.url), rs.origin.as_deref(), headers.collect()))
    }

    /// The room's socket is open and past its first read.
    pub(crate) fn room_socket_ready(&self, room_id: &str) -> bool {
        matches!(self.room_sockets.get(room_id), Some(rs) if rs.open && !rs.catching_up)
    }

    fn needs_room(&self, room_id: &str) -> bool {
        self.active_room.as_deref() == Some(room_id)
            || self
                .room_sockets
                .get(room_id)
                .is_some_and(|rs| !rs.queued.is_empty())
            || self
                .pending_sends
                .iter()
                .any(|s| s.room_id == room_id && s.frame.is_some())
    }

    /// Opens the sockets that are needed and closes the ones that are not.
    pub(crate) fn reconcile_rooms(&mut self) {
        if self.profile.room_socket.is_none() {
            return;
        }
        let stale: Vec<String> = self
            .room_sockets
            .keys()
            .filter(|id| !self.live || !self.needs_room(id))
            .cloned()
            .collect();
        for room_id in stale {
            self.room_sockets.remove(&room_id);
            self.out
                .push_back(AdapterOutput::CloseRoomSocket { room_id });
        }
        if !self.live {
            return;
        }
        let mut wanted: Vec<String> = self.active_room.iter().cloned().collect();
        for s in &self.pending_sends {
            if s.frame.is_some() && !wanted.contains(&s.room_id) {
                wanted.push(s.room_id.clone());
            }
        }
        for room_id in wanted {
            if !self.room_sockets.contains_key(&room_id) {
                self.room_sockets
                    .insert(room_id.clone(), RoomSock::default());
                self.open_room(&room_id);
            }
        }
    }

    fn open_room(&mut self, room_id: &str) {
        if let Some(request) = self.room_socket_request(room_id) {
            self.out.push_back(AdapterOutput::OpenRoomSocket {
                room_id: room_id.to_owned(),
                request,
            });
        }
    }

    /// Sends a frame on the room's socket, opening it first if needed.
    pub(crate) fn send_room_frame(&mut self, room_id: &str, text: String) {
        let ready = self.room_socket_ready(room_id);
        match self.room_sockets.get_mut(room_id) {
            Some(_) if ready => {
                self.out.push_back(AdapterOutput::SendRoom {
                    room_id: room_id.to_owned(),
                    text,
                });
            }
            Some(rs) if rs.queued.len() < MAX_QUEUED => rs.queued.push(text),
            Some(_) => {}
            None if self.live => {
                // Opened for this frame; closed again once it is sent (see `flush_room`).
                let rs = RoomSock {
                    queued: vec![text],
                    ..RoomSock::default()
                };
                self.room_sockets.insert(room_id.to_owned(), rs);
                self.open_room(room_id);
            }
            None => {}
        }
    }

    /// A pending send for a room socket: sent now if the socket is ready, else when it is.
    pub(crate) fn send_via_room(&mut self, room_id: &str, text: String) {
        if self.room_socket_ready(room_id) {
            self.out.push_back(AdapterOutput::SendRoom {
                room_id: room_id.to_owned(),
                text,
            });
        } else {
            self.reconcile_rooms();
        }
    }

    /// The driver opened the room's socket.
    pub fn room_socket_open(&mut self, room_id: &str) {
        let catch_up = self.profile.sync.messages.clone();
        let Some(rs) = self.room_sockets.get_mut(room_id) else {
            return;
        };
        rs.open = true;
        rs.failures = 0;
        rs.retry_at = None;
        match catch_up {
            Some(fetch) => {
                rs.catching_up = true;
                let req = self.fetch_request(&fetch, &|n| match n {
                    "room_id" => Some(room_id.to_owned()),
                    "limit" => Some(OPEN_PAGE.to_string()),
                    _ => None,
                });
                self.http(
                    Purpose::RoomOpened {
                        room_id: room_id.to_owned(),
                    },
                    req,
                );
            }
            None => self.flush_room(room_id),
        }
    }

    /// The read after opening answered: merge what is new, confirm lost echoes, then send.
    pub(crate) fn room_opened_answer(&mut self, room_id: &str, body: Option<serde_json::Value>) {
        if let Some(body) = body {
            let list = self
                .profile
                .sync
                .messages
                .as_ref()
                .and_then(|f| f.at.as_deref())
                .map(|p| {
                    super::super::fields::get(&body, p)
                        .cloned()
                        .unwrap_or(serde_json::Value::Null)
                })
                .unwrap_or(body);
            let mut messages = self.messages_of(&list, room_id);
            messages.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            let head = self.held.rooms.get(room_id).cloned().flatten();
            for mut m in messages {
                let new = match &head {
                    Some((id, at)) => m.created_at >= *at && m.id != *id,
                    None => true,
                };
                if new {
                    self.confirm_send(&mut m);
                    self.emit(herald_protocol::wire::Event::MessageCreated { message: m });
                }
            }
        }
        if let Some(rs) = self.room_sockets.get_mut(room_id) {
            rs.catching_up = false;
        }
        self.flush_room(room_id);
    }

    /// Sends the room's queued frames and every send still waiting for its echo.
    fn flush_room(&mut self, room_id: &str) {
        let Some(rs) = self.room_sockets.get_mut(room_id) else {
            return;
        };
        let mut texts = std::mem::take(&mut rs.queued);
        texts.extend(
            self.pending_sends
                .iter()
                .filter(|s| s.room_id == room_id)
                .filter_map(|s| s.frame.clone()),
        );
        for text in texts {
            self.out.push_back(AdapterOutput::SendRoom {
                room_id: room_id.to_owned(),
                text,
            });
        }
        // A socket opened only for a frame (a mark read) is closed once the frame is out.
        self.reconcile_rooms();
    }

    /// A room socket frame: its rules apply with the room filled in.
    pub fn room_socket_text(&mut self, now: herald_protocol::Timestamp, room_id: &str, text: &str) {
        if !self.room_sockets.contains_key(room_id) {
            return;
        }
        self.room_frame(now, room_id, text);
    }

    /// The room's socket closed (refused, dropped or closed by us).
    pub fn room_socket_closed(&mut self, now: Instant, room_id: &str) {
        let Some(rs) = self.room_sockets.get_mut(room_id) else {
            return;
        };
        let was_open = rs.open;
        rs.open = false;
        rs.catching_up = false;
        rs.failures = if was_open { 1 } else { rs.failures + 1 };
        let failures = rs.failures;
        rs.retry_at = Some(now + backoff(failures));
        if !self.needs_room(room_id) {
            self.room_sockets.remove(room_id);
            return;
        }
        if failures >= GIVE_UP_AFTER {
            if let Some(rs) = self.room_sockets.get_mut(room_id) {
                rs.failures = 0;
                rs.queued.clear();
            }
            let waiting: Vec<String> = self
                .pending_sends
                .iter()
                .filter(|s| s.room_id == room_id && s.frame.is_some())
                .map(|s| s.req.clone())
                .collect();
            self.pending_sends
                .retain(|s| s.room_id != room_id || s.frame.is_none());
            for req in waiting {
                self.reply_err(
                    &req,
                    ErrorCode::Internal,
                    "the room's socket does not open; the message is sent again later",
                );
            }
            if !self.needs_room(room_id) {
                self.room_sockets.remove(room_id);
            }
        }
    }

    /// The room socket retries that are due.
    pub(crate) fn room_retries_due(&mut self, now: Instant) {
        let due: Vec<String> = self
            .room_sockets
            .iter_mut()
            .filter(|(_, rs)| rs.retry_at.is_some_and(|at| now >= at))
            .map(|(id, rs)| {
                rs.retry_at = None;
                id.clone()
            })
            .collect();
        for room_id in due {
            self.open_room(&room_id);
        }
    }

    /// The earliest room socket retry.
    pub(crate) fn next_room_retry(&self) -> Option<Instant> {
        self.room_sockets
            .values()
            .filter_map(|rs| rs.retry_at)
            .min()
    }

    /// The stream went away: every room socket goes with it (the engine resends after it
    /// reconnects, which opens the ones still needed).
    pub(crate) fn close_room_sockets(&mut self) {
        let mut ids: Vec<String> = self.room_sockets.drain().map(|(id, _)| id).collect();
        ids.sort();
        for room_id in ids {
            self.out
                .push_back(AdapterOutput::CloseRoomSocket { room_id });
        }
    }
}

/// 1 s, 2 s, 4 s … at most 30 s between opens of a room socket that keeps failing.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs((1u64 << failures.saturating_sub(1).min(5)).min(30))
}
