//! Benchmark harness (not a timed test): `cargo bench -p herald-engine --bench reconnect_spread`.
//!
//! 1,000 clients connected to one server for a minute; the server restarts (every socket closes
//! at the same instant). When does each client try again? Each client is a real engine on a
//! simulated clock, fed exactly what the driver feeds it; the time of its first `Open` after the
//! close is its reconnect time. Two populations side by side in one run:
//! - seeded from the OS, as the driver does (`rand::random()` per start);
//! - one fixed seed for all, as every install had before the driver seeded from the OS.
//!
//! Each runs twice: the sockets just drop (a crash, a network cut), and the server announces
//! its restart with close 1001. It reports the spread of the reconnect times (min, p50, p99, max) and the peak: the most
//! reconnects the server sees in any 100 ms. Deterministic apart from the OS seeds, so a rerun
//! gives figures within a few percent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use herald_engine::store::{StoredSession, StoredState};
use herald_engine::{Engine, EngineConfig, Now, Output};
use herald_protocol::wire::{NotificationSummary, ServerFrame, Snapshot, User, Welcome};
use time::macros::datetime;

const CLIENTS: usize = 1000;
const STEP: Duration = Duration::from_millis(5);

fn at(t0: Instant, d: Duration) -> Now {
    Now {
        mono: t0 + d,
        wall: datetime!(2026-01-01 12:00 UTC) + d,
    }
}

fn opens(e: &mut Engine) -> bool {
    let mut opened = false;
    while let Some(o) = e.poll_output() {
        if let Output::Open { .. } = o {
            opened = true;
        }
        if let Output::Persist(c) = &o {
            e.persisted(c);
        }
    }
    opened
}

/// One client: connected for 60 s, then the server goes away; returns when it tries again.
fn reconnect_after_restart(seed: u64, close: Option<u16>, t0: Instant) -> Duration {
    let mut cfg = EngineConfig {
        seed,
        ..Default::default()
    };
    // The connection is quiet for the minute; no heartbeat, so nothing but the restart closes it.
    cfg.connection.ping_interval = Duration::from_secs(3600);
    let me = User {
        id: "u".into(),
        name: "u".into(),
    };
    let mut e = Engine::new(cfg, StoredState::default(), at(t0, Duration::ZERO));
    let now = at(t0, Duration::ZERO);
    e.sign_in(
        now,
        StoredSession {
            server_url: "http://127.0.0.1:1".into(),
            user: me.clone(),
            backend: None,
        },
    );
    opens(&mut e);
    e.transport_open(now);
    e.handle_frame(
        now,
        ServerFrame::Welcome(Welcome {
            protocol: 1,
            user: me,
            epoch: "e".into(),
            seq: 0,
            recovered: false,
            token_expires_at: None,
        }),
    );
    e.handle_frame(
        now,
        ServerFrame::Snapshot(Snapshot {
            seq: 0,
            rooms: vec![],
            notifications: NotificationSummary::default(),
            friend_requests: vec![],
        }),
    );
    opens(&mut e);
    assert!(e.is_live());
    let restart = Duration::from_secs(60);
    e.handle_timeout(at(t0, restart));
    opens(&mut e);
    e.transport_closed(at(t0, restart), close);
    let mut t = restart;
    loop {
        if opens(&mut e) {
            return t - restart;
        }
        t += STEP;
        assert!(t < restart + Duration::from_secs(60), "never reconnected");
        if e.poll_timeout().is_some_and(|d| d <= t0 + t) {
            e.handle_timeout(at(t0, t));
        }
    }
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let mut peak = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while times[i] - times[j] >= Duration::from_millis(100) {
            j += 1;
        }
        peak = peak.max(i - j + 1);
    }
    println!(
        "{name:<28} min {:>5} ms  p50 {:>5} ms  p99 {:>5} ms  max {:>5} ms  peak {peak:>4} reconnects in 100 ms",
        q(0.0).as_millis(),
        q(0.5).as_millis(),
        q(0.99).as_millis(),
        q(1.0).as_millis(),
    );
}

fn main() {
    let t0 = Instant::now();
    let fixed_seed = EngineConfig::default().seed;
    for (what, close) in [
        ("the sockets drop (no close frame)", None),
        ("the server announces it (close 1001)", Some(1001)),
    ] {
        println!("{CLIENTS} clients connected 60 s, then {what}: first reconnect attempt");
        let os: Vec<_> = (0..CLIENTS)
            .map(|_| reconnect_after_restart(rand::random(), close, t0))
            .collect();
        let fixed: Vec<_> = (0..CLIENTS)
            .map(|_| reconnect_after_restart(fixed_seed, close, t0))
            .collect();
        report("  seeded from the OS (now)", os);
        report("  one fixed seed (before)", fixed);
    }
}
