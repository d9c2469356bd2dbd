//! The connection state machine: when to open a socket, when to give up on one, and why.
//!
//! It is pure bookkeeping over time values handed in by the caller, so every schedule (backoff
//! with full jitter, connect timeout, liveness, sleep detection) is testable on a simulated
//! clock. It never opens anything itself: it answers "what should happen now" with
//! [`ConnAction`]s, and "when must I be called again" with [`Connection::poll_timeout`].

use std::time::{Duration, Instant};

use herald_protocol::ipc::{ConnStatus, DisconnectReason};
use herald_protocol::wire::close_code;

use super::Now;

/// Timings of the connection; the defaults follow docs/protocol.md §13 (liveness) and §9
/// (recovery).
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Smallest reconnect delay.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// A connection that lived this long resets the backoff.
    pub stable_after: Duration,
    /// Give up on an attempt that has not been welcomed after this long.
    pub connect_timeout: Duration,
    /// The server's ping interval.
    pub ping_interval: Duration,
    /// Extra silence tolerated past the ping interval before the socket counts as dead.
    pub liveness_grace: Duration,
    /// A wall-clock jump this much larger than the monotonic clock means the machine slept.
    pub sleep_jump: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(20),
            stable_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(herald_protocol::wire::DEFAULT_PING_INTERVAL_SECS),
            liveness_grace: Duration::from_secs(herald_protocol::wire::LIVENESS_GRACE_SECS),
            sleep_jump: Duration::from_secs(30),
        }
    }
}

/// A tiny deterministic PRNG (SplitMix64): the engine takes its randomness as a seed so tests
/// can replay every jittered schedule exactly.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi]` (milliseconds resolution).
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let lo_ms = lo.as_millis() as u64;
        let hi_ms = (hi.as_millis() as u64).max(lo_ms);
        let span = hi_ms - lo_ms + 1;
        Duration::from_millis(lo_ms + self.next_u64() % span)
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Not signed in, or stopped: nothing to do until [`Connection::start`].
    Idle,
    /// Waiting for the backoff to pass.
    Waiting {
        retry_at: Instant,
        reason: DisconnectReason,
    },
    /// A socket is being opened, or is open and waiting for `welcome` (and the catch-up).
    Connecting {
        attempt: u32,
        deadline: Instant,
        open: bool,
    },
    /// Welcomed and caught up.
    Connected { since: Instant },
    /// Stopped for good: logout or a refused token. Needs a new sign-in.
    Closed { reason: DisconnectReason },
}

/// What the connection asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnAction {
    /// Open a socket (attempt number, from 1).
    Open { attempt: u32 },
    /// Close the current socket (if any).
    Close { reason: DisconnectReason },
}

/// The state machine. See the module docs.
#[derive(Debug)]
pub struct Connection {
    cfg: ConnectionConfig,
    state: ConnState,
    /// Consecutive failed attempts since the last stable connection.
    failures: u32,
    attempts: u32,
    last_heard: Option<Instant>,
    /// The `last_heard` a heartbeat was sent for: one ping per silence, not one per tick.
    pinged_for: Option<Instant>,
    last_now: Option<Now>,
    rng: Rng,
}

impl Connection {
    pub fn new(cfg: ConnectionConfig, seed: u64) -> Self {
        Self {
            cfg,
            state: ConnState::Idle,
            failures: 0,
            attempts: 0,
            last_heard: None,
            pinged_for: None,
            last_now: None,
            rng: Rng::new(seed),
        }
    }

    pub fn state(&self) -> &ConnState {
        &self.state
    }

    pub fn config(&self) -> &ConnectionConfig {
        &self.cfg
    }

    /// Whether a socket is open (welcomed or not).
    pub fn socket_open(&self) -> bool {
        matches!(
            self.state,
            ConnState::Connecting { open: true, .. } | ConnState::Connected { .. }
        )
    }

    /// The pill's view of the state.
    pub fn status(&self, now: Now) -> ConnStatus {
        match &self.state {
            ConnState::Idle => ConnStatus::SignedOut,
            ConnState::Closed {
                reason: DisconnectReason::Logout,
            } => ConnStatus::SignedOut,
            ConnState::Closed { reason } => ConnStatus::Offline { reason: *reason },
            ConnState::Connecting { attempt, .. } => ConnStatus::Connecting { attempt: *attempt },
            ConnState::Connected { .. } => ConnStatus::Connected,
            ConnState::Waiting { retry_at, reason } => ConnStatus::Reconnecting {
                retry_at: now.wall + retry_at.saturating_duration_since(now.mono),
                reason: *reason,
            },
        }
    }

    /// Signed in: connect right away.
    pub fn start(&mut self, now: Now) -> Vec<ConnAction> {
        self.failures = 0;
        self.open(now)
    }

    /// Logout: close and stay closed.
    pub fn stop(&mut self, reason: DisconnectReason) -> Vec<ConnAction> {
        let was_open = !matches!(self.state, ConnState::Idle | ConnState::Closed { .. });
        self.state = ConnState::Closed { reason };
        if was_open {
            vec![ConnAction::Close { reason }]
        } else {
            Vec::new()
        }
    }

    fn open(&mut self, now: Now) -> Vec<ConnAction> {
        self.attempts += 1;
        self.state = ConnState::Connecting {
            attempt: self.attempts,
            deadline: now.mono + self.cfg.connect_timeout,
            open: false,
        };
        self.last_heard = None;
        vec![ConnAction::Open {
            attempt: self.attempts,
        }]
    }

    /// The reconnect delay for the current failure count: uniform in `[min, cap]`, where the cap
    /// is `2 × min` on the first failure and doubles per consecutive failure up to `backoff_max`
    /// (full jitter with a floor). Even the first retry is spread: with a cap of `min` every
    /// client of a restarted server came back at the same instant (measured by
    /// `benches/reconnect_spread.rs`). A server that announces its restart (close 1001) is
    /// given at least `8 × min` (4 s by default): it is down for a while anyway, and the wider
    /// window is what spreads its whole population.
    pub fn backoff_delay(&mut self, reason: DisconnectReason) -> Duration {
        let mut exp = self.failures.saturating_add(1).min(16);
        if reason == DisconnectReason::ServerRestart {
            exp = exp.max(3);
        }
        let cap = self
            .cfg
            .backoff_min
            .saturating_mul(1u32 << exp)
            .min(self.cfg.backoff_max);
        self.rng.between(self.cfg.backoff_min, cap)
    }

    /// The socket is open (the upgrade succeeded); `hello` goes out now.
    pub fn transport_open(&mut self, now: Now) {
        self.observe(now);
        if let ConnState::Connecting { open, .. } = &mut self.state {
            *open = true;
            self.last_heard = Some(now.mono);
        }
    }

    /// Welcomed and caught up with the stream: live.
    pub fn synced(&mut self, now: Now) {
        if matches!(self.state, ConnState::Connecting { open: true, .. }) {
            self.state = ConnState::Connected { since: now.mono };
            self.attempts = 0;
            self.last_heard = Some(now.mono);
        }
    }

    /// Anything arrived on the socket (a frame, a ping, a pong).
    pub fn heard(&mut self, now: Now) {
        if self.socket_open() {
            self.last_heard = Some(now.mono);
        }
    }

    /// The socket closed or failed; `code` is the close code if the server sent one (the driver
    /// passes `Some(4001)` for a 401 answer to the upgrade, so both mean "sign in again").
    pub fn transport_closed(&mut self, now: Now, code: Option<u16>) -> Vec<ConnAction> {
        if matches!(
            self.state,
            ConnState::Idle | ConnState::Closed { .. } | ConnState::Waiting { .. }
        ) {
            return Vec::new();
        }
        let reason = match code {
            Some(close_code::UNAUTHORIZED) => DisconnectReason::Unauthorized,
            Some(close_code::TOO_SLOW) => DisconnectReason::TooSlow,
            Some(close_code::PROTOCOL_VIOLATION) => DisconnectReason::ProtocolViolation,
            Some(close_code::GOING_AWAY) => DisconnectReason::ServerRestart,
            _ => DisconnectReason::TransportClosed,
        };
        self.fail(now, reason, false)
    }

    /// Ends the current attempt or connection for `reason` and schedules the next one.
    /// `immediate` skips the backoff (gap resync, machine woke up, "retry now").
    pub fn fail(&mut self, now: Now, reason: DisconnectReason, immediate: bool) -> Vec<ConnAction> {
        let mut actions = Vec::new();
        if matches!(self.state, ConnState::Idle | ConnState::Closed { .. }) {
            return actions;
        }
        if matches!(
            self.state,
            ConnState::Connecting { .. } | ConnState::Connected { .. }
        ) {
            actions.push(ConnAction::Close { reason });
        }
        if reason == DisconnectReason::Unauthorized {
            self.state = ConnState::Closed { reason };
            return actions;
        }
        if let ConnState::Connected { since } = self.state {
            if now.mono.saturating_duration_since(since) >= self.cfg.stable_after {
                self.failures = 0;
            }
        }
        let delay = if immediate || reason == DisconnectReason::TooSlow {
            Duration::ZERO
        } else {
            let d = self.backoff_delay(reason);
            self.failures = self.failures.saturating_add(1);
            d
        };
        if delay.is_zero() {
            actions.extend(self.open(now));
        } else {
            self.state = ConnState::Waiting {
                retry_at: now.mono + delay,
                reason,
            };
        }
        actions
    }

    /// "Retry now", OS resume, network change: skip the wait.
    pub fn retry_now(&mut self, now: Now, reason: DisconnectReason) -> Vec<ConnAction> {
        match self.state {
            ConnState::Waiting { .. } => self.open(now),
            ConnState::Connecting { .. } | ConnState::Connected { .. } => {
                self.fail(now, reason, true)
            }
            ConnState::Idle | ConnState::Closed { .. } => Vec::new(),
        }
    }

    /// Notes a time input and detects a sleep: the wall clock moved much further than the
    /// monotonic one. Returns true when the machine slept.
    pub fn observe(&mut self, now: Now) -> bool {
        let slept = match self.last_now {
            Some(prev) => {
                let mono = now.mono.saturating_duration_since(prev.mono);
                let wall = now.wall - prev.wall;
                let wall = Duration::try_from(wall).unwrap_or(Duration::ZERO);
                wall > mono + self.cfg.sleep_jump
            }
            None => false,
        };
        self.last_now = Some(now);
        slept
    }

    /// Time passed: fires the backoff, the connect timeout and the liveness check.
    pub fn handle_timeout(&mut self, now: Now) -> Vec<ConnAction> {
        if self.observe(now) && !matches!(self.state, ConnState::Idle | ConnState::Closed { .. }) {
            return self.retry_now(now, DisconnectReason::Resumed);
        }
        match self.state.clone() {
            ConnState::Waiting { retry_at, .. } if now.mono >= retry_at => self.open(now),
            ConnState::Connecting { deadline, .. } if now.mono >= deadline => {
                self.fail(now, DisconnectReason::ConnectTimeout, false)
            }
            ConnState::Connected { .. } => match self.liveness_deadline() {
                Some(d) if now.mono >= d => self.fail(now, DisconnectReason::NoPing, true),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The client's own heartbeat: when nothing was heard for a ping interval on a live
    /// socket, one application `ping` is due (the reply is heard). A server that pings on its
    /// own never lets this fire; one that does not is kept alive by it, instead of being
    /// declared dead every ping + grace.
    pub fn take_heartbeat(&mut self, now: Now) -> bool {
        match (self.heartbeat_at(), self.last_heard) {
            (Some(at), Some(heard)) if now.mono >= at => {
                self.pinged_for = Some(heard);
                true
            }
            _ => false,
        }
    }

    fn heartbeat_at(&self) -> Option<Instant> {
        match (&self.state, self.last_heard) {
            (ConnState::Connected { .. }, Some(heard)) if self.pinged_for != Some(heard) => {
                Some(heard + self.cfg.ping_interval)
            }
            _ => None,
        }
    }

    fn liveness_deadline(&self) -> Option<Instant> {
        self.last_heard
            .map(|h| h + self.cfg.ping_interval + self.cfg.liveness_grace)
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            ConnState::Waiting { retry_at, .. } => Some(*retry_at),
            ConnState::Connecting { deadline, .. } => Some(*deadline),
            ConnState::Connected { .. } => match (self.liveness_deadline(), self.heartbeat_at()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            _ => None,
        }
    }
}
