//! Yewdux stores. Reducers are pure functions on plain data so they are tested natively with
//! `cargo test`; components only read stores and dispatch intents.

pub mod shell;
