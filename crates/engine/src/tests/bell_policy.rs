//! Which bell items notify: a muted room's items follow the mute, and "mentions only" still
//! lets urgent alerts through.

use herald_protocol::ipc::{EngineCommand, Settings};
use herald_protocol::wire::{Event, Link, NotificationKind};

use super::{notif, room, Sim};

fn notifies(
    settings: Settings,
    kind: NotificationKind,
    priority: u8,
    linked: Option<&str>,
) -> bool {
    let mut s = Sim::live(vec![room("r1", "Job #12"), room("r2", "Job #14")]);
    s.command(EngineCommand::SetSettings { settings });
    let mut n = notif("n1");
    n.kind = kind;
    n.priority = priority;
    n.link = linked.map(|r| Link {
        room_id: Some(r.into()),
        url: None,
    });
    s.frames(vec![Sim::event(
        1,
        Event::NotificationCreated { notification: n },
    )]);
    s.advance(std::time::Duration::from_secs(3));
    !s.notified.is_empty()
}

#[test]
fn a_muted_rooms_bell_items_are_as_quiet_as_its_messages() {
    let muted = Settings {
        muted_rooms: vec!["r1".into()],
        ..Default::default()
    };
    assert!(!notifies(
        muted.clone(),
        NotificationKind::SystemAlert,
        3,
        Some("r1")
    ));
    assert!(notifies(
        muted.clone(),
        NotificationKind::SystemAlert,
        3,
        Some("r2")
    ));
    assert!(notifies(muted, NotificationKind::SystemAlert, 3, None));
}

#[test]
fn mentions_only_still_lets_urgent_alerts_through() {
    let mentions = Settings {
        mentions_only: true,
        ..Default::default()
    };
    assert!(
        !notifies(mentions.clone(), NotificationKind::LowStock, 3, None),
        "routine"
    );
    assert!(
        notifies(mentions.clone(), NotificationKind::OutOfStock, 4, None),
        "urgent"
    );
    assert!(
        notifies(mentions.clone(), NotificationKind::SystemAlert, 5, None),
        "urgent"
    );
    assert!(
        notifies(mentions, NotificationKind::Mention, 3, None),
        "a mention"
    );
}

#[test]
fn a_single_bell_items_notification_carries_its_link_and_a_summary_does_not() {
    let mut s = Sim::live(vec![]);
    let mut n = notif("n1");
    n.link = Some(Link {
        room_id: None,
        url: Some("https://shop.example/orders/881".into()),
    });
    s.frames(vec![Sim::event(
        1,
        Event::NotificationCreated { notification: n },
    )]);
    let first = s.notified.last().cloned().expect("notified");
    assert_eq!(
        first.url.as_deref(),
        Some("https://shop.example/orders/881")
    );
    assert_eq!(first.notification_id.as_deref(), Some("n1"));
    // Two more within the burst window become one summary: "3 new notifications", whose
    // click cannot mean one item
    s.frames(vec![
        Sim::event(
            2,
            Event::NotificationCreated {
                notification: notif("n2"),
            },
        ),
        Sim::event(
            3,
            Event::NotificationCreated {
                notification: notif("n3"),
            },
        ),
    ]);
    s.advance(std::time::Duration::from_secs(5));
    let summary = s.notified.last().cloned().expect("a summary");
    assert!(summary.body.contains("new notifications"), "{summary:?}");
    assert_eq!((summary.url, summary.notification_id), (None, None));
}
