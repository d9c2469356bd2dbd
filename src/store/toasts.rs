//! Toasts the core raised (it already applied the notification policy); at most three show.

use herald_protocol::ipc::{Toast, UiEvent};
use yewdux::Store;

/// The most toasts stacked at once; an older one makes room for a new one.
pub const MAX_TOASTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct ToastsState {
    /// Oldest first.
    pub toasts: Vec<Toast>,
}

impl ToastsState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Toast(t) => {
                // A coalesced burst reuses its toast's id: replace it in place.
                match self.toasts.iter_mut().find(|x| x.id == t.id) {
                    Some(x) => *x = (**t).clone(),
                    None => self.toasts.push((**t).clone()),
                }
                let extra = self.toasts.len().saturating_sub(MAX_TOASTS);
                self.toasts.drain(..extra);
            }
            UiEvent::ToastsWithdrawn { room_id } => {
                self.toasts
                    .retain(|t| t.room_id.as_deref() != Some(room_id.as_str()));
            }
            UiEvent::Reset(_) => self.toasts.clear(),
            _ => {}
        }
        self
    }

    /// The user dismissed a toast, or it timed out. Pure.
    pub fn dismiss(mut self, id: &str) -> Self {
        self.toasts.retain(|t| t.id != id);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;

    fn ids(s: &ToastsState) -> Vec<&str> {
        s.toasts.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn toast_events() {
        let two = ToastsState::default()
            .apply(&UiEvent::Toast(Box::new(toast("a", Some("r1")))))
            .apply(&UiEvent::Toast(Box::new(toast("b", None))));
        let mut burst = toast("a", Some("r1"));
        burst.body = "5 new messages".into();
        let cases: Vec<(&str, UiEvent, Vec<&str>)> = vec![
            (
                "third stacks",
                UiEvent::Toast(Box::new(toast("c", None))),
                vec!["a", "b", "c"],
            ),
            (
                "burst replaces in place",
                UiEvent::Toast(Box::new(burst)),
                vec!["a", "b"],
            ),
            (
                "withdrawn for an opened room",
                UiEvent::ToastsWithdrawn {
                    room_id: "r1".into(),
                },
                vec!["b"],
            ),
            (
                "reset clears",
                UiEvent::Reset(Box::new(view_state())),
                vec![],
            ),
        ];
        for (name, ev, want) in cases {
            assert_eq!(ids(&two.clone().apply(&ev)), want, "{name}");
        }
        let four = two
            .clone()
            .apply(&UiEvent::Toast(Box::new(toast("c", None))))
            .apply(&UiEvent::Toast(Box::new(toast("d", None))));
        assert_eq!(ids(&four), vec!["b", "c", "d"], "at most three");
        assert_eq!(ids(&two.dismiss("a")), vec!["b"]);
    }
}
