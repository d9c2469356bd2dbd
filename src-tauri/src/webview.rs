//! WebKitGTK settings for a window that stays open all day (Linux).
//!
//! Why: Herald's UI is a list-and-text app that never needs GPU compositing, and WebKit's
//! accelerated compositing costs a lot of memory where it runs on software GL (machines without
//! a usable GPU driver, VMs, Xvfb). Measured with `bench/desktop.py` on the release build under
//! Xvfb: compositing off takes the web process from ~275 MB to ~183 MB RSS (total PSS 324 →
//! 237 MB) and paints the first view ~100 ms sooner; scrolling and the UI's few transitions look
//! the same. `HERALD_WEBKIT_DEFAULTS=1` keeps WebKit's own policy (for comparison, or a machine
//! where it is wanted). WebKit's cache model and page cache were measured too and made no
//! difference for one page of local assets, so they stay at their defaults.

use tauri::{Runtime, WebviewWindow};

/// Applies the settings to the main window's webview.
#[cfg(target_os = "linux")]
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if std::env::var_os("HERALD_WEBKIT_DEFAULTS").is_some_and(|v| v == "1") {
        log::info!("webview: WebKit defaults kept (HERALD_WEBKIT_DEFAULTS=1)");
        return;
    }
    let result = window.with_webview(|platform| {
        if let Some(settings) = WebViewExt::settings(&platform.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(e) = result {
        log::warn!("webview: settings not applied: {e}");
    }
}

/// Nothing to tune elsewhere (WebView2 and WKWebView size themselves with the OS).
#[cfg(not(target_os = "linux"))]
pub fn tune<R: Runtime>(_window: &WebviewWindow<R>) {}
