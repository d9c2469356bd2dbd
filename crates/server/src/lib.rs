//! herald-server: the reference realtime server for Herald.
//!
//! It exists so that the desktop client has a real peer and backend teams have a reference of
//! the wire protocol done right: every change to a user's state is written to that user's ordered
//! event log in the same transaction as the change ([`store`], [`stream`]), then fanned out by a
//! [`broker`] to the WebSocket sessions ([`ws`]) that user holds; REST ([`api`]) calls the same
//! [`domain`] functions, so a REST write reaches the sockets exactly like a socket write.
//!
//! Architecture invariant: identity comes from the token ([`auth`]), never from a client field.
//! Architecture invariant: every state change reaches its user as an event in their stream.

pub mod api;
pub mod auth;
pub mod broker;
pub mod config;
pub mod conn_guard;
pub mod demo;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod server;
pub mod store;
pub mod stream;
pub mod ws;

pub mod testing;

pub use config::Config;
pub use error::Error;
pub use server::{RunningServer, Server};

/// The wire protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = herald_protocol::wire::PROTOCOL_VERSION;
