//! What the UI itself shows: the page, the open popover, the chat panel and its room. Changed
//! by the user's clicks (pure intent functions below) and by the core's `Navigate`.

use herald_protocol::ipc::{Session, UiEvent};
use yewdux::Store;

/// The main area's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Page {
    #[default]
    Home,
    Notifications,
    FriendRequests,
    Settings,
}

/// A popover anchored in the nav bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Popover {
    Notifications,
    UserMenu,
}

#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct UiState {
    pub page: Page,
    pub popover: Option<Popover>,
    pub panel_open: bool,
    /// The room shown in the chat panel (None: the chat list).
    pub open_room: Option<String>,
    /// Bumped to ask the chat list's filter box for focus (Ctrl+K).
    pub focus_filter: u32,
}

impl UiState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Navigate { room_id } => {
                self.panel_open = true;
                self.popover = None;
                self.open_room = Some(room_id.clone());
            }
            UiEvent::Reset(v) => {
                if matches!(v.session, Session::SignedOut { .. }) {
                    return Self::default();
                }
                if v.active_room.is_some() {
                    self.open_room = v.active_room.clone();
                }
            }
            UiEvent::Session(Session::SignedOut { .. }) => return Self::default(),
            UiEvent::RoomRemoved { room_id } if self.open_room.as_ref() == Some(room_id) => {
                self.open_room = None;
            }
            _ => {}
        }
        self
    }

    /// Closing the panel also leaves its room (the core then notifies for it again).
    pub fn toggle_panel(mut self) -> Self {
        self.panel_open = !self.panel_open;
        self.popover = None;
        if !self.panel_open {
            self.open_room = None;
        }
        self
    }

    pub fn toggle_popover(mut self, p: Popover) -> Self {
        self.popover = if self.popover == Some(p) {
            None
        } else {
            Some(p)
        };
        self
    }

    /// Esc: the innermost thing closes first (popover, then the panel).
    pub fn escape(mut self) -> Self {
        if self.popover.is_some() {
            self.popover = None;
        } else {
            self.panel_open = false;
            self.open_room = None;
        }
        self
    }

    pub fn show_page(mut self, page: Page) -> Self {
        self.page = page;
        self.popover = None;
        self
    }

    pub fn open_room(mut self, room_id: &str) -> Self {
        self.panel_open = true;
        self.popover = None;
        self.open_room = Some(room_id.to_owned());
        self
    }

    pub fn close_room(mut self) -> Self {
        self.open_room = None;
        self
    }

    /// Ctrl+K: open the panel on the chat list and focus its filter.
    pub fn focus_filter(mut self) -> Self {
        self.panel_open = true;
        self.popover = None;
        self.open_room = None;
        self.focus_filter = self.focus_filter.wrapping_add(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;

    #[test]
    fn intents_and_events() {
        type Step = fn(UiState) -> UiState;
        let cases: Vec<(&str, Vec<Step>, UiState)> = vec![
            (
                "bell toggles the popover",
                vec![|s| s.toggle_popover(Popover::Notifications)],
                UiState {
                    popover: Some(Popover::Notifications),
                    ..UiState::default()
                },
            ),
            (
                "second click closes it",
                vec![|s| s.toggle_popover(Popover::Notifications), |s| {
                    s.toggle_popover(Popover::Notifications)
                }],
                UiState::default(),
            ),
            (
                "esc closes the popover before the panel",
                vec![
                    |s| s.toggle_panel(),
                    |s| s.toggle_popover(Popover::UserMenu),
                    |s| s.escape(),
                ],
                UiState {
                    panel_open: true,
                    ..UiState::default()
                },
            ),
            (
                "esc then closes the panel",
                vec![|s| s.toggle_panel(), |s| s.escape()],
                UiState::default(),
            ),
            (
                "navigate opens the room in the panel",
                vec![|s| {
                    s.toggle_popover(Popover::Notifications)
                        .apply(&UiEvent::Navigate {
                            room_id: "r1".into(),
                        })
                }],
                UiState {
                    panel_open: true,
                    open_room: Some("r1".into()),
                    ..UiState::default()
                },
            ),
            (
                "a page closes popovers",
                vec![|s| {
                    s.toggle_popover(Popover::UserMenu)
                        .show_page(Page::Settings)
                }],
                UiState {
                    page: Page::Settings,
                    ..UiState::default()
                },
            ),
            (
                "sign out resets the UI",
                vec![|s| {
                    s.open_room("r1")
                        .apply(&UiEvent::Session(Session::SignedOut {
                            last_server_url: None,
                        }))
                }],
                UiState::default(),
            ),
            (
                "removed room closes",
                vec![|s| {
                    s.open_room("r1").apply(&UiEvent::RoomRemoved {
                        room_id: "r1".into(),
                    })
                }],
                UiState {
                    panel_open: true,
                    ..UiState::default()
                },
            ),
        ];
        for (name, steps, want) in cases {
            let got = steps.into_iter().fold(UiState::default(), |s, f| f(s));
            assert_eq!(got, want, "{name}");
        }
        let s = UiState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        assert_eq!(s, UiState::default());
    }
}
