//! Yewdux stores. Each mirrors one part of the core's [`ViewState`] so a change re-renders only
//! the components that read it (a new message touches `MessagesState` and the one room row in
//! `RoomsState`, never the bell). Reducers are pure `apply(state, &UiEvent) -> state` functions
//! on plain data, tested natively with `cargo test`; components only read stores and dispatch
//! intents.
//!
//! [`ViewState`]: herald_protocol::ipc::ViewState

pub mod friends;
pub mod messages;
pub mod notifications;
pub mod rooms;
pub mod session;
pub mod shell;
pub mod sync;
pub mod toasts;
pub mod ui;

/// Sample data for tests and screenshots (dead code in the shipped build: nothing calls it).
#[doc(hidden)]
pub mod fixtures;
