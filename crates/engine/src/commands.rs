//! UI commands and the server requests they turn into.
//!
//! Every command answers at once (the engine never waits on the network): sends go to the
//! outbox, read marks and notification actions are applied optimistically and queued as
//! [`Op`]s (see [`super::ops`]), transmitted when the socket is live (re-sent after a reconnect if unanswered), and
//! reconciled with the server's reply — its answer replaces the optimistic state, an error
//! reverts it.

use herald_protocol::ipc::{AppInfo, ErrorCode, Settings, UiCommand, UiError, UiEvent, UiReply};
use herald_protocol::wire::{
    self, ClientFrame, FriendRequestStatus, LoadHistory, Message, Notification, NotificationRef,
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
    /// Handles a UI command. Login, logout, updates and URLs belong to the driver and shell.
    pub fn handle_command(&mut self, now: Now, cmd: UiCommand) -> Result<UiReply, UiError> {
        self.now = now;
        match cmd {
            UiCommand::AppInfo => Ok(UiReply::AppInfo(AppInfo {
                name: "Herald".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                protocol: wire::PROTOCOL_VERSION,
                // Below the desktop shell (herald-cli) there is no tray; the shell answers
                // this command itself with what it found.
                tray: false,
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
            UiCommand::LoadOlderNotifications => self.load_older_notifications(),
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
            UiCommand::MarkEverythingRead => {
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
                    return self.handle_command(now, UiCommand::MarkAllNotificationsRead);
                }
                Ok(UiReply::Ack)
            }
            UiCommand::ShowRoom { room_id } => {
                if !self.model.rooms.contains_key(&room_id) {
                    return Err(not_found("That room"));
                }
                self.ui.push(UiEvent::Navigate { room_id });
                Ok(UiReply::Ack)
            }
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
                    Revert::FriendRequest {
                        request: Box::new(prev),
                    },
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
            | UiCommand::DetectBackend { .. }
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
