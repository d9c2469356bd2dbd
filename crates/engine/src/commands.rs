//! UI commands and the server requests they turn into.
//!
//! Every command answers at once (the engine never waits on the network): sends go to the
//! outbox, read marks and notification actions are applied optimistically and queued as
//! [`Op`]s (see [`super::ops`]), transmitted when the socket is live (re-sent after a reconnect if unanswered), and
//! reconciled with the server's reply — its answer replaces the optimistic state, an error
//! reverts it.

use herald_protocol::ipc::{EngineCommand, ErrorCode, Settings, UiError, UiEvent, UiReply};
use herald_protocol::wire::{
    ClientFrame, FriendRequestStatus, LoadHistory, Message, Notification, NotificationRef,
    RespondFriendRequest, SnoozeNotification, TypingUpdate, MAX_MESSAGE_CHARS,
};
use herald_protocol::Timestamp;

use super::ops::{Op, Revert};
use super::outbox::echo;
use super::reducer::chat_message;
use super::{Engine, Now, Output};
use crate::store::OutboxEntry;

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
    /// Handles a UI command that is the engine's (the driver answers [`SessionCommand`]s, the
    /// desktop shell [`ShellCommand`]s; the type keeps them from arriving here).
    ///
    /// [`SessionCommand`]: herald_protocol::ipc::SessionCommand
    /// [`ShellCommand`]: herald_protocol::ipc::ShellCommand
    pub fn handle_command(&mut self, now: Now, cmd: EngineCommand) -> Result<UiReply, UiError> {
        self.now = now;
        match cmd {
            EngineCommand::GetViewState => Ok(UiReply::ViewState(Box::new(self.view_state()))),
            EngineCommand::OpenRoom { room_id } => {
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
            EngineCommand::CloseRoom => {
                self.active_room = None;
                self.ui.push(UiEvent::ActiveRoom { room_id: None });
                Ok(UiReply::Ack)
            }
            EngineCommand::SendMessage {
                room_id,
                text,
                reply_to,
            } => self
                .send_message(now, room_id, text, reply_to)
                .map(|_| UiReply::Ack),
            EngineCommand::RetrySend { key } => {
                let entry = self
                    .outbox
                    .retry(&key)
                    .ok_or_else(|| not_found("That message"))?;
                self.persist_now_with_entry(entry);
                self.flush_sends(now);
                Ok(UiReply::Ack)
            }
            EngineCommand::DiscardSend { key } => {
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
            EngineCommand::LoadOlder { room_id } => {
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
            EngineCommand::LoadOlderNotifications => self.load_older_notifications(),
            EngineCommand::MarkRoomRead { room_id } => {
                if !self.model.rooms.contains_key(&room_id) {
                    return Err(not_found("That room"));
                }
                self.read_room_locally(&room_id);
                Ok(UiReply::Ack)
            }
            EngineCommand::MarkNotificationRead { notification_id } => self.notification_action(
                now,
                &notification_id,
                |n| n.read = true,
                |id| {
                    Op::MarkNotificationRead(NotificationRef {
                        notification_id: id,
                    })
                },
            ),
            EngineCommand::ArchiveNotification { notification_id } => self.notification_action(
                now,
                &notification_id,
                |n| n.archived = true,
                |id| {
                    Op::Archive(NotificationRef {
                        notification_id: id,
                    })
                },
            ),
            EngineCommand::SnoozeNotification {
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
            EngineCommand::MarkEverythingRead => {
                let rooms: Vec<String> = self
                    .model
                    .rooms
                    .iter()
                    .filter(|(_, r)| r.room.unread_count > 0)
                    .map(|(id, _)| id.clone())
                    .collect();
                for room in rooms {
                    self.read_room_locally(&room);
                }
                if self.model.notifications_unread > 0 {
                    return self.handle_command(now, EngineCommand::MarkAllNotificationsRead);
                }
                Ok(UiReply::Ack)
            }
            EngineCommand::ShowRoom { room_id } => {
                if !self.model.rooms.contains_key(&room_id) {
                    return Err(not_found("That room"));
                }
                self.ui.push(UiEvent::Navigate { room_id });
                Ok(UiReply::Ack)
            }
            EngineCommand::MarkAllNotificationsRead => {
                let items: Vec<Notification> = self.model.notifications.values().cloned().collect();
                let unread = self.model.notifications_unread;
                self.model.read_all_notifications(&mut self.changes);
                self.ui.push(UiEvent::NotificationsReadAll);
                self.ui.push(UiEvent::NotificationsUnread { count: 0 });
                self.queue_op(now, Op::MarkAll, Revert::AllNotifications { items, unread });
                Ok(UiReply::Ack)
            }
            EngineCommand::RespondFriendRequest { request_id, accept } => {
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
                    Revert::FriendRequest {
                        request: Box::new(prev),
                    },
                );
                Ok(UiReply::Ack)
            }
            EngineCommand::SetTyping { room_id, typing } => {
                if self.is_live() {
                    self.out
                        .push_back(Output::Send(ClientFrame::Typing(TypingUpdate {
                            room_id,
                            typing,
                        })));
                }
                Ok(UiReply::Ack)
            }
            EngineCommand::SaveDraft { room_id, text } => {
                if text.is_empty() {
                    self.model.drafts.remove(&room_id);
                } else {
                    self.model.drafts.insert(room_id.clone(), text.clone());
                }
                self.changes.drafts.push((room_id.clone(), text));
                self.push_room(&room_id);
                Ok(UiReply::Ack)
            }
            EngineCommand::GetSettings => Ok(UiReply::Settings(self.settings.clone())),
            EngineCommand::SetSettings { settings } => {
                self.set_settings(settings);
                Ok(UiReply::Ack)
            }
            EngineCommand::SetRoomMuted { room_id, muted } => {
                let mut s = self.settings.clone();
                s.muted_rooms.retain(|r| r != &room_id);
                if muted {
                    s.muted_rooms.push(room_id);
                }
                self.set_settings(s);
                Ok(UiReply::Ack)
            }
            EngineCommand::RetryConnectionNow => {
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
            EngineCommand::DismissToast { toast_id } => {
                self.policy.dismissed(&toast_id);
                Ok(UiReply::Ack)
            }
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

    pub(crate) fn merge_history(&mut self, room_id: &str, messages: Vec<Message>) {
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
        let next = self
            .model
            .upsert_notification(next, now.wall, &mut self.changes);
        self.ui.push(UiEvent::NotificationUpserted(Box::new(next)));
        self.ui.push(UiEvent::NotificationsUnread {
            count: self.model.notifications_unread,
        });
        self.queue_op(
            now,
            op(id.to_owned()),
            Revert::Notification {
                notification: Box::new(prev),
            },
        );
        Ok(UiReply::Ack)
    }
}
