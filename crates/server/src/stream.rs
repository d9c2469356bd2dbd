//! The per-user ordered event log: positions, resume decisions and retention.
//!
//! Each user has one stream: an `epoch` (a random string fixed when the stream is created) and
//! a gapless `seq` starting at 1. Stores append to it inside the transaction that changes the
//! user's state and hand back [`Committed`] events, which the domain then publishes. A client
//! resumes from a [`StreamPosition`]; [`plan_resume`] decides whether the log can still serve
//! every event after it, or the client needs a snapshot.

use herald_protocol::wire::{Event, EventFrame, StreamPosition};

/// One event appended to one user's stream, as committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub user_id: String,
    pub frame: EventFrame,
}

/// Where a user's stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHead {
    pub epoch: String,
    /// seq of the newest event (0 when empty).
    pub head: u64,
    /// Every event with seq <= `pruned_through` is gone (0 when nothing was pruned).
    pub pruned_through: u64,
}

impl StreamHead {
    pub fn position(&self) -> StreamPosition {
        StreamPosition {
            epoch: self.epoch.clone(),
            seq: self.head,
        }
    }
}

/// What to do with a `hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumePlan {
    /// Send every event in `(after, head]`, in order.
    Replay { after: u64 },
    /// The position is unknown, pruned or from another epoch: send a snapshot.
    Snapshot,
}

/// Decides between replay and snapshot. A resume is served when it names the current epoch and
/// a seq the log still covers: everything after it exists and it is not ahead of the head.
pub fn plan_resume(resume: Option<&StreamPosition>, head: &StreamHead) -> ResumePlan {
    match resume {
        Some(p) if p.epoch == head.epoch && p.seq >= head.pruned_through && p.seq <= head.head => {
            ResumePlan::Replay { after: p.seq }
        }
        _ => ResumePlan::Snapshot,
    }
}

/// A fresh epoch name: unique per stream creation, so a wiped database never looks resumable.
pub fn new_epoch() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Serializes an event for the log.
pub fn encode_event(event: &Event) -> Result<String, serde_json::Error> {
    serde_json::to_string(event)
}

/// Reads an event back from the log; a kind this build does not know stays `Unknown` (it still
/// advances the client's position).
pub fn decode_event(json: &str) -> Event {
    serde_json::from_str(json).unwrap_or(Event::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(epoch: &str, head: u64, pruned: u64) -> StreamHead {
        StreamHead {
            epoch: epoch.into(),
            head,
            pruned_through: pruned,
        }
    }
    fn pos(epoch: &str, seq: u64) -> StreamPosition {
        StreamPosition {
            epoch: epoch.into(),
            seq,
        }
    }

    #[test]
    fn resume_inside_retention_and_same_epoch_replays() {
        assert_eq!(
            plan_resume(Some(&pos("e", 5)), &head("e", 9, 2)),
            ResumePlan::Replay { after: 5 }
        );
        assert_eq!(
            plan_resume(Some(&pos("e", 9)), &head("e", 9, 0)),
            ResumePlan::Replay { after: 9 }
        );
        assert_eq!(
            plan_resume(Some(&pos("e", 2)), &head("e", 9, 2)),
            ResumePlan::Replay { after: 2 }
        );
    }

    #[test]
    fn resume_outside_retention_other_epoch_or_ahead_gets_snapshot() {
        assert_eq!(
            plan_resume(Some(&pos("e", 1)), &head("e", 9, 2)),
            ResumePlan::Snapshot
        );
        assert_eq!(
            plan_resume(Some(&pos("x", 5)), &head("e", 9, 0)),
            ResumePlan::Snapshot
        );
        assert_eq!(
            plan_resume(Some(&pos("e", 10)), &head("e", 9, 0)),
            ResumePlan::Snapshot
        );
        assert_eq!(plan_resume(None, &head("e", 9, 0)), ResumePlan::Snapshot);
    }
}
