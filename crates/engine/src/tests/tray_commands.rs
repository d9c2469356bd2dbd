//! What the tray shows and does is the engine's: the unread total it counts, "mark all as
//! read" as one command, and showing a room as a UI event.

use herald_protocol::ipc::{EngineCommand, UiEvent};
use herald_protocol::wire::{ClientFrame, Event};

use super::{msg, new_message, notif, room, Sim};

fn totals(s: &Sim) -> Vec<u32> {
    s.ui.iter()
        .filter_map(|e| match e {
            UiEvent::UnreadTotal { count } => Some(*count),
            _ => None,
        })
        .collect()
}

#[test]
fn the_unread_total_counts_every_rooms_unread_and_the_bell_and_is_sent_on_change() {
    let mut s = Sim::live(vec![room("r1", "Job #12"), room("r2", "Job #14")]);
    s.ui.clear();
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        new_message(2, msg("m2", "r2", "bob", "two", 2)),
        new_message(3, msg("m3", "r2", "bob", "three", 3)),
        Sim::event(
            4,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
    ]);
    s.advance(std::time::Duration::from_millis(50));
    assert_eq!(
        totals(&s).last(),
        Some(&4),
        "2 rooms (1 + 2) and 1 bell item"
    );
    let sent = totals(&s).len();
    s.command(EngineCommand::SaveDraft {
        room_id: "r1".into(),
        text: "x".into(),
    });
    s.advance(std::time::Duration::from_millis(50));
    assert_eq!(totals(&s).len(), sent, "not sent again while it stays 4");
}

#[test]
fn mark_everything_read_reads_every_room_and_the_bell_in_one_command() {
    let mut s = Sim::live(vec![room("r1", "Job #12"), room("r2", "Job #14")]);
    s.frames(vec![
        new_message(1, msg("m1", "r1", "bob", "one", 1)),
        new_message(2, msg("m2", "r2", "bob", "two", 2)),
        Sim::event(
            3,
            Event::NotificationCreated {
                notification: notif("n1"),
            },
        ),
    ]);
    s.sent.clear();
    s.command(EngineCommand::MarkEverythingRead);
    s.advance(std::time::Duration::from_millis(50));
    assert_eq!(totals(&s).last(), Some(&0));
    let marked: Vec<String> = s
        .sent
        .iter()
        .filter_map(|f| match f {
            ClientFrame::MarkRoomRead(r) => Some(r.params.room_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(marked, vec!["r1".to_owned(), "r2".to_owned()]);
    assert!(s
        .sent
        .iter()
        .any(|f| matches!(f, ClientFrame::MarkAllNotificationsRead(_))));
}

#[test]
fn showing_a_room_is_a_navigate_event_from_the_engine() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.ui.clear();
    s.command(EngineCommand::ShowRoom {
        room_id: "r1".into(),
    });
    s.advance(std::time::Duration::from_millis(50));
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::Navigate { room_id } if room_id == "r1")));
    let now = s.now();
    let missing = s.engine.handle_command(
        now,
        EngineCommand::ShowRoom {
            room_id: "nope".into(),
        },
    );
    assert!(missing.is_err());
}
