//! herald-server: the reference realtime server (filled in by issue 3).

/// The wire protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = herald_protocol::wire::PROTOCOL_VERSION;
