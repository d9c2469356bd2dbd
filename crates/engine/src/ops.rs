//! Optimistic operations (read marks, notification actions, friend request answers, history
//! requests) and the server's replies that reconcile them.
//!
//! An operation is applied to the model at once, queued, transmitted when the socket is live
//! (re-sent after a reconnect if unanswered) and settled by its `reply`: the server's answer
//! replaces the optimistic state, an error reverts it. Operations that change server state are
//! also written to the store (`Changes::ops`) when queued and removed when settled, so a crash
//! or quit before they were sent loses nothing: the next start queues them again.

use herald_protocol::ipc::{UiError, UiEvent};
use herald_protocol::wire::{
    self, ClientFrame, Empty, FriendRequest, FriendRequestOk, LoadHistory, LoadHistoryOk,
    MarkRoomRead, MarkRoomReadOk, Notification, NotificationOk, NotificationRef, RenewTokenOk,
    Reply, RespondFriendRequest, SendMessageOk, SnoozeNotification,
};
use serde::{Deserialize, Serialize};

use super::op_queue::ReplyTo;
use super::outbox::{echo, ReplyEffect};
use super::reducer::chat_message;
use super::{Engine, Now, Output};
use crate::store::StoredOp;

/// A server request other than `send_message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "params", rename_all = "snake_case")]
pub enum Op {
    MarkRoomRead(MarkRoomRead),
    MarkNotificationRead(NotificationRef),
    MarkAll,
    Archive(NotificationRef),
    Snooze(SnoozeNotification),
    LoadHistory(LoadHistory),
    RespondFriend(RespondFriendRequest),
    Ping,
    RenewToken,
}

impl Op {
    /// Whether the operation changes server state and so survives a restart (history loads
    /// and pings die with the session that asked).
    pub fn durable(&self) -> bool {
        !matches!(self, Op::LoadHistory(_) | Op::Ping | Op::RenewToken)
    }

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
            Op::RenewToken => ClientFrame::RenewToken(Req {
                id,
                params: Empty {},
            }),
        }
    }
}

/// What to restore if the server refuses an optimistic change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "revert", rename_all = "snake_case")]
pub enum Revert {
    Nothing,
    RoomUnread {
        room_id: String,
        unread: u32,
    },
    Notification {
        notification: Box<Notification>,
    },
    AllNotifications {
        items: Vec<Notification>,
        unread: u32,
    },
    FriendRequest {
        request: Box<FriendRequest>,
    },
}

/// A queued or in-flight operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingOp {
    /// The store key of a durable operation (sorts in queue order); `None` for the others.
    #[serde(skip)]
    pub key: Option<String>,
    pub op: Op,
    pub revert: Revert,
}

impl PendingOp {
    /// Rebuilds a queued operation from the store; `None` for a row this build cannot read.
    pub fn restore(row: &StoredOp) -> Option<Self> {
        match serde_json::from_str::<PendingOp>(&row.json) {
            Ok(mut op) => {
                op.key = Some(row.key.clone());
                Some(op)
            }
            Err(e) => {
                tracing::warn!(key = %row.key, error = %e, "dropping a stored operation this build cannot read");
                None
            }
        }
    }
}

impl Engine {
    /// Queues an operation (a newer read mark of the same room replaces a queued one). A durable
    /// one is committed to the store before its frame goes out, like an outbox entry.
    pub(crate) fn queue_op(&mut self, now: Now, op: Op, revert: Revert) {
        if let Some(updated) = self.ops.replace_queued_read_mark(&op) {
            let updated = updated.clone();
            self.store_op(&updated);
            return;
        }
        let key = op.durable().then(|| self.op_key(now));
        let pending = PendingOp { key, op, revert };
        if pending.key.is_some() {
            self.store_op(&pending);
            let changes = std::mem::take(&mut self.changes);
            self.out.push_back(Output::Persist(Box::new(changes)));
        }
        self.ops.push(pending);
        self.flush_sends(now);
    }

    /// A store key that sorts in queue order: wall-clock millis, then a per-run counter.
    fn op_key(&mut self, now: Now) -> String {
        let n = self.ops.next_number();
        let millis = (now.wall.unix_timestamp_nanos() / 1_000_000).max(0);
        format!("{millis:015}.{n:010}")
    }

    /// Writes a durable operation to the store (with the next `Persist`).
    fn store_op(&mut self, pending: &PendingOp) {
        let Some(key) = &pending.key else { return };
        match serde_json::to_string(pending) {
            Ok(json) => self.changes.ops.push(StoredOp {
                key: key.clone(),
                json,
            }),
            Err(e) => tracing::warn!(error = %e, "cannot store an operation; it stays in memory"),
        }
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
        let number = match ReplyTo::of(&id) {
            ReplyTo::Outbox => None,
            ReplyTo::Op(n) => Some(n),
            ReplyTo::Unknown => {
                tracing::debug!(%id, "a reply to no request of ours; ignored");
                return;
            }
        };
        let Some(number) = number else {
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
        };
        let Some(pending) = self.ops.settle(number) else {
            return;
        };
        // Answered either way: it is settled and leaves the store.
        if let Some(key) = &pending.key {
            self.changes.ops_removed.push(key.clone());
        }
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
                        let n = self.model.upsert_notification(
                            ok.notification,
                            now.wall,
                            &mut self.changes,
                        );
                        self.ui.push(UiEvent::NotificationUpserted(Box::new(n)));
                        self.ui.push(UiEvent::NotificationsUnread {
                            count: self.model.notifications_unread,
                        });
                    }
                    Err(e) => self.revert(pending.revert, &e),
                }
            }
            Op::RenewToken => {
                let result = reply
                    .into_result::<RenewTokenOk>()
                    .map_err(|e| format!("{:?}: {}", e.code, e.message));
                self.token_renewed(now, result);
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
            Revert::Notification { notification: n } => {
                let n = self
                    .model
                    .upsert_notification(*n, self.now.wall, &mut self.changes);
                self.ui.push(UiEvent::NotificationUpserted(Box::new(n)));
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
            Revert::FriendRequest { request: f } => {
                self.model
                    .upsert_friend_request((*f).clone(), &mut self.changes);
                self.ui.push(UiEvent::FriendRequestUpserted(f));
            }
        }
    }
}
