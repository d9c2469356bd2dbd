//! What the backend sends on its socket, turned into wire frames for the engine: each frame's
//! discriminator picks a `[[socket.on]]` rule, the rule's kind says what it becomes. A frame
//! with no rule, a field of the wrong type or an oversize frame is skipped and logged once per
//! kind; the connection is kept.

use herald_protocol::wire::{close_code, Event, RoomRead, ServerFrame, TypingNotice, User};
use serde_json::Value;

use super::super::fields::{self, Me};
use super::super::profile::{Rule, RuleKind, Transport};
use super::super::socketio::{self, Packet};
use super::{Adapter, AdapterOutput, MAX_BACKEND_FRAME};

impl Adapter {
    /// A text frame arrived on the backend socket.
    pub fn socket_text(&mut self, now: herald_protocol::Timestamp, text: &str) {
        self.heard();
        if text.len() > MAX_BACKEND_FRAME {
            self.warn_once(
                "oversize frame".into(),
                &format!("a {} byte frame is over the 1 MiB limit", text.len()),
            );
            return;
        }
        match self.profile.transport {
            Transport::Websocket => {
                let Some(socket) = self.profile.socket.clone() else {
                    return;
                };
                self.json_frame(now, text, socket.discriminator.as_deref(), &socket.on, None);
            }
            Transport::Socketio => match socketio::decode(text) {
                Packet::Open { .. } => {
                    let auth = self
                        .profile
                        .socket
                        .as_ref()
                        .and_then(|s| s.socketio_auth.clone())
                        .map(|a| self.render(&a, &|_| None))
                        .unwrap_or(Value::Object(Default::default()));
                    self.out
                        .push_back(AdapterOutput::Send(socketio::connect(&auth)));
                }
                Packet::Ping => self
                    .out
                    .push_back(AdapterOutput::Send(socketio::PONG.to_owned())),
                Packet::Connected => {
                    self.ready = true;
                    self.maybe_start_sync(now);
                }
                Packet::ConnectRefused(why) => {
                    tracing::info!(backend = %self.profile.name, reason = %why, "Socket.IO connect refused");
                    self.out.push_back(AdapterOutput::Close {
                        code: Some(close_code::UNAUTHORIZED),
                    });
                }
                Packet::Event(name, data) => {
                    let rules = self
                        .profile
                        .socket
                        .as_ref()
                        .map(|s| s.on.clone())
                        .unwrap_or_default();
                    self.frame(now, &name, &data, &rules, None)
                }
                Packet::Disconnected => self.out.push_back(AdapterOutput::Close { code: None }),
                Packet::Other => {}
            },
        }
    }

    /// A frame of a room's own socket (`[room_socket]`): its rules apply with the room known.
    pub(crate) fn room_frame(
        &mut self,
        now: herald_protocol::Timestamp,
        room_id: &str,
        text: &str,
    ) {
        if text.len() > MAX_BACKEND_FRAME {
            self.warn_once(
                "oversize frame".into(),
                &format!("a {} byte frame is over the 1 MiB limit", text.len()),
            );
            return;
        }
        let Some(rs) = self.profile.room_socket.clone() else {
            return;
        };
        self.json_frame(now, text, Some(&rs.discriminator), &rs.on, Some(room_id));
    }

    /// A JSON text frame: its discriminator picks the rule.
    fn json_frame(
        &mut self,
        now: herald_protocol::Timestamp,
        text: &str,
        discriminator: Option<&str>,
        rules: &[Rule],
        room: Option<&str>,
    ) {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return self.warn_once("not json".into(), "a frame that is not JSON");
        };
        let key = discriminator
            .and_then(|d| fields::get(&frame, d))
            .and_then(fields::text);
        match key {
            Some(k) => self.frame(now, &k, &frame, rules, room),
            None => self.warn_once(
                "frame without discriminator".into(),
                "a frame without the discriminator field",
            ),
        }
    }

    fn frame(
        &mut self,
        now: herald_protocol::Timestamp,
        key: &str,
        frame: &Value,
        rules: &[Rule],
        room: Option<&str>,
    ) {
        let Some(rule) = rules.iter().find(|r| r.when == key).cloned() else {
            let table = if room.is_some() {
                "[[room_socket.on]]"
            } else {
                "[[socket.on]]"
            };
            self.warn_once(
                format!("unknown frame kind {key}"),
                &format!("frame kind `{key}` has no {table} rule in the profile"),
            );
            return;
        };
        let obj = match rule.at.as_deref() {
            Some(path) => fields::get(frame, path).cloned().unwrap_or(Value::Null),
            None => frame.clone(),
        };
        if let Err(detail) = self.apply_rule(now, &rule, frame, &obj, room) {
            self.warn_once(
                format!("{key}: {detail}"),
                &format!("frame `{key}`: {detail}"),
            );
        }
    }

    fn apply_rule(
        &mut self,
        now: herald_protocol::Timestamp,
        rule: &Rule,
        frame: &Value,
        obj: &Value,
        room: Option<&str>,
    ) -> Result<(), String> {
        let p = self.profile.clone();
        let me = self.me.clone();
        let me = Me { user: &me };
        let field = |name: &str| rule.fields.get(name);
        match rule.kind {
            RuleKind::Message => {
                let f = p.message.as_ref().ok_or("no [message] table")?;
                let hint =
                    fields::rule_text(frame, field("room_id")).or_else(|| room.map(str::to_owned));
                let mut m =
                    fields::message(f, obj, hint.as_deref(), &me).map_err(|e| e.to_string())?;
                self.confirm_send(&mut m);
                self.emit(Event::MessageCreated { message: m });
            }
            RuleKind::Notification => {
                let f = p.notification.as_ref().ok_or("no [notification] table")?;
                let n = fields::notification(f, obj).map_err(|e| e.to_string())?;
                let event = if self.held.notifications.contains_key(&n.id) {
                    Event::NotificationUpdated { notification: n }
                } else {
                    Event::NotificationCreated { notification: n }
                };
                self.emit(event);
            }
            RuleKind::FriendRequest => {
                let f = p
                    .friend_request
                    .as_ref()
                    .ok_or("no [friend_request] table")?;
                let r = fields::friend_request(f, obj).map_err(|e| e.to_string())?;
                let event = match self.friend_request_known(&r) {
                    Some(_) => Event::FriendRequestUpdated { request: r },
                    None => Event::FriendRequestCreated { request: r },
                };
                self.emit(event);
            }
            RuleKind::Rooms => {
                let f = p.room.as_ref().ok_or("no [room] table")?;
                let Value::Array(items) = obj else {
                    return Err("expected a list of rooms".into());
                };
                for item in items.iter().take(1000) {
                    match fields::room(f, p.message.as_ref(), item, &me, now) {
                        Ok(room) => {
                            let event = if self.held.rooms.contains_key(&room.id) {
                                Event::RoomUpdated { room }
                            } else {
                                Event::RoomCreated { room }
                            };
                            self.emit(event);
                        }
                        Err(e) => self.warn_once(format!("room: {e}"), &e.to_string()),
                    }
                }
            }
            RuleKind::RoomUnread => {
                let room_id = fields::rule_text(obj, field("room_id"))
                    .or_else(|| room.map(str::to_owned))
                    .ok_or("no room_id")?;
                let unread_count =
                    fields::rule_u32(obj, field("unread_count")).ok_or("no unread_count")?;
                let up_to = self
                    .held
                    .rooms
                    .get(&room_id)
                    .and_then(|h| h.as_ref().map(|(id, _)| id.clone()))
                    .unwrap_or_default();
                self.emit(Event::RoomRead(RoomRead {
                    room_id,
                    up_to,
                    unread_count,
                }));
            }
            RuleKind::Typing => {
                let room_id = fields::rule_text(obj, field("room_id"))
                    .or_else(|| room.map(str::to_owned))
                    .ok_or("no room_id")?;
                let id = fields::rule_text(obj, field("user_id")).ok_or("no user_id")?;
                let name = fields::rule_text(obj, field("user_name")).unwrap_or_else(|| id.clone());
                let typing = fields::rule_bool(obj, field("typing")).ok_or("no typing flag")?;
                if self.live && id != self.me.id {
                    self.out
                        .push_back(AdapterOutput::Engine(ServerFrame::Typing(TypingNotice {
                            room_id,
                            user: User { id, name },
                            typing,
                        })));
                }
            }
            RuleKind::NotificationRead => {
                let id = fields::rule_text(obj, field("id")).ok_or("no notification id")?;
                if let Some(mut n) = self.held.notifications.get(&id).cloned() {
                    if !n.read {
                        n.read = true;
                        self.emit(Event::NotificationUpdated { notification: n });
                    }
                }
            }
            RuleKind::NotificationsReadAll => self.emit(Event::NotificationsReadAll {}),
            RuleKind::Ignore => {}
        }
        Ok(())
    }
}
