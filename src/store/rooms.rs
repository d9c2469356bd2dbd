//! The chat list: every room, sorted by last activity, and which room the core has active.

use herald_protocol::ipc::{RoomView, UiEvent};
use herald_protocol::Timestamp;
use yewdux::Store;

/// Rooms newest activity first.
#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct RoomsState {
    pub rooms: Vec<RoomView>,
    pub active_room: Option<String>,
}

/// When something last happened in a room: its last message or its last update.
pub fn last_activity(r: &RoomView) -> Timestamp {
    let updated = r.room.updated_at;
    match &r.room.last_message {
        Some(m) if m.created_at > updated => m.created_at,
        _ => updated,
    }
}

fn sort(rooms: &mut [RoomView]) {
    // Stable: rooms with equal activity keep their order.
    rooms.sort_by_key(|r| std::cmp::Reverse(last_activity(r)));
}

impl RoomsState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Reset(v) => {
                self.rooms = v.rooms.clone();
                sort(&mut self.rooms);
                self.active_room = v.active_room.clone();
            }
            UiEvent::RoomUpserted(r) => {
                match self.rooms.iter_mut().find(|x| x.room.id == r.room.id) {
                    Some(x) => *x = (**r).clone(),
                    None => self.rooms.push((**r).clone()),
                }
                sort(&mut self.rooms);
            }
            UiEvent::RoomRemoved { room_id } => self.rooms.retain(|r| &r.room.id != room_id),
            UiEvent::ActiveRoom { room_id } => self.active_room = room_id.clone(),
            _ => {}
        }
        self
    }

    pub fn get(&self, room_id: &str) -> Option<&RoomView> {
        self.rooms.iter().find(|r| r.room.id == room_id)
    }

    /// The chat badge: the sum of the rooms' unread counts.
    pub fn total_unread(&self) -> u32 {
        self.rooms.iter().map(|r| r.room.unread_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;

    fn ids(s: &RoomsState) -> Vec<&str> {
        s.rooms.iter().map(|r| r.room.id.as_str()).collect()
    }

    #[test]
    fn room_events_keep_the_list_sorted_by_last_activity() {
        let base = RoomsState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        let cases: Vec<(&str, UiEvent, Vec<&str>, u32)> = vec![
            (
                "reset sorts newest first",
                UiEvent::NotificationsReadAll,
                vec!["r1", "r2", "r3"],
                2,
            ),
            (
                "a new message moves its room to the top",
                UiEvent::RoomUpserted(Box::new(room("r3", "General", 4, Some(("bob", "hi", 5))))),
                vec!["r3", "r1", "r2"],
                6,
            ),
            (
                "a new room is inserted by activity",
                UiEvent::RoomUpserted(Box::new(room("r9", "Job #9", 1, Some(("bob", "x", 1_000))))),
                vec!["r1", "r9", "r2", "r3"],
                3,
            ),
            (
                "read room clears its count",
                UiEvent::RoomUpserted(Box::new(room(
                    "r1",
                    "Job #12",
                    0,
                    Some(("bob", "Can you check the stock?", 120)),
                ))),
                vec!["r1", "r2", "r3"],
                0,
            ),
            (
                "removed",
                UiEvent::RoomRemoved {
                    room_id: "r2".into(),
                },
                vec!["r1", "r3"],
                2,
            ),
        ];
        for (name, ev, order, unread) in cases {
            let s = base.clone().apply(&ev);
            assert_eq!(ids(&s), order, "{name}");
            assert_eq!(s.total_unread(), unread, "{name}");
        }
    }

    #[test]
    fn active_room_follows_the_core() {
        let s = RoomsState::default().apply(&UiEvent::ActiveRoom {
            room_id: Some("r1".into()),
        });
        assert_eq!(s.active_room.as_deref(), Some("r1"));
        let s = s.apply(&UiEvent::ActiveRoom { room_id: None });
        assert_eq!(s.active_room, None);
    }
}
