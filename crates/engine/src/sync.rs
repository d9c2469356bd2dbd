//! Stream synchronisation: which `hello` to send, and whether an incoming event may be applied.
//!
//! The client's promise is "never miss, never duplicate". It keeps two positions: `applied`
//! (what the in-memory model reflects) and `durable` (what the store has committed). `hello`
//! always resumes from `durable`, so a crash between applying and storing replays the events
//! instead of losing them; an event is applied only when it is exactly the next one, older ones
//! are ignored, and a gap triggers a fresh resume instead of a skip.

use herald_protocol::wire::{Hello, StreamPosition, Welcome, PROTOCOL_VERSION};

/// What to do with an incoming `event` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventVerdict {
    /// `seq == last + 1`: apply it.
    Apply,
    /// Already applied (replay overlap): drop it.
    Ignore,
    /// Something is missing: resume again from the durable position.
    Gap,
}

/// Where the handshake stands on the current socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No socket, or `hello` not answered yet.
    AwaitWelcome,
    /// `welcome {recovered: false}` came: the snapshot follows.
    AwaitSnapshot { epoch: String },
    /// Applying the stream; caught up once `applied.seq >= head`.
    Streaming { head: u64 },
}

/// The sync bookkeeping. See the module docs.
#[derive(Debug)]
pub struct Sync {
    applied: Option<StreamPosition>,
    durable: Option<StreamPosition>,
    phase: Phase,
}

impl Sync {
    pub fn new(durable: Option<StreamPosition>) -> Self {
        Self {
            applied: durable.clone(),
            durable,
            phase: Phase::AwaitWelcome,
        }
    }

    pub fn applied(&self) -> Option<&StreamPosition> {
        self.applied.as_ref()
    }

    pub fn durable(&self) -> Option<&StreamPosition> {
        self.durable.as_ref()
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// A new socket: the `hello` resumes from the last durably stored position.
    pub fn hello(&mut self) -> Hello {
        self.phase = Phase::AwaitWelcome;
        Hello {
            protocol: PROTOCOL_VERSION,
            resume: self.durable.clone(),
        }
    }

    /// The socket went away: wait for the next welcome.
    pub fn reset_phase(&mut self) {
        self.phase = Phase::AwaitWelcome;
    }

    /// Handles `welcome`. Returns true when a snapshot must follow.
    pub fn on_welcome(&mut self, w: &Welcome) -> bool {
        if w.recovered {
            // The replay starts after our durable position; anything applied in memory beyond
            // it is replayed and ignored until durable catches up.
            match &self.applied {
                Some(p) if p.epoch == w.epoch => {}
                _ => {
                    self.applied = Some(StreamPosition {
                        epoch: w.epoch.clone(),
                        seq: 0,
                    })
                }
            }
            self.phase = Phase::Streaming { head: w.seq };
            false
        } else {
            self.phase = Phase::AwaitSnapshot {
                epoch: w.epoch.clone(),
            };
            true
        }
    }

    /// Handles `snapshot`: the model is replaced and the position jumps to `seq`. Returns false
    /// when no snapshot was expected (ignored).
    pub fn on_snapshot(&mut self, seq: u64) -> bool {
        let Phase::AwaitSnapshot { epoch } = &self.phase else {
            return false;
        };
        self.applied = Some(StreamPosition {
            epoch: epoch.clone(),
            seq,
        });
        self.phase = Phase::Streaming { head: seq };
        true
    }

    /// Judges an `event` frame; on [`EventVerdict::Apply`] the applied position advances.
    pub fn on_event(&mut self, seq: u64) -> EventVerdict {
        let Phase::Streaming { head } = &mut self.phase else {
            return EventVerdict::Ignore;
        };
        let Some(applied) = self.applied.as_mut() else {
            return EventVerdict::Gap;
        };
        if seq <= applied.seq {
            EventVerdict::Ignore
        } else if seq == applied.seq + 1 {
            applied.seq = seq;
            if seq > *head {
                *head = seq;
            }
            EventVerdict::Apply
        } else {
            EventVerdict::Gap
        }
    }

    /// Whether the replay (or snapshot) has caught up with the head announced in `welcome`.
    pub fn caught_up(&self) -> bool {
        match (&self.phase, &self.applied) {
            (Phase::Streaming { head }, Some(a)) => a.seq >= *head,
            _ => false,
        }
    }

    /// The store committed everything up to `pos`.
    pub fn persisted(&mut self, pos: StreamPosition) {
        self.durable = Some(pos);
    }

    /// Signed out: forget the position.
    pub fn clear(&mut self) {
        self.applied = None;
        self.durable = None;
        self.phase = Phase::AwaitWelcome;
    }
}
