//! The queue of optimistic operations across a dropped socket: what was in flight goes out
//! again, once each, in the order it was first sent.

use std::time::Duration;

use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::{ClientFrame, Event};

use super::{notif, room, Sim};

fn marked_read(frames: &[ClientFrame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match f {
            ClientFrame::MarkNotificationRead(r) => Some(r.params.notification_id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn operations_in_flight_when_the_socket_drops_are_resent_in_the_order_they_were_sent() {
    // Given a live session with twelve bell items, each marked read (twelve requests in
    // flight: enough that their ids cross a digit boundary, r9 -> r10)
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    let ids: Vec<String> = (1..=12).map(|i| format!("n{i:02}")).collect();
    s.frames(
        ids.iter()
            .zip(1u64..)
            .map(|(id, seq)| {
                Sim::event(
                    seq,
                    Event::NotificationCreated {
                        notification: notif(id),
                    },
                )
            })
            .collect(),
    );
    for id in &ids {
        s.command(EngineCommand::MarkNotificationRead {
            notification_id: id.clone(),
        });
    }
    assert_eq!(marked_read(&s.sent), ids, "sent at once, in order");
    // When the socket drops before any answer and comes back
    let now = s.now();
    s.engine.transport_closed(now, None);
    s.drain();
    let before = s.sent.len();
    s.advance(Duration::from_secs(30));
    assert!(s.opens >= 2, "the engine reconnects");
    s.open();
    s.welcome("e1", 12, true);
    // Then every one goes out again, once, in the order the person gave them
    assert_eq!(marked_read(&s.sent[before..]), ids);
}
