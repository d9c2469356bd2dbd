//! Yew function components.

pub mod app;
pub mod nav_bar;
