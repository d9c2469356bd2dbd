//! Keeps the server's large frames (a snapshot, a history page) within a byte budget.
//!
//! Both were bounded only by item counts, and with long texts (100 notifications of 4,000 CJK
//! characters, 44 long messages in one room) a frame passed 1 MiB: the socket's write limit
//! refused it and the session ended with a bare TCP close on every reconnect, locking the user
//! out of their first sync for good. Now the frame drops the items that do not fit and says so
//! the usual way: a history page answers `has_more: true` (the client pages on), and a snapshot
//! carries fewer notifications (the client loads older ones over REST, page by page).

use herald_protocol::wire::{LoadHistoryOk, Message, Notification, Snapshot};

/// The largest snapshot or history reply the server writes. Well under the socket's write
/// limit ([`super::MAX_WRITE_BUFFER`]), so those frames always go out.
pub const FRAME_BUDGET: usize = 512 * 1024;

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map(|v| v.len()).unwrap_or(0)
}

/// Drops the oldest notifications (the end of the list) until the snapshot fits `budget`
/// bytes of JSON; returns how many were dropped.
pub fn fit_snapshot(snapshot: &mut Snapshot, budget: usize) -> usize {
    let mut total = json_len(snapshot);
    let mut dropped = 0;
    while total > budget {
        let Some(last) = snapshot.notifications.items.pop() else {
            break;
        };
        total -= json_len::<Notification>(&last) + 1;
        dropped += 1;
    }
    dropped
}

/// Drops the oldest messages (the front: a page is newest last) until the reply fits `budget`
/// bytes of JSON, marking `has_more`; returns how many were dropped. The newest message of a
/// page is always kept, so paging always makes progress.
pub fn fit_history(page: &mut LoadHistoryOk, budget: usize) -> usize {
    let mut total = json_len(page);
    let mut dropped = 0;
    while total > budget && page.messages.len() > 1 {
        let first = page.messages.remove(0);
        total -= json_len::<Message>(&first) + 1;
        dropped += 1;
    }
    if dropped > 0 {
        page.has_more = true;
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_protocol::wire::{NotificationKind, NotificationSummary, User};
    use time::macros::datetime;

    fn note(i: usize, chars: usize) -> Notification {
        Notification {
            id: format!("n{i}"),
            kind: NotificationKind::SystemAlert,
            title: "t".into(),
            body: "猫".repeat(chars),
            priority: 3,
            link: None,
            meta: Default::default(),
            read: false,
            archived: false,
            snoozed_until: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    fn message(i: usize, chars: usize) -> Message {
        Message {
            id: format!("m{i}"),
            room_id: "r".into(),
            sender: User {
                id: "u".into(),
                name: "U".into(),
            },
            text: "猫".repeat(chars),
            client_msg_id: None,
            reply_to: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
            edited_at: None,
        }
    }

    #[test]
    fn a_snapshot_over_budget_keeps_the_newest_notifications_that_fit() {
        let mut s = Snapshot {
            seq: 1,
            rooms: vec![],
            notifications: NotificationSummary {
                unread: 100,
                items: (0..100).map(|i| note(i, 4000)).collect(),
            },
            friend_requests: vec![],
        };
        let dropped = fit_snapshot(&mut s, FRAME_BUDGET);
        assert!(dropped > 0);
        assert!(json_len(&s) <= FRAME_BUDGET);
        assert_eq!(s.notifications.items[0].id, "n0", "the newest stay");
        assert_eq!(s.notifications.unread, 100, "the count stays true");
    }

    #[test]
    fn a_history_page_over_budget_keeps_the_newest_and_says_there_is_more() {
        let mut page = LoadHistoryOk {
            messages: (0..50).map(|i| message(i, 4000)).collect(),
            has_more: false,
        };
        assert!(fit_history(&mut page, FRAME_BUDGET) > 0);
        assert!(json_len(&page) <= FRAME_BUDGET);
        assert!(page.has_more);
        assert_eq!(page.messages.last().unwrap().id, "m49");
    }

    #[test]
    fn a_single_message_larger_than_the_budget_still_goes_out() {
        let mut page = LoadHistoryOk {
            messages: vec![message(0, 10)],
            has_more: false,
        };
        assert_eq!(fit_history(&mut page, 8), 0);
        assert_eq!(page.messages.len(), 1);
        assert!(!page.has_more);
    }
}
