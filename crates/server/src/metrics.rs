//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! Plain atomics, no metrics framework: a handful of numbers an operator needs to see whether
//! sockets connect, events flow, resumes succeed and slow clients get dropped.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The server's counters. Shared by every session and handler.
#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_open: AtomicI64,
    pub connections_total: AtomicU64,
    pub events_committed: AtomicU64,
    pub events_delivered: AtomicU64,
    pub replays: AtomicU64,
    pub snapshots: AtomicU64,
    pub slow_consumer_drops: AtomicU64,
    pub liveness_drops: AtomicU64,
    pub bad_frames: AtomicU64,
}

fn inc(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    pub fn add(&self, counter: &AtomicU64, n: u64) {
        inc(counter, n);
    }

    /// Renders every counter in the Prometheus exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let rows: [(&str, &str, &str, String); 9] = [
            (
                "herald_connections_open",
                "gauge",
                "WebSocket sessions open now",
                self.connections_open.load(Ordering::Relaxed).to_string(),
            ),
            (
                "herald_connections_total",
                "counter",
                "WebSocket sessions accepted",
                g(&self.connections_total).to_string(),
            ),
            (
                "herald_events_committed_total",
                "counter",
                "stream events committed",
                g(&self.events_committed).to_string(),
            ),
            (
                "herald_events_delivered_total",
                "counter",
                "event frames written to sockets",
                g(&self.events_delivered).to_string(),
            ),
            (
                "herald_replays_total",
                "counter",
                "hellos answered with recovered=true",
                g(&self.replays).to_string(),
            ),
            (
                "herald_snapshots_total",
                "counter",
                "hellos answered with a snapshot",
                g(&self.snapshots).to_string(),
            ),
            (
                "herald_slow_consumer_drops_total",
                "counter",
                "sockets closed with 4008",
                g(&self.slow_consumer_drops).to_string(),
            ),
            (
                "herald_liveness_drops_total",
                "counter",
                "sockets dropped for silence",
                g(&self.liveness_drops).to_string(),
            ),
            (
                "herald_bad_frames_total",
                "counter",
                "frames answered with an error",
                g(&self.bad_frames).to_string(),
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}
