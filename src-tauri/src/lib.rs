//! herald-desktop: the Tauri 2 shell around herald-client.
//!
//! Thin glue by design (ARCHITECTURE.md): the UI talks to the core through one typed command
//! ([`commands::dispatch`]) and listens to one event channel; the core owns the socket, the
//! store, notifications and the tray. Plugins are registered here, in the order they must run.

pub mod commands;
mod tray;

/// Builds and runs the app until the user quits.
pub fn run() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_store::Builder::new().build())
        .invoke_handler(tauri::generate_handler![commands::dispatch])
        .setup(|app| {
            tray::create(app.handle())?;
            Ok(())
        })
        .run(tauri::generate_context!())
}
