//! The local store: the [`Store`] contract and its data types come from herald-engine (the
//! engine's outputs are made of them); this module adds the implementation that does IO,
//! [`SqliteStore`], and the conformance suite every implementation passes.
//!
//! The driver applies each [`Changes`] in ONE transaction (a 10k-message burst is one commit,
//! not 10k), together with the stream position those changes cover, so the position never runs
//! ahead of the data.

pub mod sqlite;

#[cfg(test)]
mod conformance;

pub use herald_engine::store::*;
pub use sqlite::SqliteStore;
