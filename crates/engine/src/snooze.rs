//! Snoozed bell items: hidden and left out of the unread count until their time, then back
//! unread with a native notification, as if they had just arrived.
//!
//! The server sends nothing when a snooze ends (docs/protocol.md, "snooze_notification"): every
//! client knows `snoozed_until` and keeps the timer itself. The model holds only running
//! snoozes (an ended one is dropped on upsert), so a snooze that ended while Herald was closed
//! is still in the stored model at the next start and comes back then.

use std::time::Instant;

use herald_protocol::ipc::UiEvent;

use super::frames::policy_ctx;
use super::{Engine, Now};

impl Engine {
    /// Brings back every bell item whose snooze is over at `now`.
    pub(crate) fn end_snoozes(&mut self, now: Now) {
        let back = self.model.end_snoozes(now.wall, &mut self.changes);
        if back.is_empty() {
            return;
        }
        let ctx = policy_ctx(
            self.model.me.as_ref(),
            &self.settings,
            self.active_room.as_deref(),
            self.focused,
            now.wall,
        );
        let mut keys = Vec::new();
        let mut alerts = Vec::new();
        for (n, until) in &back {
            self.policy
                .on_snooze_ended(now.mono, n, *until, &ctx, &mut keys, &mut alerts);
        }
        self.changes.notified.extend(keys);
        for (n, _) in back {
            self.ui.push(UiEvent::NotificationUpserted(Box::new(n)));
        }
        self.ui.push(UiEvent::NotificationsUnread {
            count: self.model.notifications_unread,
        });
        self.emit_alerts(alerts);
    }

    /// When the next snooze ends, on the monotonic clock (the wall-clock distance from the last
    /// input; a sleep that skips past it is caught by the next timeout, which checks the wall).
    pub(crate) fn snooze_deadline(&self) -> Option<Instant> {
        let until = self.model.next_snooze_end()?;
        let left = (until - self.now.wall).max(time::Duration::ZERO);
        let left = std::time::Duration::try_from(left).unwrap_or_default();
        Some(self.now.mono + left)
    }
}
