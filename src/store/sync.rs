//! Applies the core's event batches to every store. Each store's `apply` is pure; this is the
//! one place that knows which stores exist.

use herald_protocol::ipc::{UiEvent, ViewState};
use yewdux::{Context, Dispatch, Store};

use super::{
    friends::FriendsState, messages::MessagesState, notifications::NotificationsState,
    rooms::RoomsState, session::SessionState, toasts::ToastsState, ui::UiState,
};

fn apply_all<S, F>(cx: &Context, events: &[UiEvent], f: F)
where
    S: Store + Clone,
    F: Fn(S, &UiEvent) -> S,
{
    // `reduce` notifies subscribers only when the new state differs (the Store's should_notify).
    Dispatch::<S>::new(cx).reduce(|s| {
        let next = events.iter().fold((*s).clone(), &f);
        next.into()
    });
}

/// Applies a batch (in order) to every store.
pub fn apply_batch(cx: &Context, events: &[UiEvent]) {
    apply_all::<SessionState, _>(cx, events, SessionState::apply);
    apply_all::<RoomsState, _>(cx, events, RoomsState::apply);
    apply_all::<MessagesState, _>(cx, events, MessagesState::apply);
    apply_all::<NotificationsState, _>(cx, events, NotificationsState::apply);
    apply_all::<super::friends::FriendsState, _>(cx, events, FriendsState::apply);
    apply_all::<ToastsState, _>(cx, events, ToastsState::apply);
    apply_all::<UiState, _>(cx, events, UiState::apply);
}

/// Replaces every store with the core's full view (startup, reload).
pub fn load_view_state(cx: &Context, view: ViewState) {
    apply_batch(cx, &[UiEvent::Reset(Box::new(view))]);
}
