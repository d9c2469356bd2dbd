//! Who is signed in, on which backend (what it can do), the connection pill's state and the
//! user's settings.

use herald_protocol::ipc::{BackendView, ConnStatus, Session, Settings, UiError, UiEvent};
use yewdux::Store;

/// Session, connection and settings: small values the nav bar, login and settings read.
#[derive(Debug, Clone, PartialEq, Store)]
pub struct SessionState {
    pub session: Session,
    pub connection: ConnStatus,
    pub settings: Settings,
    /// The account's backend: controls of what it cannot do are hidden.
    pub backend: BackendView,
    /// Whether the core's view state arrived at least once (before it, nothing is known).
    pub synced: bool,
    /// The local store refuses writes: the banner's text.
    pub storage_problem: Option<UiError>,
}

impl Default for SessionState {
    fn default() -> Self {
        Self {
            session: Session::SignedOut {
                last_server_url: None,
            },
            connection: ConnStatus::SignedOut,
            settings: Settings::default(),
            backend: BackendView::default(),
            synced: false,
            storage_problem: None,
        }
    }
}

impl SessionState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Reset(v) => {
                self.session = v.session.clone();
                self.connection = v.connection.clone();
                self.settings = v.settings.clone();
                self.backend = v.backend.clone();
                self.storage_problem = v.storage_problem.clone();
                self.synced = true;
            }
            UiEvent::Session(s) => self.session = s.clone(),
            UiEvent::Connection(c) => self.connection = c.clone(),
            UiEvent::Settings(s) => self.settings = s.clone(),
            UiEvent::Backend(b) => self.backend = (**b).clone(),
            UiEvent::StorageProblem { error } => self.storage_problem = error.clone(),
            _ => {}
        }
        self
    }

    /// The signed-in user's id, if any.
    pub fn user_id(&self) -> Option<&str> {
        match &self.session {
            Session::SignedIn { user, .. } => Some(&user.id),
            Session::SignedOut { .. } => None,
        }
    }

    pub fn signed_in(&self) -> bool {
        matches!(self.session, Session::SignedIn { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;
    use herald_protocol::ipc::Theme;

    #[test]
    fn session_events_update_only_their_field() {
        let dark = Settings {
            theme: Theme::Dark,
            ..Settings::default()
        };
        type Check = Box<dyn Fn(&SessionState) -> bool>;
        let cases: Vec<(&str, UiEvent, Check)> = vec![
            (
                "reset takes everything and marks synced",
                UiEvent::Reset(Box::new(view_state())),
                Box::new(|s| s.synced && s.user_id() == Some("alice")),
            ),
            (
                "connection",
                UiEvent::Connection(ConnStatus::Connected),
                Box::new(|s| s.connection == ConnStatus::Connected && !s.synced),
            ),
            (
                "settings",
                UiEvent::Settings(dark.clone()),
                Box::new(move |s| s.settings.theme == Theme::Dark),
            ),
            (
                "session signed in",
                UiEvent::Session(signed_in()),
                Box::new(|s| s.signed_in()),
            ),
            (
                "backend",
                UiEvent::Backend(Box::new(BackendView {
                    kind: "ventree".into(),
                    label: "Ventree".into(),
                    resumes: false,
                    features: herald_protocol::ipc::BackendFeatures {
                        chat: false,
                        ..Default::default()
                    },
                })),
                Box::new(|s| !s.backend.features.chat && !s.backend.resumes && !s.synced),
            ),
            (
                "the store refuses writes",
                UiEvent::StorageProblem {
                    error: Some(UiError::new(
                        herald_protocol::ipc::ErrorCode::Storage,
                        "disk full",
                    )),
                },
                Box::new(|s| {
                    s.storage_problem
                        .as_ref()
                        .is_some_and(|e| e.message == "disk full")
                }),
            ),
            (
                "unrelated event changes nothing",
                UiEvent::NotificationsUnread { count: 4 },
                Box::new(|s| *s == SessionState::default()),
            ),
        ];
        for (name, ev, check) in cases {
            let s = SessionState::default().apply(&ev);
            assert!(check(&s), "{name}: {s:?}");
        }
    }
}
