//! Backends other than herald-server: Django Channels and Socket.IO systems that teams already
//! run, described by a profile file (`profile.rs`, documented in `docs/backends.md`).
//!
//! `adapter/` is the sans-IO translator between such a backend and the engine (which only
//! speaks Herald wire v1); `fields.rs` the field paths and templates it maps with;
//! `socketio.rs` the Socket.IO v4 packet codec; `http.rs` the REST calls and the sign-in, run
//! by the driver. The driver still owns the one socket.

pub mod adapter;
pub mod detect;
pub mod fields;
pub mod http;
pub mod profile;
pub mod socketio;

pub use adapter::{Adapter, AdapterOutput, Held, HttpAnswer, HttpRequest, SocketRequest};
pub use profile::{Features, Profile, ProfileError, Source};

/// The name that means herald-server itself (no adapter).
pub const HERALD: &str = "herald";
