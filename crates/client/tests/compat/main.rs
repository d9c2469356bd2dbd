//! Herald against the backends its first users run: the four seed systems of
//! `shared/seeds/` as real Django Channels (daphne) and python-socketio servers from
//! `tests/compat/`, each driven through its built-in profile, plus a hand-written profile file.
//!
//! What every test checks is what a person at the desktop would see (the view state, native
//! notifications) against what the backend itself holds (its `/_test/state`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod backend;

mod artchive;
mod ecleaner;
mod ecleaner_asis;
mod herald_cli;
mod profile_file;
mod seed001;
mod ventree;
