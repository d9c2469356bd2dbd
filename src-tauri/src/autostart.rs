//! Start on login (tauri-plugin-autostart): the setting `start_on_login` registers Herald with
//! the OS (an XDG autostart entry on Linux, a LaunchAgent on macOS, the Run key on Windows)
//! launched with `--minimized`, so it starts hidden in the tray and just connects.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

/// The argument the OS launches Herald with at login.
pub const MINIMIZED_ARG: &str = "--minimized";

/// Whether this process was started by the OS at login.
pub fn started_minimized() -> bool {
    std::env::args().any(|a| a == MINIMIZED_ARG)
}

/// Registers or unregisters Herald as a login item. A failure is logged, not fatal: the setting
/// stays saved and is applied again at the next change.
pub fn set<R: Runtime>(app: &AppHandle<R>, on: bool) {
    let Some(manager) = app.try_state::<AutoLaunchManager>() else {
        return;
    };
    let result = if on {
        manager.enable()
    } else {
        manager.disable()
    };
    match result {
        Ok(()) => log::info!("start on login {}", if on { "enabled" } else { "disabled" }),
        Err(e) => log::warn!("could not change start on login: {e}"),
    }
}
