//! The per-user ordered event log: positions, resume decisions and retention.
//!
//! Each user has one stream: an `epoch` (a random string fixed when the stream is created) and
//! a gapless `seq` starting at 1. Stores append to it inside the transaction that changes the
//! user's state and hand back [`Committed`] events, which the domain then publishes. A client
//! resumes from a [`StreamPosition`]; [`plan_resume`] decides whether the log can still serve
//! every event after it, or the client needs a snapshot.

use std::fmt::Write as _;
use std::sync::Arc;

use herald_protocol::wire::{Event, EventFrame, StreamPosition};

/// One event appended to one user's stream, as committed.
///
/// An event that reaches many users (a message to a room of 1,000) is one value shared by all
/// of them: `event` and its JSON are reference-counted and serialized once, and only the `seq`
/// differs per user, so fan-out costs one small string per user ([`Committed::frame_text`]),
/// not one serialization per user or per socket.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub user_id: String,
    /// The gapless position of the event in `user_id`'s stream.
    pub seq: u64,
    pub event: Arc<Event>,
    /// `event` as JSON, exactly as stored in the log.
    pub json: Arc<str>,
}

impl Committed {
    /// The event with this user's seq, as the wire type.
    pub fn frame(&self) -> EventFrame {
        EventFrame {
            seq: self.seq,
            event: (*self.event).clone(),
        }
    }

    /// The whole `event` server frame as JSON text: the shared event JSON with this user's seq
    /// spliced in. Byte-identical to serializing `ServerFrame::Event(self.frame())`.
    pub fn frame_text(&self) -> String {
        event_frame_text(self.seq, &self.json)
    }
}

/// `{"type":"event","seq":<seq>,"event":<event_json>}` without re-serializing the event.
pub fn event_frame_text(seq: u64, event_json: &str) -> String {
    let mut s = String::with_capacity(event_json.len() + 48);
    s.push_str(r#"{"type":"event","seq":"#);
    let _ = write!(s, "{seq}");
    s.push_str(r#","event":"#);
    s.push_str(event_json);
    s.push('}');
    s
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
    use herald_protocol::wire::{Message, ServerFrame, User};

    #[test]
    fn spliced_event_frame_equals_the_serde_encoding() {
        let event = Event::MessageCreated {
            message: Message {
                id: "m1".into(),
                room_id: "r1".into(),
                sender: User {
                    id: "u\"1".into(),
                    name: "Ünïcode \u{1F600}".into(),
                },
                text: "quote \" backslash \\ newline \n".into(),
                client_msg_id: Some("c1".into()),
                reply_to: None,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
                edited_at: None,
            },
        };
        let json: Arc<str> = encode_event(&event).unwrap_or_default().into();
        for seq in [1, 42, u64::MAX] {
            let c = Committed {
                user_id: "u".into(),
                seq,
                event: Arc::new(event.clone()),
                json: json.clone(),
            };
            let serde = serde_json::to_string(&ServerFrame::Event(c.frame())).unwrap_or_default();
            assert_eq!(c.frame_text(), serde);
        }
    }

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
