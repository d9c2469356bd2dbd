//! Native notifications, exactly as the engine's policy decides (the shell never filters: the
//! policy already applied own-message, dedupe, active-and-focused, mute, DND, quiet hours,
//! mentions-only and previews, and coalesced bursts under one id).
//!
//! Linux: notify-rust over D-Bus (org.freedesktop.Notifications, its pure-Rust zbus backend)
//! with a `default` action, so a click focuses the window and opens the room (a bell item: marks
//! it read and opens its web link, if any); a coalesced burst
//! replaces the earlier notification through the server-side id. Urgency follows priority
//! (1–2 low, 3 normal, 4–5 critical). With no session bus nothing is shown and that is logged
//! once.
//!
//! macOS and Windows: tauri-plugin-notification. Neither reports clicks to a desktop app through
//! the plugin: on macOS a click brings Herald to the front (the UI keeps showing the room list
//! and the toast, whose "View" opens the room); on Windows a click on the toast activates the
//! app, and a second launch is folded into the running one by the single-instance plugin, which
//! focuses the window. The room is then one click away in the UI.

use herald_client::NativeNotification;
use tauri::{AppHandle, Runtime};
use tokio::sync::mpsc::UnboundedReceiver;

/// Runs until the client stops, showing each requested notification.
pub async fn show_all<R: Runtime>(
    app: AppHandle<R>,
    icon: Option<std::path::PathBuf>,
    mut rx: UnboundedReceiver<NativeNotification>,
) {
    let mut shower = platform::Shower::new(icon);
    while let Some(n) = rx.recv().await {
        shower.show(&app, n);
    }
}

/// Clicking a notification: focus the window; a bell item is marked read and its web link
/// opened in the browser (the UI's scheme filter); a room is opened and the UI navigates to it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn clicked<R: Runtime>(app: &AppHandle<R>, n: &NativeNotification) {
    use herald_protocol::ipc::EngineCommand;
    use tauri::Manager;
    crate::tray::show_main_window(app);
    if let Some(url) = &n.url {
        log::info!("notification clicked: opening its link");
        if let Err(e) = crate::commands::open_url(url) {
            log::warn!("could not open the notification's link: {}", e.message);
        }
    }
    let (room_id, notification_id) = (n.room_id.clone(), n.notification_id.clone());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(shell) = app.try_state::<crate::shell::Shell<R>>() else {
            return;
        };
        shell.client.set_focus(true);
        if let Some(notification_id) = notification_id {
            if let Err(e) = shell
                .client
                .command(EngineCommand::MarkNotificationRead { notification_id })
                .await
            {
                log::warn!(
                    "could not mark the clicked notification read: {}",
                    e.message
                );
            }
        }
        if let Some(room_id) = room_id {
            log::info!("notification clicked: opening its room");
            // The engine opens the room and tells the UI to show it (`UiEvent::Navigate`).
            let show = EngineCommand::ShowRoom {
                room_id: room_id.clone(),
            };
            for command in [show, EngineCommand::OpenRoom { room_id }] {
                if let Err(e) = shell.client.command(command).await {
                    log::warn!("could not open the notification's room: {}", e.message);
                }
            }
        }
    });
}

#[cfg(target_os = "linux")]
mod platform {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use herald_client::NativeNotification;
    use notify_rust::{Notification, Timeout, Urgency};
    use tauri::{AppHandle, Runtime};

    pub struct Shower {
        icon: Option<String>,
        /// Engine id → the notification server's id, so a burst summary replaces its earlier one.
        server_ids: Arc<Mutex<HashMap<String, u32>>>,
        warned: Arc<Mutex<bool>>,
    }

    impl Shower {
        pub fn new(icon: Option<PathBuf>) -> Self {
            Self {
                icon: icon.map(|p| p.display().to_string()),
                server_ids: Arc::default(),
                warned: Arc::default(),
            }
        }

        pub fn show<R: Runtime>(&mut self, app: &AppHandle<R>, n: NativeNotification) {
            let icon = self.icon.clone();
            let ids = self.server_ids.clone();
            let warned = self.warned.clone();
            let app = app.clone();
            // notify-rust's calls block (D-Bus round trip, then waiting for the click), so each
            // notification gets a blocking thread that ends when the notification closes.
            tauri::async_runtime::spawn_blocking(move || {
                let mut note = Notification::new();
                note.appname("Herald")
                    .summary(&n.title)
                    .body(&super::escape_body_markup(&n.body))
                    .urgency(urgency(n.priority))
                    .action("default", "Open")
                    .timeout(Timeout::Default);
                if let Some(icon) = &icon {
                    note.icon(icon);
                }
                let previous = ids.lock().ok().and_then(|m| m.get(&n.id).copied());
                if let Some(id) = previous {
                    note.id(id);
                }
                match note.show() {
                    Ok(handle) => {
                        if let Ok(mut m) = ids.lock() {
                            m.insert(n.id.clone(), handle.id());
                        }
                        log::debug!("native notification shown (priority {})", n.priority);
                        handle.wait_for_action(|action| {
                            if action == "default" {
                                super::clicked(&app, &n);
                            }
                        });
                    }
                    Err(e) => {
                        if let Ok(mut w) = warned.lock() {
                            if !*w {
                                *w = true;
                                log::warn!("native notifications are unavailable ({e}); toasts still show in the window");
                            }
                        }
                    }
                }
            });
        }
    }

    fn urgency(priority: u8) -> Urgency {
        match priority {
            0..=2 => Urgency::Low,
            3 => Urgency::Normal,
            _ => Urgency::Critical,
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use std::path::PathBuf;

    use herald_client::NativeNotification;
    use tauri::{AppHandle, Runtime};
    use tauri_plugin_notification::NotificationExt;

    pub struct Shower;

    impl Shower {
        pub fn new(_icon: Option<PathBuf>) -> Self {
            Self
        }

        pub fn show<R: Runtime>(&mut self, app: &AppHandle<R>, n: NativeNotification) {
            if let Err(e) = app
                .notification()
                .builder()
                .title(&n.title)
                .body(&n.body)
                .show()
            {
                log::warn!("native notification failed: {e}");
            }
        }
    }
}

/// A chat text as a freedesktop notification body: servers with the `body-markup` capability
/// (dunst, GNOME, KDE) read the body as a subset of HTML, so `<b>`, `<a href>` or `<img>` typed
/// into a message would be rendered (or, for a link, made clickable) by the daemon. Escaping
/// `&`, `<` and `>` makes it the literal text the sender typed. The summary is plain text by
/// the specification and is left as it is.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn escape_body_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_body_markup;

    #[test]
    fn a_message_body_reaches_the_daemon_as_text_never_markup() {
        assert_eq!(
            escape_body_markup("<b>hi</b> & <a href=\"https://evil.example\">pay</a>"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href=\"https://evil.example\"&gt;pay&lt;/a&gt;"
        );
        assert_eq!(
            escape_body_markup("plain, 猫 and 5 > 3"),
            "plain, 猫 and 5 &gt; 3"
        );
    }
}
