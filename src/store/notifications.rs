//! The bell: notifications newest first and the unread count the core computed.

use herald_protocol::ipc::UiEvent;
use herald_protocol::wire::{Notification, NotificationKind};
use herald_protocol::Timestamp;
use yewdux::Store;

#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct NotificationsState {
    pub items: Vec<Notification>,
    pub unread: u32,
    /// Older notifications may exist beyond `items` (the page keeps loading as it scrolls).
    pub has_more: bool,
    /// A page is under way (spinner at the end of the list).
    pub loading: bool,
    /// Why the last page failed, for the retry line.
    pub error: Option<String>,
}

/// The notifications page's first filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Unread,
    Archived,
}

/// Whether a notification is hidden by its snooze at `now`.
pub fn snoozed(n: &Notification, now: Timestamp) -> bool {
    n.snoozed_until.is_some_and(|t| t > now)
}

impl NotificationsState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Reset(v) => {
                self.items = v.notifications.clone();
                self.items.sort_by_key(|n| std::cmp::Reverse(n.created_at));
                self.unread = v.notifications_unread;
                self.has_more = v.notifications_has_more;
                self.loading = false;
                self.error = None;
            }
            UiEvent::NotificationUpserted(n) => self.upsert(n),
            UiEvent::NotificationsLoaded {
                notifications,
                has_more,
                error,
            } => {
                for n in notifications {
                    self.upsert(n);
                }
                self.has_more = *has_more;
                self.loading = false;
                self.error = error.as_ref().map(|e| e.message.clone());
            }
            UiEvent::NotificationsReadAll => {
                for n in &mut self.items {
                    n.read = true;
                }
            }
            UiEvent::NotificationsUnread { count } => self.unread = *count,
            _ => {}
        }
        self
    }

    /// The page asked for older notifications (spinner until `NotificationsLoaded`).
    pub fn start_loading(mut self) -> Self {
        self.loading = true;
        self.error = None;
        self
    }

    /// Replaces a known notification, or inserts a new one at its place (newest first).
    fn upsert(&mut self, n: &Notification) {
        match self.items.iter_mut().find(|x| x.id == n.id) {
            Some(x) => *x = n.clone(),
            None => {
                let at = self.items.partition_point(|x| x.created_at > n.created_at);
                self.items.insert(at, n.clone());
            }
        }
    }

    /// The bell popover: the most recent `n` that are neither archived nor snoozed.
    pub fn recent(&self, n: usize, now: Timestamp) -> Vec<Notification> {
        self.items
            .iter()
            .filter(|x| !x.archived && !snoozed(x, now))
            .take(n)
            .cloned()
            .collect()
    }

    /// The notifications page: by filter and optionally by kind.
    pub fn filtered(
        &self,
        filter: Filter,
        kind: Option<&NotificationKind>,
        now: Timestamp,
    ) -> Vec<Notification> {
        self.items
            .iter()
            .filter(|x| match filter {
                Filter::All => !x.archived && !snoozed(x, now),
                Filter::Unread => !x.archived && !x.read && !snoozed(x, now),
                Filter::Archived => x.archived,
            })
            .filter(|x| kind.is_none_or(|k| &x.kind == k))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;

    fn ids(v: &[Notification]) -> Vec<&str> {
        v.iter().map(|n| n.id.as_str()).collect()
    }

    #[test]
    fn notification_events() {
        let base = NotificationsState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        let mut read = notification("n4", NotificationKind::LowStock, "Low stock", 600);
        read.read = true;
        let cases: Vec<(&str, UiEvent, Vec<&str>, u32, usize)> = vec![
            (
                "reset",
                UiEvent::NotificationsReadAll,
                vec!["n5", "n4", "n3", "n2", "n1", "n0"],
                5,
                0,
            ),
            (
                "new one goes first",
                UiEvent::NotificationUpserted(Box::new(notification(
                    "n6",
                    NotificationKind::SaleCompleted,
                    "Sale",
                    1,
                ))),
                vec!["n6", "n5", "n4", "n3", "n2", "n1", "n0"],
                5,
                6,
            ),
            (
                "updated in place",
                UiEvent::NotificationUpserted(Box::new(read)),
                vec!["n5", "n4", "n3", "n2", "n1", "n0"],
                5,
                4,
            ),
            (
                "count from core",
                UiEvent::NotificationsUnread { count: 120 },
                vec!["n5", "n4", "n3", "n2", "n1", "n0"],
                120,
                5,
            ),
        ];
        for (name, ev, order, unread, unread_items) in cases {
            let s = base.clone().apply(&ev);
            assert_eq!(ids(&s.items), order, "{name}");
            assert_eq!(s.unread, unread, "{name}");
            if name != "reset" {
                assert_eq!(
                    s.items.iter().filter(|n| !n.read).count(),
                    unread_items,
                    "{name}"
                );
            }
        }
        let all_read = base.apply(&UiEvent::NotificationsReadAll);
        assert!(all_read.items.iter().all(|n| n.read));
    }

    #[test]
    fn a_loaded_page_merges_older_items_in_order_and_ends_the_spinner() {
        let base = NotificationsState::default()
            .apply(&UiEvent::Reset(Box::new(view_state())))
            .start_loading();
        assert!(base.loading && base.has_more);
        let older = notification("n-old", NotificationKind::SystemAlert, "Old", 10_000_000);
        let known = base.items[0].clone();
        let cases: Vec<(&str, UiEvent, usize, bool, Option<&str>)> = vec![
            (
                "older page",
                UiEvent::NotificationsLoaded {
                    notifications: vec![older, known],
                    has_more: true,
                    error: None,
                },
                7,
                true,
                None,
            ),
            (
                "last page",
                UiEvent::NotificationsLoaded {
                    notifications: vec![],
                    has_more: false,
                    error: None,
                },
                6,
                false,
                None,
            ),
            (
                "failed page",
                UiEvent::NotificationsLoaded {
                    notifications: vec![],
                    has_more: true,
                    error: Some(herald_protocol::ipc::UiError::new(
                        herald_protocol::ipc::ErrorCode::ServerUnreachable,
                        "Offline",
                    )),
                },
                6,
                true,
                Some("Offline"),
            ),
        ];
        for (name, ev, len, has_more, error) in cases {
            let s = base.clone().apply(&ev);
            assert_eq!(s.items.len(), len, "{name}");
            assert!(!s.loading, "{name}");
            assert_eq!(s.has_more, has_more, "{name}");
            assert_eq!(s.error.as_deref(), error, "{name}");
            assert!(
                s.items
                    .windows(2)
                    .all(|w| w[0].created_at >= w[1].created_at),
                "{name}: newest first"
            );
        }
        let merged = base.apply(&UiEvent::NotificationsLoaded {
            notifications: vec![notification(
                "n-old",
                NotificationKind::SystemAlert,
                "Old",
                10_000_000,
            )],
            has_more: true,
            error: None,
        });
        assert_eq!(merged.items.last().map(|n| n.id.as_str()), Some("n-old"));
    }

    #[test]
    fn filters_hide_archived_and_snoozed() {
        let now = at(0);
        let mut s = NotificationsState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        s.items[1].archived = true; // n4
        s.items[3].snoozed_until = Some(at(-3_600)); // n2, snoozed for an hour
        s.items[4].snoozed_until = Some(at(60)); // n1, snooze over
        assert_eq!(ids(&s.recent(5, now)), vec!["n5", "n3", "n1", "n0"]);
        assert_eq!(
            ids(&s.filtered(Filter::Unread, None, now)),
            vec!["n5", "n1", "n0"]
        );
        assert_eq!(ids(&s.filtered(Filter::Archived, None, now)), vec!["n4"]);
        assert_eq!(
            ids(&s.filtered(Filter::All, Some(&NotificationKind::Mention), now)),
            vec!["n5"]
        );
    }
}
