//! The operations waiting for the socket or for their `reply`, and the request numbers.
//!
//! [`super::ops`] decides what an operation does and how its reply settles it; this type only
//! keeps them in order: queued (not yet sent), in flight (sent, numbered, unanswered), and the
//! rooms whose read mark waits for a live socket. Its rules, each tested below:
//! - the request number is one counter for every request the engine makes (the outbox's `s<n>`,
//!   operations' `r<n>`, notification page fetches), so a reply's id says whose it is
//!   ([`ReplyTo`]) and ids never repeat within a run;
//! - in-flight operations go back to the queue in the order they were sent when the socket
//!   drops (pings are dropped: they belong to the socket that died);
//! - a newer read mark of a room replaces a queued one, so an offline session sends one per room.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use herald_protocol::wire::ClientFrame;

use crate::ops::{Op, PendingOp};
use crate::store::StoredOp;

/// Whose `reply` this is, from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyTo {
    /// A `send_message` (the outbox numbers them `s<n>`).
    Outbox,
    /// An operation (`r<n>`).
    Op(u64),
    /// Not an id this engine gave out (a server bug, or a reply to an earlier run).
    Unknown,
}

impl ReplyTo {
    pub(crate) fn of(id: &str) -> Self {
        if id.starts_with('s') {
            return ReplyTo::Outbox;
        }
        match id.strip_prefix('r').and_then(|n| n.parse().ok()) {
            Some(n) => ReplyTo::Op(n),
            None => ReplyTo::Unknown,
        }
    }
}

/// Queued and in-flight operations, and the request counter.
#[derive(Debug, Default)]
pub(crate) struct OpQueue {
    queued: VecDeque<PendingOp>,
    /// By request number, so the send order is the map's order.
    inflight: BTreeMap<u64, PendingOp>,
    /// Rooms looked at while a message arrived: their read mark goes out once live.
    read_marks_due: BTreeSet<String>,
    last_number: u64,
}

impl OpQueue {
    /// The queue as the store left it (queued, none in flight), and the keys of rows this build
    /// cannot read (to delete).
    pub(crate) fn restore(rows: &[StoredOp]) -> (Self, Vec<String>) {
        let mut queue = OpQueue::default();
        let mut unreadable = Vec::new();
        for row in rows {
            match PendingOp::restore(row) {
                Some(op) => queue.queued.push_back(op),
                None => unreadable.push(row.key.clone()),
            }
        }
        (queue, unreadable)
    }

    /// Forgets every operation (a different account signed in, or signed out). The counter
    /// goes on: a late reply to an old id must not match a new request.
    pub(crate) fn clear(&mut self) {
        self.queued.clear();
        self.inflight.clear();
        self.read_marks_due.clear();
    }

    /// The next request number.
    pub(crate) fn next_number(&mut self) -> u64 {
        self.last_number += 1;
        self.last_number
    }

    /// Replaces the op of a queued read mark of the same room with `op` (a newer mark); returns
    /// the updated entry, or `None` when `op` is not a read mark or none of its room is queued.
    pub(crate) fn replace_queued_read_mark(&mut self, op: &Op) -> Option<&PendingOp> {
        let Op::MarkRoomRead(m) = op else { return None };
        let queued = self
            .queued
            .iter_mut()
            .find(|q| matches!(&q.op, Op::MarkRoomRead(x) if x.room_id == m.room_id))?;
        queued.op = op.clone();
        Some(queued)
    }

    pub(crate) fn push(&mut self, pending: PendingOp) {
        self.queued.push_back(pending);
    }

    /// Numbers and moves queued operations to in flight, returning their frames in order.
    /// With `volatile_only`, durable operations stay queued (the store refuses writes, and
    /// nothing is sent that it could not record; reads and pings change nothing).
    pub(crate) fn transmit(&mut self, volatile_only: bool) -> Vec<ClientFrame> {
        let mut frames = Vec::new();
        let mut held = VecDeque::new();
        while let Some(op) = self.queued.pop_front() {
            if volatile_only && op.key.is_some() {
                held.push_back(op);
                continue;
            }
            let n = self.next_number();
            frames.push(op.op.frame(format!("r{n}")));
            self.inflight.insert(n, op);
        }
        self.queued = held;
        frames
    }

    /// The in-flight operation numbered `n`, answered: it leaves the queue.
    pub(crate) fn settle(&mut self, n: u64) -> Option<PendingOp> {
        self.inflight.remove(&n)
    }

    pub(crate) fn in_flight(&self, n: u64) -> Option<&PendingOp> {
        self.inflight.get(&n)
    }

    /// Takes the operations numbered `numbers` back from in flight to the front of the queue,
    /// in the order given (their frames were withheld: the store did not record them).
    pub(crate) fn take_back(&mut self, numbers: &[u64]) {
        for n in numbers.iter().rev() {
            if let Some(op) = self.inflight.remove(n) {
                self.queued.push_front(op);
            }
        }
    }

    /// The socket dropped: unanswered operations go back to the front of the queue in the
    /// order they were sent, ahead of what was queued since; pings and renewals are dropped.
    pub(crate) fn requeue_in_flight(&mut self) {
        let inflight = std::mem::take(&mut self.inflight);
        for (_, op) in inflight.into_iter().rev() {
            // Pings and token renewals belong to the socket that died (the next `welcome`
            // plans a renewal again).
            if !matches!(op.op, Op::Ping | Op::RenewToken) {
                self.queued.push_front(op);
            }
        }
    }

    pub(crate) fn defer_read_mark(&mut self, room_id: &str) {
        self.read_marks_due.insert(room_id.to_owned());
    }

    pub(crate) fn take_read_marks_due(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.read_marks_due)
    }

    pub(crate) fn has_read_marks_due(&self) -> bool {
        !self.read_marks_due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use herald_protocol::wire::{MarkRoomRead, NotificationRef};

    use super::*;
    use crate::ops::Revert;

    fn op(op: Op, durable: bool) -> PendingOp {
        PendingOp {
            key: durable.then(|| "k".to_owned()),
            op,
            revert: Revert::Nothing,
        }
    }

    fn read_notification(id: &str) -> Op {
        Op::MarkNotificationRead(NotificationRef {
            notification_id: id.into(),
        })
    }

    fn ids(frames: &[ClientFrame]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| f.request_id().map(str::to_owned))
            .collect()
    }

    #[test]
    fn a_reply_id_names_the_outbox_an_operation_or_nobody() {
        assert_eq!(ReplyTo::of("s7"), ReplyTo::Outbox);
        assert_eq!(ReplyTo::of("r12"), ReplyTo::Op(12));
        assert_eq!(ReplyTo::of("r"), ReplyTo::Unknown);
        assert_eq!(ReplyTo::of("x1"), ReplyTo::Unknown);
        assert_eq!(ReplyTo::of(""), ReplyTo::Unknown);
    }

    #[test]
    fn in_flight_operations_are_requeued_in_send_order_across_a_digit_boundary_and_pings_dropped() {
        let mut q = OpQueue::default();
        for _ in 0..8 {
            q.next_number();
        }
        for i in 1..=4 {
            q.push(op(read_notification(&format!("n{i}")), true));
        }
        q.push(op(Op::Ping, false));
        let first = q.transmit(false);
        assert_eq!(ids(&first), ["r9", "r10", "r11", "r12", "r13"]);
        q.push(op(read_notification("later"), true));
        q.requeue_in_flight();
        let again = q.transmit(false);
        let sent: Vec<_> = again
            .iter()
            .map(|f| match f {
                ClientFrame::MarkNotificationRead(r) => r.params.notification_id.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(sent, ["n1", "n2", "n3", "n4", "later"]);
    }

    #[test]
    fn a_settled_operation_leaves_and_a_second_answer_finds_nothing() {
        let mut q = OpQueue::default();
        q.push(op(read_notification("n1"), true));
        q.transmit(false);
        assert!(q.in_flight(1).is_some());
        assert!(q.settle(1).is_some());
        assert!(q.settle(1).is_none());
        q.requeue_in_flight();
        assert!(q.transmit(false).is_empty());
    }

    #[test]
    fn while_the_store_refuses_writes_only_volatile_operations_go_out() {
        let mut q = OpQueue::default();
        q.push(op(read_notification("n1"), true));
        q.push(op(Op::Ping, false));
        assert_eq!(q.transmit(true).len(), 1, "the ping");
        assert_eq!(q.transmit(false).len(), 1, "then the durable one");
    }

    #[test]
    fn withheld_frames_come_back_to_the_front_in_their_order() {
        let mut q = OpQueue::default();
        q.push(op(read_notification("n1"), true));
        q.push(op(read_notification("n2"), true));
        q.transmit(false);
        q.push(op(read_notification("n3"), true));
        q.take_back(&[1, 2]);
        let frames = q.transmit(false);
        let sent: Vec<_> = frames
            .iter()
            .filter_map(|f| match f {
                ClientFrame::MarkNotificationRead(r) => Some(r.params.notification_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(sent, ["n1", "n2", "n3"]);
    }

    #[test]
    fn a_newer_read_mark_replaces_the_queued_one_of_its_room_only() {
        let mut q = OpQueue::default();
        let mark = |room: &str, up_to: &str| {
            Op::MarkRoomRead(MarkRoomRead {
                room_id: room.into(),
                up_to: up_to.into(),
            })
        };
        q.push(op(mark("r1", "m1"), true));
        assert!(q.replace_queued_read_mark(&mark("r1", "m2")).is_some());
        assert!(q.replace_queued_read_mark(&mark("r2", "m9")).is_none());
        assert!(q
            .replace_queued_read_mark(&read_notification("n1"))
            .is_none());
        let frames = q.transmit(false);
        assert_eq!(frames.len(), 1);
        assert!(matches!(&frames[0], ClientFrame::MarkRoomRead(r) if r.params.up_to == "m2"));
    }

    #[test]
    fn clearing_keeps_the_counter_so_a_late_reply_matches_nothing_new() {
        let mut q = OpQueue::default();
        q.push(op(read_notification("n1"), true));
        q.transmit(false);
        q.clear();
        q.push(op(read_notification("n2"), true));
        let frames = q.transmit(false);
        assert_eq!(ids(&frames), ["r2"]);
        assert!(q.settle(1).is_none());
    }
}
