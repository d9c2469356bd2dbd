//! A store that refuses writes (a full disk): nothing received is lost, nothing is sent that
//! was not stored first, and the person is told.

use std::time::Duration;

use herald_protocol::ipc::{EngineCommand, ErrorCode, UiEvent};
use herald_protocol::wire::ClientFrame;

use super::{msg, new_message, ok_send, room, Sim};
use crate::store::Store;

fn send_frames(s: &Sim) -> usize {
    s.sent
        .iter()
        .filter(|f| matches!(f, ClientFrame::SendMessage(_)))
        .count()
}

#[test]
fn a_failed_write_keeps_the_position_behind_until_its_events_are_written() {
    // Given a live connection whose store fills up
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.fail_writes = true;
    // When events 1..=3 arrive, and their write fails
    s.frames(
        (1..=3)
            .map(|i| new_message(i, msg(&format!("m{i}"), "r1", "bob", "x", i as i64)))
            .collect(),
    );
    assert_eq!(s.store.load(10).unwrap().messages.len(), 0);
    // Then the person is told, in the UI and in the view state
    s.advance(Duration::from_millis(100));
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::StorageProblem { error: Some(err) }
        if err.code == ErrorCode::Storage && err.message.contains("No space left"))));
    assert!(s.engine.view_state().storage_problem.is_some());
    // When space comes back and event 4 arrives before the retry
    s.fail_writes = false;
    s.frames(vec![new_message(4, msg("m4", "r1", "bob", "y", 4))]);
    assert_eq!(
        s.store.load(10).unwrap().messages.len(),
        0,
        "nothing is written before the retry is due"
    );
    assert_ne!(s.engine.position().1.map(|p| p.seq), Some(4));
    // Then the retry writes events 1..=4 together and only then is 4 the durable position
    s.advance(Duration::from_secs(2));
    let st = s.store.load(10).unwrap();
    assert_eq!(
        st.messages.len(),
        4,
        "the failed batch was written, not skipped"
    );
    assert_eq!(st.position.map(|p| p.seq), Some(4));
    assert_eq!(s.engine.position().1.map(|p| p.seq), Some(4));
    assert!(s
        .ui
        .iter()
        .any(|e| matches!(e, UiEvent::StorageProblem { error: None })));
    assert!(s.engine.view_state().storage_problem.is_none());
}

#[test]
fn after_a_failed_write_and_a_restart_the_unwritten_events_are_asked_for_again() {
    // Given events 1..=2 stored, then 3..=5 whose write failed
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.frames(
        (1..=2)
            .map(|i| new_message(i, msg(&format!("m{i}"), "r1", "bob", "x", i as i64)))
            .collect(),
    );
    s.fail_writes = true;
    s.frames(
        (3..=5)
            .map(|i| new_message(i, msg(&format!("m{i}"), "r1", "bob", "x", i as i64)))
            .collect(),
    );
    // When the app quits before the store recovers, and starts again
    let mut restarted = Sim::with_store(s.store.clone(), Default::default());
    restarted.open();
    // Then it resumes from 2, the last position written with its events: 3..=5 are replayed
    assert_eq!(restarted.last_hello_resume().map(|p| p.seq), Some(2));
}

#[test]
fn a_message_is_not_sent_until_its_outbox_row_is_written() {
    // Given a live connection and a store that refuses writes
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.fail_writes = true;
    // When the person sends a message
    s.command(EngineCommand::SendMessage {
        room_id: "r1".into(),
        text: "hello".into(),
        reply_to: None,
    });
    s.advance(Duration::from_millis(500));
    // Then it is not transmitted: a restart could forget it was ever sent
    assert_eq!(send_frames(&s), 0, "{:?}", s.sent);
    assert_eq!(
        s.engine.outbox_len(),
        1,
        "it waits in the outbox (in memory)"
    );
    // When the store writes again
    s.fail_writes = false;
    s.advance(Duration::from_secs(3));
    // Then the row is stored first, then it goes out once, and its reply settles it
    let stored = s.store.load(1).unwrap().outbox;
    assert_eq!(stored.len(), 1);
    assert_eq!(send_frames(&s), 1, "{:?}", s.sent);
    let ClientFrame::SendMessage(r) = s
        .sent
        .iter()
        .find(|f| matches!(f, ClientFrame::SendMessage(_)))
        .unwrap()
        .clone()
    else {
        unreachable!()
    };
    assert_eq!(r.params.client_msg_id, stored[0].client_msg_id);
    s.frame(ok_send(&r.id, &r.params.client_msg_id, "m9"));
    s.advance(Duration::from_millis(100));
    assert_eq!(s.engine.outbox_len(), 0);
    assert!(s.store.load(1).unwrap().outbox.is_empty());
}

#[test]
fn a_write_that_keeps_failing_is_retried_with_growing_pauses_not_in_a_loop() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    let before = s.store.transactions;
    s.fail_writes = true;
    s.frames(vec![new_message(1, msg("m1", "r1", "bob", "x", 1))]);
    let failed = |s: &Sim| {
        s.ui.iter()
            .filter(|e| matches!(e, UiEvent::StorageProblem { error: Some(_) }))
            .count()
    };
    // Over 40 s: retries after 1, 2, 4, 8, 16 s (and then every 30 s), not thousands
    s.advance(Duration::from_secs(40));
    let attempts = failed(&s);
    assert!((4..=7).contains(&attempts), "{attempts} attempts");
    assert_eq!(s.store.transactions, before);
}
