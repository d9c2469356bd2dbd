//! What the engine sends, turned into the backend's frames or REST calls, and the REST answers
//! turned back into `reply` frames. Every request the engine makes gets exactly one reply: a
//! success built from the backend's answer, or an error with the wire code its HTTP status
//! means (4xx: permanent, 5xx or no answer: transient, so the engine retries). A request for a
//! feature the profile lacks is answered `bad_request` at once.

use herald_protocol::wire::{
    close_code, ClientFrame, Empty, ErrorCode, Event, FriendRequestOk, LoadHistoryOk, Message,
    NotificationOk, Reply, RoomRead, SendMessageOk, ServerFrame,
};
use serde_json::Value;

use super::super::fields::{self, Me, Var};
use super::super::profile::{Action, Via};
use super::{Adapter, AdapterOutput, HttpAnswer};

/// What a REST call the adapter started is for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Purpose {
    /// Part of the (re)connect read; see `catchup.rs`.
    Sync(super::catchup::SyncPart),
    Send {
        req: String,
        client_msg_id: String,
    },
    RoomRead {
        req: String,
        room_id: String,
        up_to: String,
    },
    NotificationRead {
        req: Option<String>,
        id: String,
    },
    ReadAll {
        req: String,
    },
    FriendRequest {
        req: String,
    },
    History {
        req: String,
        room_id: String,
        limit: u32,
    },
    /// One of a mark-all emulated by marking each unread notification.
    ReadEach {
        group: String,
    },
    /// The newest messages of a room whose socket just opened; see `room_sockets.rs`.
    RoomOpened {
        room_id: String,
    },
}

/// A message sent on the socket, waiting for the backend's echo to confirm it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingSend {
    pub req: String,
    pub client_msg_id: String,
    pub room_id: String,
    pub text: String,
    /// The frame for the room's socket (`via = "room_socket"`), sent again each time that
    /// socket opens until the echo arrives; `None`: sent once on the stream socket.
    pub frame: Option<String>,
}

impl Adapter {
    /// A frame from the engine.
    pub fn client_frame(&mut self, now: herald_protocol::Timestamp, frame: ClientFrame) {
        match frame {
            ClientFrame::Hello(h) => {
                self.hello = Some(h);
                self.maybe_start_sync(now);
            }
            ClientFrame::Ping(r) if self.profile.socket.is_none() => {
                // No socket to be half-open: a poll that fails is what closes this stream.
                self.reply_ok(&r.id, &Empty {});
            }
            // The adapter's welcome never announces an expiry, so the engine never asks; a
            // backend's own tokens live as long as that backend decides.
            ClientFrame::RenewToken(r) => self.reply_err(
                &r.id,
                ErrorCode::BadRequest,
                "this backend's sessions are not renewed through Herald",
            ),
            ClientFrame::Ping(r) => {
                if self.pending_pings.len() < 8 {
                    self.pending_pings.push(r.id);
                }
                self.out.push_back(AdapterOutput::Probe);
            }
            ClientFrame::SendMessage(r) => {
                let p = r.params;
                let vars = |n: &str| match n {
                    "room_id" => Some(Var::Text(p.room_id.clone())),
                    "text" => Some(Var::Text(p.text.clone())),
                    "client_msg_id" => Some(Var::Text(p.client_msg_id.clone())),
                    "reply_to" => p.reply_to.clone().map(Var::Text),
                    _ => None,
                };
                let Some(action) = self.profile.actions.send_message.clone() else {
                    return self.unsupported(&r.id, "sending messages");
                };
                if let Some(frame) = &action.frame {
                    // A room socket's frame is kept, to go again each time that socket opens.
                    let room_frame = (action.via == Via::RoomSocket)
                        .then(|| self.render(frame, &vars).to_string());
                    self.pending_sends
                        .retain(|s| s.client_msg_id != p.client_msg_id);
                    self.pending_sends.push(PendingSend {
                        req: r.id.clone(),
                        client_msg_id: p.client_msg_id.clone(),
                        room_id: p.room_id.clone(),
                        text: p.text.clone(),
                        frame: room_frame.clone(),
                    });
                    match room_frame {
                        Some(text) => self.send_via_room(&p.room_id, text),
                        None => {
                            self.run_action(&action, &vars, None);
                        }
                    }
                } else {
                    let purpose = Purpose::Send {
                        req: r.id.clone(),
                        client_msg_id: p.client_msg_id.clone(),
                    };
                    self.run_action(&action, &vars, Some(purpose));
                }
            }
            ClientFrame::MarkRoomRead(r) => {
                let p = r.params;
                let Some(action) = self.profile.actions.mark_room_read.clone() else {
                    return self.unsupported(&r.id, "marking rooms read");
                };
                let vars = |n: &str| match n {
                    "room_id" => Some(Var::Text(p.room_id.clone())),
                    "up_to" => Some(Var::Text(p.up_to.clone())),
                    _ => None,
                };
                let purpose = Purpose::RoomRead {
                    req: r.id.clone(),
                    room_id: p.room_id.clone(),
                    up_to: p.up_to.clone(),
                };
                if !self.run_action(&action, &vars, Some(purpose)) {
                    self.room_read_done(&r.id, &p.room_id, &p.up_to);
                }
            }
            ClientFrame::MarkNotificationRead(r) => {
                let id = r.params.notification_id;
                if self.profile.actions.mark_notification_read.is_none() {
                    return self.unsupported(&r.id, "marking notifications read");
                }
                if !self.mark_notification(Some(r.id.clone()), &id) {
                    self.notification_read_done(Some(&r.id), &id);
                }
            }
            ClientFrame::MarkAllNotificationsRead(r) => self.mark_all(&r.id),
            ClientFrame::ArchiveNotification(r) => self.unsupported(&r.id, "archiving"),
            ClientFrame::SnoozeNotification(r) => self.unsupported(&r.id, "snoozing"),
            ClientFrame::LoadHistory(r) => {
                let p = r.params;
                let Some(fetch) = self.profile.sync.messages.clone() else {
                    return self.unsupported(&r.id, "loading older messages");
                };
                let limit = p.limit.clamp(1, 100);
                let req = self.fetch_request(&fetch, &|n| match n {
                    "room_id" => Some(p.room_id.clone()),
                    "limit" => Some(limit.to_string()),
                    "before" => p.before.clone(),
                    _ => None,
                });
                let purpose = Purpose::History {
                    req: r.id,
                    room_id: p.room_id,
                    limit,
                };
                self.http(purpose, req);
            }
            ClientFrame::RespondFriendRequest(r) => {
                let p = r.params;
                let action = if p.accept {
                    self.profile.actions.accept_friend_request.clone()
                } else {
                    self.profile.actions.decline_friend_request.clone()
                };
                let Some(action) = action else {
                    return self.unsupported(&r.id, "answering friend requests");
                };
                let vars = |n: &str| match n {
                    "request_id" | "id" => Some(Var::Text(p.request_id.clone())),
                    "accept" => Some(Var::Bool(p.accept)),
                    _ => None,
                };
                let purpose = Purpose::FriendRequest { req: r.id.clone() };
                if !self.run_action(&action, &vars, Some(purpose)) {
                    // A socket frame has no answer to build the request from; the backend's
                    // friend_request update frame carries the new state.
                    self.reply_ok(&r.id, &Empty {});
                }
            }
            ClientFrame::Typing(t) => {
                if let Some(action) = self.profile.actions.typing.clone() {
                    // Typing is momentary: never a reason to open a room's socket.
                    if action.via == Via::RoomSocket && !self.room_socket_ready(&t.room_id) {
                        return;
                    }
                    let vars = |n: &str| match n {
                        "room_id" => Some(Var::Text(t.room_id.clone())),
                        "typing" => Some(Var::Bool(t.typing)),
                        _ => None,
                    };
                    self.run_action(&action, &vars, None);
                }
            }
            ClientFrame::Unknown => {}
        }
    }

    /// Runs an action: a frame goes out on the socket (returns false: nothing to wait for),
    /// a REST call is started with `purpose` (returns true).
    fn run_action(
        &mut self,
        action: &Action,
        vars: &dyn Fn(&str) -> Option<Var>,
        purpose: Option<Purpose>,
    ) -> bool {
        if let Some(frame) = &action.frame {
            let frame = self.render(frame, vars);
            match (action.via, vars("room_id")) {
                (Via::Socket, _) => self.send_frame(action.event.as_deref(), &frame),
                (Via::RoomSocket, Some(Var::Text(room_id))) => {
                    self.send_room_frame(&room_id, frame.to_string())
                }
                (Via::RoomSocket, _) => self.warn_once(
                    "room_socket action without a room".into(),
                    "an action with via = \"room_socket\" for a request that names no room",
                ),
            }
            return false;
        }
        let (Some(method), Some(path)) = (&action.method, &action.path) else {
            return false;
        };
        let text_vars = |n: &str| match vars(n) {
            Some(Var::Text(t)) => Some(t),
            Some(Var::Bool(b)) => Some(b.to_string()),
            None => self.session_var(n),
        };
        let path = fields::fill(path, |n| text_vars(n).map(|t| super::encode(&t)));
        let query = action
            .query
            .iter()
            .filter(|(_, v)| {
                fields::placeholders(v)
                    .iter()
                    .all(|n| text_vars(n).is_some())
            })
            .map(|(k, v)| (k.clone(), fields::fill(v, text_vars)))
            .collect();
        let body = action.body.as_ref().map(|b| self.render(b, vars));
        let request = self.request(method, &path, query, body);
        match purpose {
            Some(p) => self.http(p, request),
            None => {
                self.next_http += 1;
                let id = self.next_http;
                self.out.push_back(AdapterOutput::Http { id, request });
            }
        }
        true
    }

    /// Marks one notification read on the backend; false when it went out as a frame.
    fn mark_notification(&mut self, req: Option<String>, id: &str) -> bool {
        let Some(action) = self.profile.actions.mark_notification_read.clone() else {
            return false;
        };
        let held = self.held.notifications.get(id).cloned();
        let vars = |n: &str| {
            if n == "id" || n == "notification_id" {
                return Some(Var::Text(id.to_owned()));
            }
            let key = n.strip_prefix("meta.")?;
            held.as_ref()
                .and_then(|h| h.meta.get(key))
                .and_then(fields::text)
                .map(Var::Text)
        };
        let purpose = match &req {
            Some(r) if r.starts_with("each:") => Purpose::ReadEach { group: r.clone() },
            _ => Purpose::NotificationRead {
                req: req.clone(),
                id: id.to_owned(),
            },
        };
        self.run_action(&action, &vars, Some(purpose))
    }

    fn mark_all(&mut self, req: &str) {
        if let Some(action) = self.profile.actions.mark_all_notifications_read.clone() {
            if !self.run_action(
                &action,
                &|_| None,
                Some(Purpose::ReadAll { req: req.into() }),
            ) {
                self.read_all_done(req);
            }
            return;
        }
        if self.profile.actions.mark_notification_read.is_none() {
            return self.unsupported(req, "marking notifications read");
        }
        // No mark-all on this backend: mark each unread one Herald holds.
        let unread: Vec<String> = self
            .held
            .notifications
            .values()
            .filter(|n| !n.read)
            .map(|n| n.id.clone())
            .take(500)
            .collect();
        let group = format!("each:{req}");
        let mut waiting = 0;
        for id in &unread {
            if self.mark_notification(Some(group.clone()), id) {
                waiting += 1;
            }
        }
        if waiting == 0 {
            self.read_all_done(req);
        } else {
            self.each_waiting
                .insert(group, (req.to_owned(), waiting, false));
        }
    }

    /// A REST answer arrived (or the call failed: `Err` with why).
    pub fn http_answer(
        &mut self,
        now: herald_protocol::Timestamp,
        id: u64,
        answer: Result<HttpAnswer, String>,
    ) {
        let Some(purpose) = self.requests.remove(&id) else {
            if let Err(e) = answer {
                tracing::debug!(error = %e, "fire-and-forget REST call failed");
            }
            return;
        };
        let answer = match answer {
            Ok(a) if a.status == 401 => {
                self.out.push_back(AdapterOutput::Close {
                    code: Some(close_code::UNAUTHORIZED),
                });
                Err((
                    ErrorCode::Unauthorized,
                    "the backend refused the token".to_owned(),
                ))
            }
            Ok(a) if (200..300).contains(&a.status) => Ok(a.body),
            Ok(a) => Err((
                status_code(a.status),
                format!("the backend answered {}", a.status),
            )),
            Err(e) => Err((
                ErrorCode::Internal,
                format!("the backend did not answer ({e})"),
            )),
        };
        match purpose {
            Purpose::Sync(part) => self.sync_answer(now, part, answer),
            Purpose::Send { req, client_msg_id } => match answer {
                Ok(body) => match self.answer_message(&body, &client_msg_id) {
                    Ok(m) => self.reply_ok(&req, &SendMessageOk { message: m }),
                    Err(e) => self.reply_err(&req, ErrorCode::Internal, &e),
                },
                Err((code, msg)) => self.reply_err(&req, code, &msg),
            },
            Purpose::RoomRead {
                req,
                room_id,
                up_to,
            } => match answer {
                Ok(_) => self.room_read_done(&req, &room_id, &up_to),
                Err((code, msg)) => self.reply_err(&req, code, &msg),
            },
            Purpose::NotificationRead { req, id } => match answer {
                Ok(_) => self.notification_read_done(req.as_deref(), &id),
                Err((code, msg)) => {
                    if let Some(req) = req {
                        self.reply_err(&req, code, &msg)
                    }
                }
            },
            Purpose::ReadAll { req } => match answer {
                Ok(_) => self.read_all_done(&req),
                Err((code, msg)) => self.reply_err(&req, code, &msg),
            },
            Purpose::ReadEach { group } => {
                let failed = answer.is_err();
                if let Some(entry) = self.each_waiting.get_mut(&group) {
                    entry.1 -= 1;
                    entry.2 |= failed;
                    if entry.1 == 0 {
                        let (req, _, failed) = entry.clone();
                        self.each_waiting.remove(&group);
                        if failed {
                            self.reply_err(
                                &req,
                                ErrorCode::Internal,
                                "the backend did not mark every notification read; try again",
                            );
                        } else {
                            self.read_all_done(&req);
                        }
                    }
                }
            }
            Purpose::RoomOpened { room_id } => self.room_opened_answer(&room_id, answer.ok()),
            Purpose::FriendRequest { req } => match answer {
                Ok(body) => {
                    let f = self.profile.friend_request.clone();
                    let at = self.at_of_action(true);
                    let obj = at
                        .as_deref()
                        .and_then(|p| fields::get(&body, p))
                        .unwrap_or(&body);
                    match f.map(|f| fields::friend_request(&f, obj)) {
                        Some(Ok(request)) => {
                            self.emit(Event::FriendRequestUpdated {
                                request: request.clone(),
                            });
                            self.reply_ok(&req, &FriendRequestOk { request });
                        }
                        _ => self.reply_ok(&req, &Empty {}),
                    }
                }
                Err((code, msg)) => self.reply_err(&req, code, &msg),
            },
            Purpose::History {
                req,
                room_id,
                limit,
            } => match answer {
                Ok(body) => {
                    let fetch = self.profile.sync.messages.clone();
                    let list = fetch
                        .as_ref()
                        .and_then(|f| f.at.as_deref())
                        .map(|p| fields::get(&body, p).cloned().unwrap_or(Value::Null))
                        .unwrap_or_else(|| body.clone());
                    let mut messages = self.messages_of(&list, &room_id);
                    messages.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                    let has_more = fetch
                        .as_ref()
                        .and_then(|f| f.has_more.as_deref())
                        .and_then(|p| fields::get(&body, p))
                        .and_then(Value::as_bool)
                        .unwrap_or(messages.len() as u32 >= limit);
                    self.reply_ok(&req, &LoadHistoryOk { messages, has_more });
                }
                Err((code, msg)) => self.reply_err(&req, code, &msg),
            },
        }
    }

    fn at_of_action(&self, friend: bool) -> Option<String> {
        let a = &self.profile.actions;
        let action = if friend {
            a.accept_friend_request
                .as_ref()
                .or(a.decline_friend_request.as_ref())
        } else {
            a.send_message.as_ref()
        };
        action.and_then(|x| x.at.clone())
    }

    fn answer_message(&mut self, body: &Value, client_msg_id: &str) -> Result<Message, String> {
        let f = self.profile.message.clone().ok_or("no [message] table")?;
        let at = self.at_of_action(false);
        let obj = at
            .as_deref()
            .and_then(|p| fields::get(body, p))
            .unwrap_or(body);
        let me = self.me.clone();
        let mut m = fields::message(&f, obj, None, &Me { user: &me }).map_err(|e| {
            format!("the backend's answer to a sent message could not be read ({e})")
        })?;
        // The backend may not echo our idempotency key; the engine matches its echo by it.
        m.client_msg_id = Some(client_msg_id.to_owned());
        m.sender = me;
        Ok(m)
    }

    /// Maps a list of backend messages, skipping (and logging once) bad ones.
    pub(crate) fn messages_of(&mut self, list: &Value, room_id: &str) -> Vec<Message> {
        let Some(f) = self.profile.message.clone() else {
            return Vec::new();
        };
        let Value::Array(items) = list else {
            self.warn_once(
                "messages: not a list".into(),
                "a message page that is not a list",
            );
            return Vec::new();
        };
        let me = self.me.clone();
        let mut out = Vec::new();
        for item in items.iter().take(500) {
            match fields::message(&f, item, Some(room_id), &Me { user: &me }) {
                Ok(m) => out.push(m),
                Err(e) => self.warn_once(format!("message: {e}"), &e.to_string()),
            }
        }
        out
    }

    /// A message from the socket: if it is the echo of one sent on the socket, it confirms it.
    pub(crate) fn confirm_send(&mut self, m: &mut Message) {
        if !self.own(m) {
            return;
        }
        let pos = self
            .pending_sends
            .iter()
            .position(|s| match &m.client_msg_id {
                Some(c) => *c == s.client_msg_id,
                None => s.room_id == m.room_id && s.text == m.text,
            });
        if let Some(pos) = pos {
            let s = self.pending_sends.remove(pos);
            m.client_msg_id = Some(s.client_msg_id);
            self.reply_ok(&s.req, &SendMessageOk { message: m.clone() });
            if s.frame.is_some() {
                // Its room's socket may be needed no more.
                self.reconcile_rooms();
            }
        }
    }

    fn room_read_done(&mut self, req: &str, room_id: &str, up_to: &str) {
        let read = RoomRead {
            room_id: room_id.to_owned(),
            up_to: up_to.to_owned(),
            unread_count: 0,
        };
        self.emit(Event::RoomRead(read.clone()));
        self.reply_ok(req, &read);
    }

    fn notification_read_done(&mut self, req: Option<&str>, id: &str) {
        match self.held.notifications.get(id).cloned() {
            Some(mut n) => {
                n.read = true;
                self.emit(Event::NotificationUpdated {
                    notification: n.clone(),
                });
                if let Some(req) = req {
                    self.reply_ok(req, &NotificationOk { notification: n });
                }
            }
            None => {
                if let Some(req) = req {
                    self.reply_err(req, ErrorCode::NotFound, "no such notification");
                }
            }
        }
    }

    fn read_all_done(&mut self, req: &str) {
        self.emit(Event::NotificationsReadAll {});
        self.reply_ok(req, &Empty {});
    }

    fn unsupported(&mut self, req: &str, what: &str) {
        let msg = format!("this backend has no {what}");
        self.reply_err(req, ErrorCode::BadRequest, &msg);
    }

    pub(crate) fn reply_ok<T: serde::Serialize>(&mut self, req: &str, payload: &T) {
        self.out
            .push_back(AdapterOutput::Engine(ServerFrame::Reply(Reply::ok(
                req, payload,
            ))));
    }

    pub(crate) fn reply_err(&mut self, req: &str, code: ErrorCode, msg: &str) {
        self.out
            .push_back(AdapterOutput::Engine(ServerFrame::Reply(Reply::error(
                req, code, msg,
            ))));
    }
}

/// The wire code an HTTP status means.
fn status_code(status: u16) -> ErrorCode {
    match status {
        400 | 422 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::TooLarge,
        429 => ErrorCode::RateLimited,
        _ => ErrorCode::Internal,
    }
}
