//! Messages per room, oldest first, matched by their stable `key` (a local echo and the stored
//! message share it). Each room's list sits behind an `Rc`, so comparing states (and a
//! component's selector of one room) is a pointer check for every room that did not change.

use std::collections::HashMap;
use std::rc::Rc;

use herald_protocol::ipc::{ChatMessage, UiError, UiEvent};
use yewdux::Store;

/// One room's loaded messages and the state of its "load older" request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomMessages {
    pub messages: Rc<Vec<ChatMessage>>,
    /// A `LoadOlder` is under way (spinner at the top).
    pub loading_older: bool,
    /// Whether the core said there is more history (None: not asked yet, see `RoomView`).
    pub has_more: Option<bool>,
    pub error: Option<UiError>,
}

#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct MessagesState {
    pub rooms: HashMap<String, RoomMessages>,
}

/// Merges `incoming` into `existing` by key, keeping the list sorted by time. The common cases
/// (append at the end, prepend an older page) avoid a full sort.
pub fn merge(existing: &[ChatMessage], incoming: &[ChatMessage]) -> Vec<ChatMessage> {
    let mut out = existing.to_vec();
    let index: HashMap<&str, usize> = existing
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key.as_str(), i))
        .collect();
    let mut fresh = Vec::new();
    for m in incoming {
        match index.get(m.key.as_str()) {
            Some(&i) => out[i] = m.clone(),
            None => fresh.push(m.clone()),
        }
    }
    if fresh.is_empty() {
        return out;
    }
    let sorted_fresh = fresh.windows(2).all(|w| w[0].created_at <= w[1].created_at);
    let last = out.last().map(|m| m.created_at);
    let first = out.first().map(|m| m.created_at);
    match (first, last) {
        (None, _) if sorted_fresh => fresh,
        (_, Some(l)) if sorted_fresh && fresh[0].created_at >= l => {
            out.extend(fresh);
            out
        }
        (Some(f), _) if sorted_fresh && fresh[fresh.len() - 1].created_at <= f => {
            fresh.extend(out);
            fresh
        }
        _ => {
            out.extend(fresh);
            out.sort_by_key(|m| m.created_at);
            out
        }
    }
}

impl MessagesState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Reset(v) => {
                let mut by_room: HashMap<String, Vec<ChatMessage>> = HashMap::new();
                for m in &v.messages {
                    by_room
                        .entry(m.room_id.clone())
                        .or_default()
                        .push(m.clone());
                }
                self.rooms = by_room
                    .into_iter()
                    .map(|(id, list)| {
                        let list = merge(&[], &list);
                        let rm = RoomMessages {
                            messages: Rc::new(list),
                            ..RoomMessages::default()
                        };
                        (id, rm)
                    })
                    .collect();
            }
            UiEvent::MessagesUpserted { room_id, messages } => {
                let rm = self.rooms.entry(room_id.clone()).or_default();
                rm.messages = Rc::new(merge(&rm.messages, messages));
            }
            UiEvent::MessageRemoved { room_id, key } => {
                if let Some(rm) = self.rooms.get_mut(room_id) {
                    if rm.messages.iter().any(|m| &m.key == key) {
                        let list: Vec<ChatMessage> = rm
                            .messages
                            .iter()
                            .filter(|m| &m.key != key)
                            .cloned()
                            .collect();
                        rm.messages = Rc::new(list);
                    }
                }
            }
            UiEvent::HistoryLoaded {
                room_id,
                has_more,
                error,
            } => {
                let rm = self.rooms.entry(room_id.clone()).or_default();
                rm.loading_older = false;
                rm.has_more = Some(*has_more);
                rm.error = error.clone();
            }
            UiEvent::RoomRemoved { room_id } => {
                self.rooms.remove(room_id);
            }
            _ => {}
        }
        self
    }

    /// The UI asked the core for older messages. Pure.
    pub fn loading_older(mut self, room_id: &str) -> Self {
        let rm = self.rooms.entry(room_id.to_owned()).or_default();
        rm.loading_older = true;
        rm.error = None;
        self
    }

    /// One room's messages (empty when none are loaded).
    pub fn room(&self, room_id: &str) -> RoomMessages {
        self.rooms.get(room_id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;
    use herald_protocol::ipc::Delivery;

    fn keys(s: &MessagesState, room: &str) -> Vec<String> {
        s.room(room)
            .messages
            .iter()
            .map(|m| m.key.clone())
            .collect()
    }

    #[test]
    fn message_events_merge_by_key_in_time_order() {
        let base = MessagesState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        let mut sent = message("r1", "m6", "alice", "On my way", 30);
        sent.delivery = Delivery::Sent;
        let all = ["m1", "m2", "m3", "m4", "m5", "m6", "m7"];
        let cases: Vec<(&str, UiEvent, Vec<&str>)> = vec![
            (
                "reset groups by room",
                UiEvent::NotificationsReadAll,
                all.to_vec(),
            ),
            (
                "new message appended",
                UiEvent::MessagesUpserted {
                    room_id: "r1".into(),
                    messages: vec![message("r1", "m8", "bob", "new", 1)],
                },
                [&all[..], &["m8"]].concat(),
            ),
            (
                "older page prepended",
                UiEvent::MessagesUpserted {
                    room_id: "r1".into(),
                    messages: vec![
                        message("r1", "o1", "bob", "old", 200_000),
                        message("r1", "o2", "bob", "old", 190_000),
                    ],
                },
                [&["o1", "o2"][..], &all[..]].concat(),
            ),
            (
                "out of order message sorted in",
                UiEvent::MessagesUpserted {
                    room_id: "r1".into(),
                    messages: vec![message("r1", "x", "bob", "mid", 400)],
                },
                vec!["m1", "m2", "m3", "x", "m4", "m5", "m6", "m7"],
            ),
            (
                "echo confirmed in place",
                UiEvent::MessagesUpserted {
                    room_id: "r1".into(),
                    messages: vec![sent.clone()],
                },
                all.to_vec(),
            ),
            (
                "discarded echo removed",
                UiEvent::MessageRemoved {
                    room_id: "r1".into(),
                    key: "m7".into(),
                },
                all[..6].to_vec(),
            ),
        ];
        for (name, ev, want) in cases {
            let s = base.clone().apply(&ev);
            assert_eq!(keys(&s, "r1"), want, "{name}");
        }
        let s = base.clone().apply(&UiEvent::MessagesUpserted {
            room_id: "r1".into(),
            messages: vec![sent],
        });
        assert_eq!(s.room("r1").messages[5].delivery, Delivery::Sent);
    }

    #[test]
    fn other_rooms_keep_their_list_pointer() {
        let base = MessagesState::default()
            .apply(&UiEvent::Reset(Box::new(view_state())))
            .apply(&UiEvent::MessagesUpserted {
                room_id: "r2".into(),
                messages: vec![message("r2", "a", "bob", "x", 5)],
            });
        let next = base.clone().apply(&UiEvent::MessagesUpserted {
            room_id: "r2".into(),
            messages: vec![message("r2", "b", "bob", "y", 1)],
        });
        assert!(Rc::ptr_eq(
            &base.room("r1").messages,
            &next.room("r1").messages
        ));
    }

    #[test]
    fn history_loaded_ends_the_spinner_and_records_errors() {
        let s = MessagesState::default().loading_older("r1");
        assert!(s.room("r1").loading_older);
        let err = UiError::new(
            herald_protocol::ipc::ErrorCode::ServerUnreachable,
            "offline",
        );
        let s = s.apply(&UiEvent::HistoryLoaded {
            room_id: "r1".into(),
            has_more: true,
            error: Some(err.clone()),
        });
        let rm = s.room("r1");
        assert!(!rm.loading_older);
        assert_eq!(rm.error, Some(err));
        assert_eq!(rm.has_more, Some(true));
    }
}
