//! herald-client: the client engine, usable without Tauri.
//!
//! The engine (sans-IO), the socket driver and the local store land with issue 4; for now this
//! crate only pins the protocol version the desktop core reports.

/// The wire protocol version this client speaks.
pub const PROTOCOL_VERSION: u32 = herald_protocol::wire::PROTOCOL_VERSION;
