//! RFC 3339 UTC timestamps, the only time format on the wire and across IPC.
//!
//! Re-exported serde adapters so every type says `#[serde(with = "crate::time_format")]` the same
//! way, and one helper that formats a timestamp for logs and tests.

pub use time::serde::rfc3339::{deserialize, serialize};

/// Optional RFC 3339 timestamps (`null` or absent when not set).
pub mod option {
    pub use time::serde::rfc3339::option::{deserialize, serialize};
}

/// Formats a timestamp as RFC 3339; falls back to the unix time when formatting is impossible
/// (a year outside 0..=9999), so callers never have to handle an error for a log line.
pub fn to_rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}
