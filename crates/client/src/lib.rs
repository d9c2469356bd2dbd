//! herald-client: the client engine, usable without Tauri.
//!
//! Three layers, dependencies pointing down: [`driver`] (the only socket and task code: tokio +
//! tokio-tungstenite, executes what the engine asks), [`engine`] (sans-IO: connection state
//! machine, stream sync, reducer, outbox, notification policy; `now` is an argument) and
//! [`store`] (the `Store` trait with SQLite and in-memory implementations). The desktop shell
//! and `herald-cli` both start a [`driver::Client`].
//!
//! Architecture invariant: the engine never does IO and never reads the clock.
//! Architecture invariant: only `driver.rs` (and `login.rs` for the one HTTP call) touch the
//! network.

pub mod driver;
pub mod engine;
pub mod login;
pub mod rest;
pub mod store;

pub use driver::{Client, ClientConfig, ClientHandle};
pub use engine::policy::NativeNotification;

/// The wire protocol version this client speaks.
pub const PROTOCOL_VERSION: u32 = herald_protocol::wire::PROTOCOL_VERSION;
