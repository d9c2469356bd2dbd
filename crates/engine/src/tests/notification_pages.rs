//! Older notifications page by page (REST through the driver), on the simulated clock.

use herald_protocol::ipc::{EngineCommand, ErrorCode, UiError, UiEvent};
use herald_protocol::wire::{Notification, NotificationSummary, Page, ServerFrame, Snapshot};

use super::{notif, Sim};
use crate::store::Store;

fn notif_at(id: &str, minutes_ago: i64, read: bool) -> Notification {
    let mut n = notif(id);
    n.created_at -= time::Duration::minutes(minutes_ago);
    n.read = read;
    n
}

/// Live, with a snapshot holding `items` and `unread` as the server's count.
fn live_with(items: Vec<Notification>, unread: u32) -> Sim {
    let mut s = Sim::new();
    s.sign_in();
    s.open();
    s.welcome("e1", 0, false);
    s.frame(ServerFrame::Snapshot(Snapshot {
        seq: 0,
        rooms: vec![],
        notifications: NotificationSummary { unread, items },
        friend_requests: vec![],
    }));
    s
}

fn page(s: &mut Sim, items: Vec<Notification>, has_more: bool) {
    let (now, request) = (s.now(), s.last_fetch);
    s.engine
        .notifications_page(now, request, Ok(Page { items, has_more }));
    s.advance(std::time::Duration::from_millis(100));
}

/// The `NotificationsLoaded` events the UI got (after the frame interval flushed them).
fn loaded(s: &mut Sim) -> Vec<(Vec<String>, bool, Option<ErrorCode>)> {
    s.advance(std::time::Duration::from_millis(100));
    s.ui.iter()
        .filter_map(|e| match e {
            UiEvent::NotificationsLoaded {
                notifications,
                has_more,
                error,
            } => Some((
                notifications.iter().map(|n| n.id.clone()).collect(),
                *has_more,
                error.as_ref().map(|e| e.code),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn scrolling_to_the_end_pages_back_with_the_servers_cursor_until_it_has_no_more() {
    // given the snapshot's two newest notifications, 1 unread by the server's count
    let mut s = live_with(vec![notif_at("n9", 1, false), notif_at("n8", 2, true)], 3);
    assert!(s.engine.view_state().notifications_has_more);

    // when the page asks for older ones: the first request starts at the newest
    s.command(EngineCommand::LoadOlderNotifications);
    assert_eq!(s.fetches, vec![(None, 50)]);
    // a second scroll while it is under way sends nothing more
    s.command(EngineCommand::LoadOlderNotifications);
    assert_eq!(s.fetches.len(), 1);

    // then a page with known and older (some archived, some unread) items adds only the new
    let mut archived = notif_at("n5", 5, true);
    archived.archived = true;
    page(
        &mut s,
        vec![
            notif_at("n9", 1, false),
            notif_at("n8", 2, true),
            notif_at("n6", 4, false),
            archived,
        ],
        true,
    );
    assert_eq!(
        loaded(&mut s),
        vec![(vec!["n6".to_owned(), "n5".to_owned()], true, None)]
    );
    // the unread count stays the server's (n6 was already in it)
    assert_eq!(s.engine.model().notifications_unread, 3);
    assert_eq!(s.engine.model().notifications.len(), 4);
    // and what arrived is cached for the next start
    assert_eq!(s.store.load(50).unwrap().notifications.len(), 4);

    // the next request continues after the last item of that page
    s.command(EngineCommand::LoadOlderNotifications);
    assert_eq!(s.fetches[1], (Some("n5".to_owned()), 50));
    page(&mut s, vec![notif_at("n1", 9, false)], false);
    assert!(!s.engine.view_state().notifications_has_more);

    // and once the server has no more, asking again answers at once without a request
    s.ui.clear();
    s.command(EngineCommand::LoadOlderNotifications);
    assert_eq!(s.fetches.len(), 2);
    assert_eq!(loaded(&mut s), vec![(vec![], false, None)]);
}

#[test]
fn a_known_notification_in_a_page_does_not_undo_a_newer_local_change() {
    // given n1 unread, then read here (optimistically, the reply not yet in)
    let mut s = live_with(vec![notif_at("n1", 1, false)], 1);
    s.command(EngineCommand::MarkNotificationRead {
        notification_id: "n1".into(),
    });
    assert!(s.engine.model().notifications["n1"].read);
    // when a page fetched earlier still has it unread
    s.command(EngineCommand::LoadOlderNotifications);
    page(&mut s, vec![notif_at("n1", 1, false)], false);
    // then the local state stands
    assert!(s.engine.model().notifications["n1"].read);
    assert_eq!(s.engine.model().notifications_unread, 0);
}

#[test]
fn offline_or_failed_pages_keep_the_cache_and_say_why() {
    // given a cached notification and no connection
    let mut s = live_with(vec![notif_at("n1", 1, false)], 1);
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    s.ui.clear();
    // when the page asks for more: no request, an offline answer
    s.command(EngineCommand::LoadOlderNotifications);
    assert!(s.fetches.is_empty());
    assert_eq!(
        loaded(&mut s),
        vec![(vec![], true, Some(ErrorCode::ServerUnreachable))]
    );

    // given a live connection whose request fails
    let mut s = live_with(vec![notif_at("n1", 1, false)], 1);
    s.command(EngineCommand::LoadOlderNotifications);
    s.ui.clear();
    let (now, request) = (s.now(), s.last_fetch);
    s.engine.notifications_page(
        now,
        request,
        Err(UiError::new(ErrorCode::ServerUnreachable, "unreachable")),
    );
    s.drain();
    // then the error reaches the UI, nothing is lost, and a retry asks again
    assert_eq!(
        loaded(&mut s),
        vec![(vec![], true, Some(ErrorCode::ServerUnreachable))]
    );
    assert_eq!(s.engine.model().notifications.len(), 1);
    s.command(EngineCommand::LoadOlderNotifications);
    assert_eq!(s.fetches, vec![(None, 50), (None, 50)]);
}

#[test]
fn a_page_asked_for_before_signing_out_never_reaches_the_next_session() {
    // given a request under way when alice signs out and signs in again
    let mut s = live_with(vec![notif_at("n1", 1, false)], 1);
    s.command(EngineCommand::LoadOlderNotifications);
    let stale = s.last_fetch;
    let now = s.now();
    s.engine.sign_out(now);
    s.drain();
    s.sign_in();
    s.open();
    s.welcome("e2", 0, false);
    s.frame(ServerFrame::Snapshot(Snapshot {
        seq: 0,
        rooms: vec![],
        notifications: NotificationSummary::default(),
        friend_requests: vec![],
    }));
    s.command(EngineCommand::LoadOlderNotifications);
    assert_ne!(s.last_fetch, stale);
    // when the old answer arrives
    let now = s.now();
    s.engine.notifications_page(
        now,
        stale,
        Ok(Page {
            items: vec![notif_at("old-session", 5, false)],
            has_more: false,
        }),
    );
    s.drain();
    // then it is dropped and the new request is still awaited
    assert!(!s.engine.model().notifications.contains_key("old-session"));
    assert_eq!(
        s.engine.model().notification_pages.loading,
        Some(s.last_fetch)
    );
}

#[test]
fn signing_out_forgets_how_far_the_pages_went() {
    let mut s = live_with(vec![notif_at("n1", 1, false)], 1);
    s.command(EngineCommand::LoadOlderNotifications);
    page(&mut s, vec![notif_at("n1", 1, false)], false);
    assert!(!s.engine.view_state().notifications_has_more);
    let now = s.now();
    s.engine.sign_out(now);
    s.drain();
    assert!(s.engine.view_state().notifications_has_more);
}
