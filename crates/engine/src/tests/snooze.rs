//! Snoozed bell items are hidden and uncounted until their time, then come back unread with a
//! native notification, also when the time came while Herald was closed.

use std::time::Duration;

use herald_protocol::ipc::{EngineCommand, UiEvent};
use herald_protocol::wire::{ClientFrame, Event, NotificationOk, Reply, ServerFrame};

use super::{notif, Sim};
use crate::EngineConfig;

const TEN_MINUTES: Duration = Duration::from_secs(600);

/// A live engine with one unread bell item, `n1`, snoozed for ten minutes and the server's
/// answer applied.
fn snoozed() -> Sim {
    let mut s = Sim::live(vec![]);
    s.frames(vec![Sim::event(
        1,
        Event::NotificationCreated {
            notification: notif("n1"),
        },
    )]);
    s.advance(Duration::from_secs(3));
    assert_eq!(s.notified.len(), 1);
    assert_eq!(s.engine.model().notifications_unread, 1);
    let until = s.now().wall + TEN_MINUTES;
    s.command(EngineCommand::SnoozeNotification {
        notification_id: "n1".into(),
        until,
    });
    let id = s
        .sent
        .iter()
        .rev()
        .find_map(|f| match f {
            ClientFrame::SnoozeNotification(r) => Some(r.id.clone()),
            _ => None,
        })
        .expect("the snooze went out");
    let mut answered = notif("n1");
    answered.snoozed_until = Some(until);
    s.frame(ServerFrame::Reply(Reply::ok(
        &id,
        &NotificationOk {
            notification: answered,
        },
    )));
    s
}

fn last_unread(s: &Sim) -> Option<u32> {
    s.ui.iter().rev().find_map(|e| match e {
        UiEvent::NotificationsUnread { count } => Some(*count),
        _ => None,
    })
}

#[test]
fn a_snoozed_item_is_uncounted_until_its_time_then_back_unread_with_a_native_notification() {
    let mut s = snoozed();
    assert_eq!(
        s.engine.model().notifications_unread,
        0,
        "hidden, so uncounted"
    );
    assert_eq!(last_unread(&s), Some(0), "the bell and the tray show 0");

    s.advance(TEN_MINUTES - Duration::from_secs(30));
    assert_eq!(s.engine.model().notifications_unread, 0);
    assert_eq!(s.notified.len(), 1, "nothing before its time");

    s.ui.clear();
    s.advance(Duration::from_secs(40));
    assert_eq!(s.engine.model().notifications_unread, 1, "counted again");
    assert_eq!(last_unread(&s), Some(1));
    assert_eq!(s.notified.len(), 2, "announced again: {:?}", s.notified);
    let back = s.ui.iter().find_map(|e| match e {
        UiEvent::NotificationUpserted(n) if n.id == "n1" => Some(n.clone()),
        _ => None,
    });
    let back = back.expect("the UI is told it is back");
    assert!(!back.read && back.snoozed_until.is_none(), "{back:?}");

    s.advance(Duration::from_secs(120));
    assert_eq!(s.notified.len(), 2, "announced once");
    assert_eq!(s.engine.model().notifications_unread, 1);
}

#[test]
fn a_snoozed_item_read_elsewhere_comes_back_read_and_silent() {
    let mut s = snoozed();
    let mut read = notif("n1");
    read.read = true;
    read.snoozed_until = s.engine.model().notifications["n1"].snoozed_until;
    s.frames(vec![Sim::event(
        2,
        Event::NotificationUpdated { notification: read },
    )]);
    s.advance(TEN_MINUTES + Duration::from_secs(10));
    assert_eq!(s.engine.model().notifications_unread, 0);
    assert_eq!(s.notified.len(), 1, "a read item is not announced again");
}

#[test]
fn a_snooze_that_ended_while_herald_was_closed_comes_back_at_the_next_start() {
    // given an item snoozed for ten minutes, and Herald quit
    let s = snoozed();
    let store = s.store.clone();
    drop(s);

    // when it starts again an hour later
    let s2 = Sim::with_store_after(store, EngineConfig::default(), Duration::from_secs(3600));

    // then the item is back unread and announced, once
    assert_eq!(s2.engine.model().notifications_unread, 1);
    assert_eq!(s2.notified.len(), 1, "{:?}", s2.notified);
    let store = s2.store.clone();
    drop(s2);
    let s3 = Sim::with_store_after(store, EngineConfig::default(), Duration::from_secs(7200));
    assert_eq!(s3.engine.model().notifications_unread, 1);
    assert!(s3.notified.is_empty(), "not again on the start after");
}

#[test]
fn a_snooze_still_running_at_the_next_start_keeps_the_item_hidden_until_its_time() {
    let s = snoozed();
    let store = s.store.clone();
    drop(s);
    let mut s2 = Sim::with_store_after(store, EngineConfig::default(), Duration::from_secs(60));
    assert_eq!(s2.engine.model().notifications_unread, 0);
    assert!(s2.notified.is_empty());
    s2.advance(TEN_MINUTES);
    assert_eq!(s2.engine.model().notifications_unread, 1);
    assert_eq!(s2.notified.len(), 1);
}
