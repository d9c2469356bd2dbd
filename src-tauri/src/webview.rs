//! WebKitGTK settings for a window that stays open all day (Linux).
//!
//! Why: WebKit's defaults are sized for browsing the web: a page cache for back/forward
//! navigation, memory caches for many sites, WebGL. Herald's UI is one page of local assets that
//! never navigates, so the `DocumentViewer` cache model (no memory cache of other resources),
//! no page cache and no WebGL give up nothing a person sees and keep the web process smaller
//! (measured in the README's desktop benchmark). `HERALD_WEBKIT_DEFAULTS=1` keeps WebKit's
//! defaults, so the benchmark can compare.

use tauri::{Runtime, WebviewWindow};

/// Applies the settings to the main window's webview.
#[cfg(target_os = "linux")]
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
    if std::env::var_os("HERALD_WEBKIT_DEFAULTS").is_some_and(|v| v == "1") {
        log::info!("webview: WebKit defaults kept (HERALD_WEBKIT_DEFAULTS=1)");
        return;
    }
    let result = window.with_webview(|platform| {
        let view = platform.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_page_cache(false);
            settings.set_enable_webgl(false);
        }
    });
    if let Err(e) = result {
        log::warn!("webview: settings not applied: {e}");
    }
}

/// Nothing to tune elsewhere (WebView2 and WKWebView are sized by the OS).
#[cfg(not(target_os = "linux"))]
pub fn tune<R: Runtime>(_window: &WebviewWindow<R>) {}
