//! What the engine does when the store refuses a write (disk full, a read-only or corrupt
//! file), so that "applied" never passes "stored" and "stored before sent" stays true.
//!
//! The driver reports a failed [`Output::Persist`] with [`Engine::persist_failed`]. The engine:
//! - keeps the failed change set and writes it again, together with whatever came after, as
//!   one batch ([`Changes::then`]): the stream position only becomes durable with the rows it
//!   covers, so a restart resumes from before anything unstored and the server replays it;
//! - takes back the sends queued behind the failed write (an outbox message or a durable
//!   operation whose row was in it) and sends no new ones until a write succeeds: nothing goes
//!   to the server that a restart could forget having sent;
//! - retries after 1, 2, 4 … 30 s, and tells the UI (`UiEvent::StorageProblem`) until a write
//!   goes through.

use std::time::{Duration, Instant};

use herald_protocol::ipc::{ErrorCode, UiError, UiEvent};
use herald_protocol::wire::ClientFrame;

use super::op_queue::ReplyTo;
use super::{Engine, Now, Output};
use crate::store::Changes;

/// The state while the store is refusing writes.
#[derive(Debug, Clone)]
pub(crate) struct StoreFailure {
    retry_at: Instant,
    failures: u32,
    reason: String,
}

impl StoreFailure {
    fn delay(failures: u32) -> Duration {
        Duration::from_secs((1u64 << failures.saturating_sub(1).min(5)).min(30))
    }
}

/// What the person reads while writes fail.
fn problem(reason: &str) -> UiError {
    UiError::new(
        ErrorCode::Storage,
        format!(
            "Herald can't write to its cache ({reason}). Is the disk full? Nothing is lost: Herald keeps trying, and holds back sending until it can write."
        ),
    )
}

impl Engine {
    /// The store did not commit `changes` (the driver's `Persist` failed with `reason`).
    pub fn persist_failed(&mut self, now: Now, changes: Changes, reason: &str) {
        self.tick(now);
        let failures = self.store_failure.as_ref().map_or(0, |f| f.failures) + 1;
        self.store_failure = Some(StoreFailure {
            retry_at: now.mono + StoreFailure::delay(failures),
            failures,
            reason: reason.to_owned(),
        });
        self.take_back_sends(&changes);
        let later = std::mem::take(&mut self.changes);
        self.changes = changes.then(later);
        tracing::warn!(failures, %reason, "the store refused a write; retrying");
        self.ui.push(UiEvent::StorageProblem {
            error: Some(problem(reason)),
        });
    }

    /// Whether the store is refusing writes (sends are held back meanwhile).
    pub fn store_failing(&self) -> bool {
        self.store_failure.is_some()
    }

    /// The problem the UI shows while writes fail.
    pub(crate) fn storage_problem(&self) -> Option<UiError> {
        self.store_failure.as_ref().map(|f| problem(&f.reason))
    }

    /// A cache read failed: say so, and read from the server instead when connected.
    pub fn cached_page_failed(&mut self, now: Now, room_id: &str, limit: u32, reason: &str) {
        tracing::error!(%reason, room = %room_id, "reading cached messages failed");
        self.cached_page(now, room_id, Vec::new(), limit);
        if !self.is_live() {
            self.ui.push(UiEvent::HistoryLoaded {
                room_id: room_id.to_owned(),
                has_more: true,
                error: Some(UiError::new(
                    ErrorCode::Storage,
                    format!("Herald can't read its cache ({reason}); older messages load from the server once connected."),
                )),
            });
        }
    }

    /// A write went through after failures: the held-back sends go.
    pub(crate) fn store_recovered(&mut self) {
        if self.store_failure.take().is_some() {
            tracing::info!("the store writes again");
            self.ui.push(UiEvent::StorageProblem { error: None });
            let now = self.now;
            self.flush_sends(now);
        }
    }

    /// Whether accumulated changes may be written now (not before a failed write's retry).
    pub(crate) fn persist_due(&self) -> bool {
        self.store_failure
            .as_ref()
            .is_none_or(|f| self.now.mono >= f.retry_at)
    }

    /// When a failed write is retried.
    pub(crate) fn persist_retry_at(&self) -> Option<Instant> {
        self.store_failure.as_ref().map(|f| f.retry_at)
    }

    /// Removes the queued frames that transmit rows of `changes` (they must not go out
    /// unstored) and puts what they send back in line.
    fn take_back_sends(&mut self, changes: &Changes) {
        let unstored_sends: Vec<&str> = changes
            .outbox
            .iter()
            .map(|e| e.client_msg_id.as_str())
            .collect();
        let mut kept = std::collections::VecDeque::with_capacity(self.out.len());
        let mut withheld = Vec::new();
        for out in std::mem::take(&mut self.out) {
            match &out {
                Output::Send(ClientFrame::SendMessage(r))
                    if unstored_sends.contains(&r.params.client_msg_id.as_str()) =>
                {
                    self.outbox.take_back(&r.id);
                }
                Output::Send(frame) => match frame.request_id().map(ReplyTo::of) {
                    Some(ReplyTo::Op(n))
                        if self.ops.in_flight(n).is_some_and(|op| {
                            op.key
                                .as_ref()
                                .is_some_and(|k| changes.ops.iter().any(|o| &o.key == k))
                        }) =>
                    {
                        withheld.push(n);
                    }
                    _ => kept.push_back(out),
                },
                _ => kept.push_back(out),
            }
        }
        self.ops.take_back(&withheld);
        self.out = kept;
    }
}
