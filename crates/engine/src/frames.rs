//! Applying what the server sends: `welcome`, `snapshot`, the ordered `event` stream (with the
//! gap and duplicate rules of [`super::sync`]), typing notices and replies. Each applied change
//! updates the model, queues its store writes in [`Changes`] (with the position it covers) and
//! the UI events it produces, and asks the notification policy whether to alert.

use herald_protocol::ipc::{DisconnectReason, Settings, UiEvent};
use herald_protocol::wire::{Event, EventFrame, Message, ServerFrame, Snapshot, User};
use herald_protocol::Timestamp;

use super::connection::ConnState;
use super::policy::{Alert, PolicyContext};
use super::reducer::chat_message;
use super::sync::EventVerdict;
use super::{Engine, Now, Output};
use crate::store::Changes;

impl Engine {
    /// A text frame arrived; undecodable text is logged and skipped (forward compatible).
    pub fn handle_text(&mut self, now: Now, text: &str) {
        match serde_json::from_str::<ServerFrame>(text) {
            Ok(frame) => self.handle_frame(now, frame),
            Err(e) => {
                self.tick(now);
                self.conn.heard(now);
                tracing::warn!(error = %e, "undecodable server frame skipped");
            }
        }
    }

    /// A decoded server frame arrived.
    pub fn handle_frame(&mut self, now: Now, frame: ServerFrame) {
        self.tick(now);
        self.conn.heard(now);
        if !self.conn.socket_open() {
            return;
        }
        match frame {
            ServerFrame::Welcome(w) => {
                if let Some(s) = self.session.as_mut() {
                    if s.user != w.user {
                        s.user = w.user.clone();
                        self.changes.session = Some(Some(s.clone()));
                    }
                }
                self.model.me = Some(w.user.clone());
                if let Some(expires_at) = w.token_expires_at {
                    self.plan_token_renewal(now, expires_at);
                }
                self.sync.on_welcome(&w);
                self.check_caught_up(now);
            }
            ServerFrame::Snapshot(s) => self.apply_snapshot(now, s),
            ServerFrame::Event(ev) => self.apply_event_frame(now, ev),
            ServerFrame::Typing(t) => {
                let me = self
                    .model
                    .me
                    .as_ref()
                    .map(|u| u.id == t.user.id)
                    .unwrap_or(false);
                if !me
                    && self
                        .model
                        .set_typing(now.mono, &t.room_id, &t.user, t.typing)
                {
                    self.push_room(&t.room_id);
                }
            }
            ServerFrame::Reply(r) => self.handle_reply(now, r),
            ServerFrame::Error(e) => {
                tracing::warn!(code = ?e.code, message = %e.message, "server error frame")
            }
            ServerFrame::Unknown => {}
        }
    }

    fn apply_snapshot(&mut self, now: Now, s: Snapshot) {
        if !self.sync.on_snapshot(s.seq) {
            return;
        }
        self.model.clear_server_state();
        self.changes = Changes {
            session: self.changes.session.take(),
            ..Default::default()
        };
        self.changes.reset_server_state = true;
        for r in s.rooms {
            self.model.upsert_room(r, &mut self.changes);
        }
        for mut n in s.notifications.items {
            // A snooze already over is no snooze (see `Model::upsert_notification`); the server's
            // count already includes the item.
            if n.snoozed_until.is_some_and(|t| t <= now.wall) {
                n.snoozed_until = None;
            }
            self.model.notifications.insert(n.id.clone(), n.clone());
            self.changes.notifications.push(n);
        }
        self.model.notifications_unread = s.notifications.unread;
        self.changes.notifications_unread = Some(s.notifications.unread);
        for f in s.friend_requests {
            self.model.upsert_friend_request(f, &mut self.changes);
        }
        self.changes.position = self.sync.applied().cloned();
        self.ui.push(UiEvent::Reset(Box::new(self.view_state())));
        self.check_caught_up(now);
    }

    fn apply_event_frame(&mut self, now: Now, ev: EventFrame) {
        match self.sync.on_event(ev.seq) {
            EventVerdict::Ignore => return,
            EventVerdict::Gap => {
                tracing::info!(seq = ev.seq, "gap in the stream: resuming again");
                let actions = self.conn.fail(now, DisconnectReason::TransportClosed, true);
                self.after_disconnect();
                self.run_conn(actions);
                return;
            }
            EventVerdict::Apply => {}
        }
        self.apply_event(now, ev.event);
        self.changes.position = self.sync.applied().cloned();
        self.check_caught_up(now);
    }

    fn apply_event(&mut self, now: Now, event: Event) {
        match event {
            Event::MessageCreated { message } => self.on_message(now, message),
            Event::RoomCreated { room } | Event::RoomUpdated { room } => {
                let id = room.id.clone();
                self.model.upsert_room(room, &mut self.changes);
                self.push_room(&id);
            }
            Event::RoomRead(r) => {
                self.model
                    .set_unread(&r.room_id, r.unread_count, &mut self.changes);
                if r.unread_count == 0 && self.policy.room_opened(&r.room_id) {
                    self.ui.push(UiEvent::ToastsWithdrawn {
                        room_id: r.room_id.clone(),
                    });
                }
                self.push_room(&r.room_id);
            }
            Event::NotificationCreated { notification }
            | Event::NotificationUpdated { notification } => {
                let mut alerts = Vec::new();
                let mut keys = Vec::new();
                let ctx = policy_ctx(
                    self.model.me.as_ref(),
                    &self.settings,
                    self.active_room.as_deref(),
                    self.focused,
                    now.wall,
                );
                self.policy
                    .on_notification(now.mono, &notification, &ctx, &mut keys, &mut alerts);
                self.changes.notified.extend(keys);
                let notification =
                    self.model
                        .upsert_notification(notification, now.wall, &mut self.changes);
                self.ui
                    .push(UiEvent::NotificationUpserted(Box::new(notification)));
                self.ui.push(UiEvent::NotificationsUnread {
                    count: self.model.notifications_unread,
                });
                self.emit_alerts(alerts);
            }
            Event::NotificationsReadAll {} => {
                self.model.read_all_notifications(&mut self.changes);
                self.ui.push(UiEvent::NotificationsReadAll);
                self.ui.push(UiEvent::NotificationsUnread { count: 0 });
            }
            Event::FriendRequestCreated { request } | Event::FriendRequestUpdated { request } => {
                self.model
                    .upsert_friend_request(request.clone(), &mut self.changes);
                self.ui
                    .push(UiEvent::FriendRequestUpserted(Box::new(request)));
            }
            Event::Unknown => {}
        }
    }

    fn on_message(&mut self, now: Now, message: Message) {
        let own = self
            .model
            .me
            .as_ref()
            .map(|u| u.id == message.sender.id)
            .unwrap_or(false);
        if own {
            if let Some(c) = &message.client_msg_id {
                if self.outbox.confirmed_by_event(c) {
                    self.changes.outbox_removed.push(c.clone());
                }
            }
        }
        let looking = self.focused && self.active_room.as_deref() == Some(message.room_id.as_str());
        if !self.model.add_message(&message, looking, &mut self.changes) {
            return;
        }
        if looking && !own {
            self.ops.defer_read_mark(&message.room_id);
        }
        let mut alerts = Vec::new();
        let mut keys = Vec::new();
        let ctx = policy_ctx(
            self.model.me.as_ref(),
            &self.settings,
            self.active_room.as_deref(),
            self.focused,
            now.wall,
        );
        let room = self.model.rooms.get(&message.room_id).map(|r| &r.room);
        self.policy
            .on_message(now.mono, &message, room, &ctx, &mut keys, &mut alerts);
        self.changes.notified.extend(keys);
        let cm = chat_message(&message, self.model.me.as_ref());
        self.ui.push(UiEvent::MessagesUpserted {
            room_id: message.room_id.clone(),
            messages: vec![cm],
        });
        self.push_room(&message.room_id);
        self.emit_alerts(alerts);
    }

    pub(crate) fn emit_alerts(&mut self, alerts: Vec<Alert>) {
        for a in alerts {
            self.ui.push(UiEvent::Toast(Box::new(a.toast)));
            if let Some(n) = a.native {
                self.deferred.push(Output::Notify(n));
            }
        }
    }

    fn check_caught_up(&mut self, now: Now) {
        if matches!(self.conn.state(), ConnState::Connecting { open: true, .. })
            && self.sync.caught_up()
        {
            self.conn.synced(now);
            self.push_status();
            self.flush_sends(now);
        }
    }
}

/// The policy's view of the engine, built from disjoint fields so the policy can be borrowed
/// mutably at the same time.
pub(crate) fn policy_ctx<'a>(
    me: Option<&'a User>,
    settings: &'a Settings,
    active_room: Option<&'a str>,
    focused: bool,
    wall: Timestamp,
) -> PolicyContext<'a> {
    PolicyContext {
        me: me.map(|u| u.id.as_str()),
        my_name: me.map(|u| u.name.as_str()),
        active_room,
        focused,
        settings,
        local: wall,
    }
}
