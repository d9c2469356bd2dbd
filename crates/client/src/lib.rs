//! herald-client: the client engine, usable without Tauri.
//!
//! Three layers, dependencies pointing down: [`driver`] (the only socket and task code: tokio +
//! tokio-tungstenite, executes what the engine asks), [`engine`] (the herald-engine crate,
//! re-exported: sans-IO connection state machine, stream sync, reducer, outbox, notification
//! policy; `now` is an argument) and [`store`] (the `Store` contract from herald-engine plus the
//! SQLite implementation). The desktop shell and `herald-cli` both start a [`driver::Client`].
//!
//! Architecture invariant: the engine never does IO and never reads the clock; it is its own
//! crate with no IO dependency, so the compiler checks it.
//! [`backend`] holds the adapter for backends other than herald-server (Django Channels,
//! Socket.IO), sans-IO like the engine, described by profile files.
//!
//! Architecture invariant: the engine and the backend adapter never do IO and never read the
//! clock.
//! Architecture invariant: only `driver.rs` touches the socket; HTTP runs in `login.rs`,
//! `rest.rs` and `backend/http.rs`, started by the driver or the sign-in.

pub mod backend;
pub mod driver;
pub mod login;
pub mod rest;
pub mod store;

pub use herald_engine as engine;

pub use driver::{Client, ClientConfig, ClientHandle, TokenSink};
pub use engine::policy::NativeNotification;

/// The wire protocol version this client speaks.
pub const PROTOCOL_VERSION: u32 = herald_protocol::wire::PROTOCOL_VERSION;
