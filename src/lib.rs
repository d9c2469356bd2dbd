//! herald-ui: Herald's user interface, Yew function components over Yewdux stores.
//!
//! Architecture invariant: the UI renders state and sends intents. It never decides reconnects,
//! retries or notifications, and only [`bridge`] touches JavaScript or Tauri.

pub mod bridge;
pub mod components;
pub mod store;

pub use components::app::App;
