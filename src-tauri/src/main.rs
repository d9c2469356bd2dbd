//! herald-desktop's entry point: everything lives in the library so tests can reach it.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = herald_desktop::run() {
        eprintln!("herald-desktop: {e}");
        std::process::exit(1);
    }
}
