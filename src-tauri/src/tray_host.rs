//! Whether anything shows Herald's tray icon. On Linux the icon is a StatusNotifierItem, shown
//! only when a StatusNotifier host (KDE's panel, GNOME's AppIndicator extension, waybar, …) has
//! registered with the session bus's `org.kde.StatusNotifierWatcher`. Stock GNOME has none: there
//! a window "closed to the tray" would vanish with no way back, so closing minimizes instead.
//!
//! Asked again at every close (a panel can start after Herald, e.g. at login) with a short
//! timeout; the last answer is kept for the settings page (`AppInfo.tray`). Windows and macOS
//! always have a tray (notification area, menu bar).

use std::sync::atomic::{AtomicBool, Ordering};

/// The last answer; "present" until asked, so the settings page shows no warning by mistake
/// on systems where the question never fails.
static PRESENT: AtomicBool = AtomicBool::new(true);

/// What closing the main window does when "keep running in the tray" is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseTo {
    /// Hide the window; the tray icon brings it back.
    Tray,
    /// No tray to come back from: minimize, so the window stays in the taskbar / overview.
    Minimize,
}

impl CloseTo {
    pub fn for_host(present: bool) -> Self {
        if present {
            Self::Tray
        } else {
            Self::Minimize
        }
    }
}

/// The last known answer (see the module docs).
pub fn last_known() -> bool {
    PRESENT.load(Ordering::Relaxed)
}

/// Asks the session bus now (at most 500 ms) and remembers the answer.
pub async fn present() -> bool {
    #[cfg(target_os = "linux")]
    let present = {
        let ask = linux::host_registered();
        match tokio::time::timeout(std::time::Duration::from_millis(500), ask).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                log::info!("no StatusNotifier watcher on the session bus ({e})");
                false
            }
            Err(_) => {
                log::info!("the StatusNotifier watcher did not answer in 500 ms");
                false
            }
        }
    };
    #[cfg(not(target_os = "linux"))]
    let present = true;
    PRESENT.store(present, Ordering::Relaxed);
    present
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    pub const WATCHER: &str = "org.kde.StatusNotifierWatcher";
    pub const WATCHER_PATH: &str = "/StatusNotifierWatcher";

    /// `IsStatusNotifierHostRegistered` of the session's watcher; an error when there is none.
    pub async fn host_registered() -> zbus::Result<bool> {
        let conn = zbus::Connection::session().await?;
        host_registered_on(&conn).await
    }

    pub async fn host_registered_on(conn: &zbus::Connection) -> zbus::Result<bool> {
        // One property read, no cache (a cache would subscribe to changes and warn when the
        // watcher is absent).
        let proxy: zbus::Proxy<'_> = zbus::proxy::Builder::new(conn)
            .destination(WATCHER)?
            .path(WATCHER_PATH)?
            .interface(WATCHER)?
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        proxy.get_property("IsStatusNotifierHostRegistered").await
    }
}

#[cfg(test)]
mod tests {
    use super::CloseTo;

    #[test]
    fn without_a_tray_host_closing_minimizes_instead_of_hiding() {
        assert_eq!(CloseTo::for_host(true), CloseTo::Tray);
        assert_eq!(CloseTo::for_host(false), CloseTo::Minimize);
    }
}
