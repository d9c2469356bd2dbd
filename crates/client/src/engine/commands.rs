//! UI commands and the server requests they turn into.
//!
//! Every command answers at once (the engine never waits on the network): sends go to the
//! outbox, read marks and notification actions are applied optimistically and queued as
//! [`Op`]s, transmitted when the socket is live (re-sent after a reconnect if unanswered), and
//! reconciled with the server's reply — its answer replaces the optimistic state, an error
//! reverts it.

use herald_protocol::ipc::{AppInfo, ErrorCode, Settings, UiCommand, UiError, UiEvent, UiReply};
use herald_protocol::wire::{
    self, ClientFrame, Empty, FriendRequest, FriendRequestOk, FriendRequestStatus, LoadHistory,
    LoadHistoryOk, MarkRoomRead, MarkRoomReadOk, Message, Notification, NotificationOk,
    NotificationRef, Reply, RespondFriendRequest, SendMessageOk, SnoozeNotification, TypingUpdate,
    MAX_MESSAGE_CHARS,
};
use herald_protocol::Timestamp;

use super::outbox::{echo, ReplyEffect};
use super::reducer::chat_message;
use super::{Engine, Now, Output};
use crate::store::OutboxEntry;

/// A server request other than `send_message`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    MarkRoomRead(MarkRoomRead),
    MarkNotificationRead(NotificationRef),
    MarkAll,
    Archive(NotificationRef),
    Snooze(SnoozeNotification),
    LoadHistory(LoadHistory),
    RespondFriend(RespondFriendRequest),
    Ping,
}

impl Op {
    pub fn frame(&self, id: String) -> ClientFrame {
        use wire::Req;
        match self.clone() {
            Op::MarkRoomRead(p) => ClientFrame::MarkRoomRead(Req { id, params: p }),
            Op::MarkNotificationRead(p) => ClientFrame::MarkNotificationRead(Req { id, params: p }),
            Op::MarkAll => ClientFrame::MarkAllNotificationsRead(Req {
                id,
                params: Empty {},
            }),
            Op::Archive(p) => ClientFrame::ArchiveNotification(Req { id, params: p }),
            Op::Snooze(p) => ClientFrame::SnoozeNotification(Req { id, params: p }),
            Op::LoadHistory(p) => ClientFrame::LoadHistory(Req { id, params: p }),
            Op::RespondFriend(p) => ClientFrame::RespondFriendRequest(Req { id, params: p }),
            Op::Ping => ClientFrame::Ping(Req {
                id,
                params: Empty {},
            }),
        }
    }
}

/// What to restore if the server refuses an optimistic change.
#[derive(Debug, Clone, PartialEq)]
pub enum Revert {
    Nothing,
    RoomUnread {
        room_id: String,
        unread: u32,
    },
    Notification(Box<Notification>),
    AllNotifications {
        items: Vec<Notification>,
        unread: u32,
    },
    FriendRequest(Box<FriendRequest>),
}

/// A queued or in-flight operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingOp {
    pub op: Op,
    pub revert: Revert,
}

fn invalid(msg: &str) -> UiError {
    UiError::new(ErrorCode::InvalidInput, msg)
}

fn not_found(what: &str) -> UiError {
    UiError::new(
        ErrorCode::NotFound,
        format!("{what} is not known here; refresh and try again"),
    )
}

impl Engine {
    /// Handles a UI command. Login, logout, updates and URLs belong to the driver and shell.
    pub fn handle_command(&mut self, now: Now, cmd: UiCommand) -> Result<UiReply, UiError> {
        self.now = now;
        match cmd {
            UiCommand::AppInfo => Ok(UiReply::AppInfo(AppInfo {
                name: "Herald".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                protocol: wire::PROTOCOL_VERSION,
            })),
            UiCommand::GetViewState => Ok(UiReply::ViewState(Box::new(self.view_state()))),
            UiCommand::OpenRoom { room_id } => {
                if !self.model.rooms.contains_key(&room_id) {
                    return Err(not_found("That room"));
                }
                self.active_room = Some(room_id.clone());
                self.ui.push(UiEvent::ActiveRoom {
                    room_id: Some(room_id.clone()),
                });
                let messages = self.room_messages(&room_id);
                self.ui.push(UiEvent::MessagesUpserted {
                    room_id: room_id.clone(),
                    messages,
                });
                if self.focused {
                    self.read_room_locally(&room_id);
                }
                Ok(UiReply::Ack)
            }
            UiCommand::CloseRoom => {
                self.active_room = None;
                self.ui.push(UiEvent::ActiveRoom { room_id: None });
                Ok(UiReply::Ack)
            }
            UiCommand::SendMessage {
                room_id,
                text,
                reply_to,
            } => self
                .send_message(now, room_id, text, reply_to)
                .map(|_| UiReply::Ack),
            UiCommand::RetrySend { key } => {
                let entry = self
                    .outbox
                    .retry(&key)
                    .ok_or_else(|| not_found("That message"))?;
                self.persist_now_with_entry(entry);
                self.flush_sends(now);
                Ok(UiReply::Ack)
            }
            UiCommand::DiscardSend { key } => {
                let entry = self
                    .outbox
                    .discard(&key)
                    .ok_or_else(|| not_found("That message"))?;
                self.changes.outbox_removed.push(key.clone());
                self.ui.push(UiEvent::MessageRemoved {
                    room_id: entry.room_id,
                    key,
                });
                Ok(UiReply::Ack)
            }
            UiCommand::LoadOlder { room_id } => {
                let st = self
                    .model
                    .rooms
                    .get(&room_id)
                    .ok_or_else(|| not_found("That room"))?;
                if !st.has_more {
                    self.ui.push(UiEvent::HistoryLoaded {
                        room_id,
                        has_more: false,
                        error: None,
                    });
                    return Ok(UiReply::Ack);
                }
                let before = self.oldest(&room_id);
                self.out.push_back(Output::LoadCached {
                    room_id,
                    before,
                    limit: self.cfg.page_size,
                });
                Ok(UiReply::Ack)
            }
            UiCommand::MarkRoomRead { room_id } => {
                if !self.model.rooms.contains_key(&room_id) {
                    return Err(not_found("That room"));
                }
                self.read_room_locally(&room_id);
                Ok(UiReply::Ack)
            }
            UiCommand::MarkNotificationRead { notification_id } => self.notification_action(
                now,
                &notification_id,
                |n| n.read = true,
                |id| {
                    Op::MarkNotificationRead(NotificationRef {
                        notification_id: id,
                    })
                },
            ),
            UiCommand::ArchiveNotification { notification_id } => self.notification_action(
                now,
                &notification_id,
                |n| n.archived = true,
                |id| {
                    Op::Archive(NotificationRef {
                        notification_id: id,
                    })
                },
            ),
            UiCommand::SnoozeNotification {
                notification_id,
                until,
            } => self.notification_action(
                now,
                &notification_id,
                |n| n.snoozed_until = Some(until),
                |id| {
                    Op::Snooze(SnoozeNotification {
                        notification_id: id,
                        until,
                    })
                },
            ),
            UiCommand::MarkAllNotificationsRead => {
                let items: Vec<Notification> = self.model.notifications.values().cloned().collect();
                let unread = self.model.notifications_unread;
                self.model.read_all_notifications(&mut self.changes);
                self.ui.push(UiEvent::NotificationsReadAll);
                self.ui.push(UiEvent::NotificationsUnread { count: 0 });
                self.queue_op(now, Op::MarkAll, Revert::AllNotifications { items, unread });
                Ok(UiReply::Ack)
            }
            UiCommand::RespondFriendRequest { request_id, accept } => {
                let prev = self
                    .model
                    .friend_requests
                    .get(&request_id)
                    .cloned()
                    .ok_or_else(|| not_found("That request"))?;
                let mut next = prev.clone();
                next.status = if accept {
                    FriendRequestStatus::Accepted
                } else {
                    FriendRequestStatus::Declined
                };
                self.model
                    .upsert_friend_request(next.clone(), &mut self.changes);
                self.ui.push(UiEvent::FriendRequestUpserted(Box::new(next)));
                self.queue_op(
                    now,
                    Op::RespondFriend(RespondFriendRequest { request_id, accept }),
                    Revert::FriendRequest(Box::new(prev)),
                );
                Ok(UiReply::Ack)
            }
            UiCommand::SetTyping { room_id, typing } => {
                if self.is_live() {
                    self.out
                        .push_back(Output::Send(ClientFrame::Typing(TypingUpdate {
                            room_id,
                            typing,
                        })));
                }
                Ok(UiReply::Ack)
            }
            UiCommand::SaveDraft { room_id, text } => {
                if text.is_empty() {
                    self.model.drafts.remove(&room_id);
                } else {
                    self.model.drafts.insert(room_id.clone(), text.clone());
                }
                self.changes.drafts.push((room_id.clone(), text));
                self.push_room(&room_id);
                Ok(UiReply::Ack)
            }
            UiCommand::GetSettings => Ok(UiReply::Settings(self.settings.clone())),
            UiCommand::SetSettings { settings } => {
                self.set_settings(settings);
                Ok(UiReply::Ack)
            }
            UiCommand::SetRoomMuted { room_id, muted } => {
                let mut s = self.settings.clone();
                s.muted_rooms.retain(|r| r != &room_id);
                if muted {
                    s.muted_rooms.push(room_id);
                }
                self.set_settings(s);
                Ok(UiReply::Ack)
            }
            UiCommand::RetryConnectionNow => {
                if self.session.is_none() {
                    return Err(UiError::new(ErrorCode::NotSignedIn, "Sign in first."));
                }
                if matches!(
                    self.conn.state(),
                    super::connection::ConnState::Closed { .. }
                ) {
                    return Err(UiError::new(
                        ErrorCode::Unauthorized,
                        "Your session ended: sign in again.",
                    ));
                }
                self.reconnect_now(now, herald_protocol::ipc::DisconnectReason::TransportClosed);
                Ok(UiReply::Ack)
            }
            UiCommand::DismissToast { toast_id } => {
                self.policy.dismissed(&toast_id);
                Ok(UiReply::Ack)
            }
            UiCommand::Login { .. }
            | UiCommand::Logout
            | UiCommand::CheckForUpdates
            | UiCommand::OpenUrl { .. } => Err(UiError::new(
                ErrorCode::Internal,
                "This command is handled by the driver or the desktop shell.",
            )),
        }
    }

    fn set_settings(&mut self, settings: Settings) {
        let muted_changed = settings.muted_rooms != self.settings.muted_rooms;
        self.settings = settings.clone();
        self.changes.settings = Some(settings.clone());
        self.ui.push(UiEvent::Settings(settings));
        if muted_changed {
            let ids: Vec<String> = self.model.rooms.keys().cloned().collect();
            for id in ids {
                self.push_room(&id);
            }
        }
    }

    fn send_message(
        &mut self,
        now: Now,
        room_id: String,
        text: String,
        reply_to: Option<String>,
    ) -> Result<String, UiError> {
        let Some(me) = self.model.me.clone() else {
            return Err(UiError::new(
                ErrorCode::NotSignedIn,
                "Sign in to send messages.",
            ));
        };
        if text.trim().is_empty() {
            return Err(invalid("Type a message first."));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(invalid(
                "That message is too long: shorten it to 4000 characters or fewer.",
            ));
        }
        let client_msg_id = self.new_client_msg_id(now.wall);
        let entry = OutboxEntry {
            client_msg_id: client_msg_id.clone(),
            room_id: room_id.clone(),
            text,
            reply_to,
            created_at: now.wall,
            attempts: 0,
            failed: None,
        };
        self.outbox.push(entry.clone());
        self.model.drafts.remove(&room_id);
        self.changes.drafts.push((room_id, String::new()));
        let _ = me;
        // Stored before transmitted: the Persist goes out ahead of the frame.
        self.persist_now_with_entry(entry);
        self.flush_sends(now);
        Ok(client_msg_id)
    }

    fn persist_now_with_entry(&mut self, entry: OutboxEntry) {
        if let Some(me) = self.model.me.clone() {
            self.ui.push(UiEvent::MessagesUpserted {
                room_id: entry.room_id.clone(),
                messages: vec![echo(&entry, &me)],
            });
        }
        self.changes.outbox.push(entry);
        let changes = std::mem::take(&mut self.changes);
        self.out.push_back(Output::Persist(Box::new(changes)));
    }

    /// A UUID v7 from the input's wall time and the engine's seeded randomness.
    fn new_client_msg_id(&mut self, wall: Timestamp) -> String {
        let millis = (wall.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
        let mut bytes = [0u8; 10];
        let a = self.rng.next_u64().to_le_bytes();
        let b = self.rng.next_u64().to_le_bytes();
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b[..2]);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
            .into_uuid()
            .to_string()
    }

    fn oldest(&self, room_id: &str) -> Option<(Timestamp, String)> {
        self.model
            .messages
            .get(room_id)
            .and_then(|m| m.oldest())
            .map(|m| (m.created_at, m.id.clone()))
    }

    /// The driver's answer to [`Output::LoadCached`]: merge, then ask the server only for what
    /// the cache could not give.
    pub fn cached_page(&mut self, now: Now, room_id: &str, messages: Vec<Message>, limit: u32) {
        self.now = now;
        let got = messages.len() as u32;
        self.merge_history(room_id, messages);
        if got >= limit {
            self.ui.push(UiEvent::HistoryLoaded {
                room_id: room_id.to_owned(),
                has_more: true,
                error: None,
            });
            return;
        }
        if !self.is_live() {
            self.ui.push(UiEvent::HistoryLoaded {
                room_id: room_id.to_owned(),
                has_more: true,
                error: Some(UiError::new(
                    ErrorCode::ServerUnreachable,
                    "Offline: showing cached messages. Older ones load once reconnected.",
                )),
            });
            return;
        }
        let before = self.oldest(room_id).map(|(_, id)| id);
        let op = Op::LoadHistory(LoadHistory {
            room_id: room_id.to_owned(),
            before,
            limit: limit - got,
        });
        self.queue_op(now, op, Revert::Nothing);
    }

    fn merge_history(&mut self, room_id: &str, messages: Vec<Message>) {
        let me = self.model.me.clone();
        let per_room = self.model.messages.entry(room_id.to_owned()).or_default();
        let mut fresh = Vec::new();
        for m in messages {
            if per_room.upsert(m.clone()) {
                fresh.push(chat_message(&m, me.as_ref()));
                self.changes.messages.push(m);
            }
        }
        if !fresh.is_empty() {
            self.ui.push(UiEvent::MessagesUpserted {
                room_id: room_id.to_owned(),
                messages: fresh,
            });
        }
    }

    fn notification_action(
        &mut self,
        now: Now,
        id: &str,
        apply: impl FnOnce(&mut Notification),
        op: impl FnOnce(String) -> Op,
    ) -> Result<UiReply, UiError> {
        let prev = self
            .model
            .notifications
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("That notification"))?;
        let mut next = prev.clone();
        apply(&mut next);
        self.model
            .upsert_notification(next.clone(), &mut self.changes);
        self.ui.push(UiEvent::NotificationUpserted(Box::new(next)));
        self.ui.push(UiEvent::NotificationsUnread {
            count: self.model.notifications_unread,
        });
        self.queue_op(now, op(id.to_owned()), Revert::Notification(Box::new(prev)));
        Ok(UiReply::Ack)
    }

    /// Queues an operation (a newer read mark of the same room replaces a queued one).
    fn queue_op(&mut self, now: Now, op: Op, revert: Revert) {
        if let Op::MarkRoomRead(m) = &op {
            if let Some(q) = self
                .ops_queued
                .iter_mut()
                .find(|q| matches!(&q.op, Op::MarkRoomRead(x) if x.room_id == m.room_id))
            {
                q.op = op;
                return;
            }
        }
        self.ops_queued.push_back(super::PendingOp { op, revert });
        self.flush_sends(now);
    }

    /// Opening or looking at a room: unread to zero now, toasts withdrawn, server told.
    pub(crate) fn read_room_locally(&mut self, room_id: &str) {
        let Some(prev) = self.model.set_unread(room_id, 0, &mut self.changes) else {
            return;
        };
        if self.policy.room_opened(room_id) {
            self.ui.push(UiEvent::ToastsWithdrawn {
                room_id: room_id.to_owned(),
            });
        }
        self.push_room(room_id);
        let up_to = self
            .model
            .messages
            .get(room_id)
            .and_then(|m| m.list.last())
            .map(|m| m.id.clone());
        if let Some(up_to) = up_to {
            let now = self.now;
            let op = Op::MarkRoomRead(MarkRoomRead {
                room_id: room_id.to_owned(),
                up_to,
            });
            self.queue_op(
                now,
                op,
                Revert::RoomUnread {
                    room_id: room_id.to_owned(),
                    unread: prev,
                },
            );
        }
    }

    /// A message arrived in the room being looked at: tell the server it is read.
    pub(crate) fn queue_mark_read(&mut self, room_id: &str) {
        let up_to = self
            .model
            .messages
            .get(room_id)
            .and_then(|m| m.list.last())
            .map(|m| m.id.clone());
        if let Some(up_to) = up_to {
            let now = self.now;
            let op = Op::MarkRoomRead(MarkRoomRead {
                room_id: room_id.to_owned(),
                up_to,
            });
            self.queue_op(now, op, Revert::Nothing);
        }
    }

    /// A `reply` arrived: the outbox's, or an operation's.
    pub(crate) fn handle_reply(&mut self, now: Now, reply: Reply) {
        let id = reply.id.clone();
        if id.starts_with('s') {
            let result = reply.into_result::<SendMessageOk>().map(|ok| ok.message);
            match self.outbox.on_reply(now.mono, &id, result) {
                ReplyEffect::NotOurs => {}
                ReplyEffect::Sent {
                    client_msg_id,
                    message,
                } => {
                    self.changes.outbox_removed.push(client_msg_id.clone());
                    self.model.add_message(&message, true, &mut self.changes);
                    let mut cm = chat_message(&message, self.model.me.as_ref());
                    cm.key = client_msg_id;
                    self.ui.push(UiEvent::MessagesUpserted {
                        room_id: message.room_id.clone(),
                        messages: vec![cm],
                    });
                    self.push_room(&message.room_id);
                }
                ReplyEffect::Failed { client_msg_id, .. } => {
                    if let (Some(entry), Some(me)) = (
                        self.outbox.get(&client_msg_id).cloned(),
                        self.model.me.clone(),
                    ) {
                        self.ui.push(UiEvent::MessagesUpserted {
                            room_id: entry.room_id.clone(),
                            messages: vec![echo(&entry, &me)],
                        });
                        self.changes.outbox.push(entry);
                    }
                }
                ReplyEffect::Retry { .. } => {}
            }
            return;
        }
        let Some(pending) = self.ops_inflight.remove(&id) else {
            return;
        };
        match pending.op {
            Op::MarkRoomRead(_) => match reply.into_result::<MarkRoomReadOk>() {
                Ok(r) => {
                    self.model
                        .set_unread(&r.room_id, r.unread_count, &mut self.changes);
                    self.push_room(&r.room_id);
                }
                Err(e) => self.revert(pending.revert, &e),
            },
            Op::MarkNotificationRead(_) | Op::Archive(_) | Op::Snooze(_) => {
                match reply.into_result::<NotificationOk>() {
                    Ok(ok) => {
                        self.model
                            .upsert_notification(ok.notification.clone(), &mut self.changes);
                        self.ui
                            .push(UiEvent::NotificationUpserted(Box::new(ok.notification)));
                        self.ui.push(UiEvent::NotificationsUnread {
                            count: self.model.notifications_unread,
                        });
                    }
                    Err(e) => self.revert(pending.revert, &e),
                }
            }
            Op::MarkAll | Op::Ping => {
                if let Err(e) = reply.into_result::<Empty>() {
                    self.revert(pending.revert, &e);
                }
            }
            Op::RespondFriend(_) => match reply.into_result::<FriendRequestOk>() {
                Ok(ok) => {
                    self.model
                        .upsert_friend_request(ok.request.clone(), &mut self.changes);
                    self.ui
                        .push(UiEvent::FriendRequestUpserted(Box::new(ok.request)));
                }
                Err(e) => self.revert(pending.revert, &e),
            },
            Op::LoadHistory(h) => match reply.into_result::<LoadHistoryOk>() {
                Ok(ok) => {
                    self.merge_history(&h.room_id, ok.messages);
                    if let Some(st) = self.model.rooms.get_mut(&h.room_id) {
                        st.has_more = ok.has_more;
                    }
                    self.push_room(&h.room_id);
                    self.ui.push(UiEvent::HistoryLoaded {
                        room_id: h.room_id,
                        has_more: ok.has_more,
                        error: None,
                    });
                }
                Err(e) => self.ui.push(UiEvent::HistoryLoaded {
                    room_id: h.room_id,
                    has_more: true,
                    error: Some(UiError::new(e.code.into(), e.message)),
                }),
            },
        }
    }

    fn revert(&mut self, revert: Revert, err: &wire::ErrorBody) {
        tracing::warn!(code = ?err.code, message = %err.message, "server refused an optimistic change; reverting");
        match revert {
            Revert::Nothing => {}
            Revert::RoomUnread { room_id, unread } => {
                self.model.set_unread(&room_id, unread, &mut self.changes);
                self.push_room(&room_id);
            }
            Revert::Notification(n) => {
                self.model
                    .upsert_notification((*n).clone(), &mut self.changes);
                self.ui.push(UiEvent::NotificationUpserted(n));
                self.ui.push(UiEvent::NotificationsUnread {
                    count: self.model.notifications_unread,
                });
            }
            Revert::AllNotifications { items, unread } => {
                for n in items {
                    self.model.notifications.insert(n.id.clone(), n.clone());
                    self.changes.notifications.push(n.clone());
                    self.ui.push(UiEvent::NotificationUpserted(Box::new(n)));
                }
                self.model.notifications_unread = unread;
                self.changes.notifications_unread = Some(unread);
                self.ui.push(UiEvent::NotificationsUnread { count: unread });
            }
            Revert::FriendRequest(f) => {
                self.model
                    .upsert_friend_request((*f).clone(), &mut self.changes);
                self.ui.push(UiEvent::FriendRequestUpserted(f));
            }
        }
    }
}
