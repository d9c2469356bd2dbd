//! The client's own heartbeat: a server that never pings is not declared dead every
//! ping + grace; one that pings is never pinged back.

use std::time::Duration;

use herald_protocol::wire::{ClientFrame, Empty, Reply, ServerFrame};

use super::{msg, new_message, room, Sim};

fn pings(s: &Sim) -> Vec<String> {
    s.sent
        .iter()
        .filter_map(|f| match f {
            ClientFrame::Ping(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_quiet_server_that_answers_pings_keeps_its_socket() {
    // Given a live socket to a server that sends nothing on its own (default: ping 25 s,
    // grace 10 s)
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    // When it stays silent for a ping interval, one ping goes out, not one per tick
    s.advance(Duration::from_secs(25) + Duration::from_millis(200));
    let sent = pings(&s);
    assert_eq!(sent.len(), 1, "{:?}", s.sent);
    s.advance(Duration::from_secs(5));
    assert_eq!(pings(&s).len(), 1, "one ping per silence");
    // And the server's answer keeps the socket: over two minutes, each answered, never closed
    for _ in 0..4 {
        let id = pings(&s).last().cloned().unwrap();
        s.frame(ServerFrame::Reply(Reply::ok(&id, &Empty {})));
        s.advance(Duration::from_secs(30));
    }
    assert!(s.closes.is_empty(), "{:?}", s.closes);
    assert_eq!(s.opens, 1);
    assert_eq!(pings(&s).len(), 5);
}

#[test]
fn a_server_that_is_heard_often_is_never_pinged() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    for i in 1..=12 {
        s.advance(Duration::from_secs(10));
        s.frames(vec![new_message(
            i,
            msg(&format!("m{i}"), "r1", "bob", "x", i as i64),
        )]);
    }
    assert!(pings(&s).is_empty(), "{:?}", pings(&s));
}

#[test]
fn an_unanswered_heartbeat_still_ends_in_a_reconnect_after_ping_plus_grace() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    s.advance(Duration::from_secs(36));
    assert_eq!(pings(&s).len(), 1);
    assert_eq!(s.closes.len(), 1, "a half-open socket is still replaced");
}
