//! herald-desktop: the Tauri 2 shell around herald-client.
//!
//! Thin glue by design (ARCHITECTURE.md): the UI talks to the core through one typed command
//! ([`commands::dispatch`]) and listens to one event channel; the core owns the socket, the
//! store, notifications and the tray. Plugins are registered here, in the order they must run.

pub mod commands;
mod tray;

use tauri::Runtime;

/// Builds and runs the app until the user quits.
pub fn run() -> Result<(), tauri::Error> {
    with_ipc(tauri::Builder::default())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_store::Builder::new().build())
        .setup(|app| {
            tray::create(app.handle())?;
            Ok(())
        })
        .run(context())
}

/// Registers the IPC surface. Shared with the command tests, which run it on the mock runtime
/// so they exercise the real handler, permissions and capability file.
pub fn with_ipc<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::dispatch])
}

/// The app's context (tauri.conf.json, capabilities, embedded UI) for any runtime.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}
