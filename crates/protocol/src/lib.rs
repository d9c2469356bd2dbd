//! Herald's contracts, as serde types and nothing else.
//!
//! Two contracts live here because every other crate speaks at least one of them and they must
//! never drift apart: [`wire`] is what a Herald server and client say over the WebSocket (and
//! REST), [`ipc`] is what the desktop core and the UI say across the Tauri bridge. The crate has
//! no IO, reads no clock and builds for `wasm32-unknown-unknown` as well as native targets.
//!
//! Architecture invariant: this crate holds types and their serde only.

pub mod ipc;
pub mod time_format;
pub mod wire;

pub use time::OffsetDateTime as Timestamp;
