//! Start-up milestones, each logged once with the time since `run` began: the shell started
//! (profile, settings and the cached state loaded), the UI running (its first command: page and
//! wasm loaded), the first view served to the UI (it paints from it: the cached state, before
//! any network) and the first time the connection is live. The desktop benchmark
//! (`bench/desktop.py`) reads these lines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();
static SHELL_STARTED: AtomicBool = AtomicBool::new(false);
static UI_RUNNING: AtomicBool = AtomicBool::new(false);
static VIEW_SERVED: AtomicBool = AtomicBool::new(false);
static CONNECTED: AtomicBool = AtomicBool::new(false);

/// Called first thing in `run`.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// The setup hook finished: store open, cached state loaded, client running.
pub fn shell_started() {
    once(&SHELL_STARTED, "shell started");
}

/// The UI's first command arrived: the page and its wasm are loaded and running.
pub fn ui_running() {
    once(&UI_RUNNING, "UI running (first command)");
}

/// The UI asked for its first view (and paints it).
pub fn first_view_served() {
    once(&VIEW_SERVED, "first view served to the UI");
}

/// The connection is live for the first time.
pub fn connected() {
    once(&CONNECTED, "connected");
}

fn once(flag: &AtomicBool, what: &str) {
    if flag.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(t0) = STARTED.get() {
        log::info!("startup: {what} after {} ms", t0.elapsed().as_millis());
    }
}
