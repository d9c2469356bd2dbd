//! Renewing the session's token on the live socket, so a client left running for weeks stays
//! signed in (see `token_renewal.rs`).

use std::time::Duration;

use herald_protocol::wire::{
    ClientFrame, ErrorCode as WireCode, RenewTokenOk, Reply, ServerFrame, Welcome,
};

use super::{room, user, Sim};

/// Signed in and live, with a welcome saying the token expires in `ttl`.
fn live_with_token_expiring_in(ttl: Duration) -> Sim {
    let mut s = Sim::new();
    s.sign_in();
    s.open();
    let expires = s.now().wall + ttl;
    s.frame(ServerFrame::Welcome(Welcome {
        protocol: 1,
        user: user("alice"),
        epoch: "e1".into(),
        seq: 0,
        recovered: false,
        token_expires_at: Some(expires),
    }));
    s.snapshot(0, vec![room("r1", "Job #12")]);
    assert!(s.engine.is_live());
    s
}

/// Advances second by second, the server's pings keeping the socket alive.
fn run_for(s: &mut Sim, d: Duration) {
    for _ in 0..d.as_secs() {
        s.advance(Duration::from_secs(1));
        let now = s.now();
        s.engine.heard(now);
    }
}

fn renewals(s: &Sim) -> Vec<String> {
    s.sent
        .iter()
        .filter_map(|f| match f {
            ClientFrame::RenewToken(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_token_is_renewed_at_half_its_remaining_life_and_the_new_one_handed_over() {
    let mut s = live_with_token_expiring_in(Duration::from_secs(120));
    run_for(&mut s, Duration::from_secs(58));
    assert!(renewals(&s).is_empty(), "not before half the lifetime");
    run_for(&mut s, Duration::from_secs(3));
    let asked = renewals(&s);
    assert_eq!(asked.len(), 1, "once, at half the lifetime");
    let expires_at = s.now().wall + Duration::from_secs(120);
    s.frame(ServerFrame::Reply(Reply::ok(
        asked[0].clone(),
        &RenewTokenOk {
            token: "t2".into(),
            expires_at,
        },
    )));
    assert_eq!(s.renewed, ["t2"], "the driver gets the new token");
    // The next renewal is planned from the new expiry: half of its 120 s.
    run_for(&mut s, Duration::from_secs(58));
    assert_eq!(renewals(&s).len(), 1);
    run_for(&mut s, Duration::from_secs(3));
    assert_eq!(renewals(&s).len(), 2);
}

#[test]
fn a_refused_renewal_is_tried_again_a_minute_later_while_the_token_lasts() {
    let mut s = live_with_token_expiring_in(Duration::from_secs(600));
    run_for(&mut s, Duration::from_secs(301));
    let asked = renewals(&s);
    assert_eq!(asked.len(), 1);
    s.frame(ServerFrame::Reply(Reply::error(
        asked[0].clone(),
        WireCode::Internal,
        "try later",
    )));
    assert!(s.renewed.is_empty());
    run_for(&mut s, Duration::from_secs(55));
    assert_eq!(renewals(&s).len(), 1, "not at once");
    run_for(&mut s, Duration::from_secs(6));
    assert_eq!(renewals(&s).len(), 2, "a minute later");
}

#[test]
fn a_server_that_announces_no_expiry_is_never_asked_to_renew() {
    let mut s = Sim::live(vec![room("r1", "Job #12")]);
    run_for(&mut s, Duration::from_secs(300));
    assert!(renewals(&s).is_empty());
}

#[test]
fn a_session_that_ends_while_herald_is_hidden_says_so_in_a_native_notification() {
    let mut s = live_with_token_expiring_in(Duration::from_secs(600));
    let now = s.now();
    s.engine.set_focus(now, false);
    s.drain();
    let now = s.now();
    s.engine
        .transport_closed(now, Some(herald_protocol::wire::close_code::UNAUTHORIZED));
    s.drain();
    assert!(
        s.notified.iter().any(|n| n
            .body
            .contains("Sign in again to keep receiving notifications")),
        "{:?}",
        s.notified
    );
}

#[test]
fn a_session_that_ends_in_front_of_the_person_shows_only_the_sign_in_form() {
    let mut s = live_with_token_expiring_in(Duration::from_secs(600));
    let now = s.now();
    s.engine
        .transport_closed(now, Some(herald_protocol::wire::close_code::UNAUTHORIZED));
    s.drain();
    assert!(s.notified.iter().all(|n| n.id != "session-ended"));
}
