//! The system tray icon and its menu: Open Herald, Mark all as read, Do not disturb (a check
//! item kept in step with the settings), Check for updates, Quit. The unread total (chat + bell) goes in the
//! tooltip, the tray title (Linux appindicator label, macOS menu bar), the dock/taskbar badge
//! where the platform has one, and the window title ("Herald (3)"), which every platform shows.
//!
//! Works without a StatusNotifier host (nothing is shown, nothing fails), which is what CI
//! machines have. Quit really quits: `app.exit` → `RunEvent::Exit` → client shutdown (store
//! flushed, socket closed), see `lib.rs`.

use herald_protocol::ipc::{EngineCommand, ErrorCode, UiError, UiReply, UpdateStatus};
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::events::MAIN_WINDOW;
use crate::shell::Shell;

const TRAY_ID: &str = "herald";
/// The menu items' ids (public for tests, which drive the menu by id).
pub mod item {
    pub const OPEN: &str = "open";
    pub const MARK_ALL_READ: &str = "mark_all_read";
    pub const DND: &str = "dnd";
    pub const CHECK_UPDATES: &str = "check_updates";
    pub const QUIT: &str = "quit";
}
use item::{CHECK_UPDATES, DND, MARK_ALL_READ, OPEN, QUIT};

/// The menu items the shell updates after creation.
struct TrayItems<R: Runtime> {
    dnd: CheckMenuItem<R>,
}

/// Creates the tray icon and its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>, dnd_on: bool) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, OPEN, "Open Herald", true, None::<&str>)?;
    let mark = MenuItem::with_id(app, MARK_ALL_READ, "Mark all as read", true, None::<&str>)?;
    let dnd = CheckMenuItem::with_id(app, DND, "Do not disturb", true, dnd_on, None::<&str>)?;
    let updates = MenuItem::with_id(app, CHECK_UPDATES, "Check for updates", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &mark, &dnd, &updates, &sep, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Herald")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu_item(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayItems { dnd });
    Ok(())
}

/// What a tray menu item does, by its id. Public so tests drive the menu without a tray host
/// (CI machines have no StatusNotifier host to click).
pub fn on_menu_item<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        OPEN => show_main_window(app),
        MARK_ALL_READ => mark_all_read(app),
        DND => toggle_dnd(app),
        CHECK_UPDATES => check_for_updates(app),
        QUIT => {
            log::info!("quit from the tray");
            app.exit(0);
        }
        other => log::debug!("unknown tray item {other:?}"),
    }
}

/// Checks from the tray. There is no window to answer in, so the result (up to date, installed,
/// or what went wrong) comes back as a native notification.
fn check_for_updates<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(shell) = app.try_state::<Shell<R>>() else {
            return;
        };
        let message = match crate::updater::check(&app, &shell.updates).await {
            Ok(UpdateStatus::UpToDate) => "Herald is up to date.".to_owned(),
            Ok(UpdateStatus::Ready { version }) => {
                format!("Herald {version} is installed; it starts the next time you open Herald.")
            }
            Err(e) => e.message,
        };
        log::info!("update check from the tray: {message}");
        if let Some(n) = app.try_state::<tauri_plugin_notification::Notification<R>>() {
            if let Err(e) = n.builder().title("Herald updates").body(message).show() {
                log::warn!("could not show the update check's result: {e}");
            }
        }
    });
}

/// Shows the unread total everywhere the platform can.
pub fn show_unread<R: Runtime>(app: &AppHandle<R>, total: u32) {
    let label = if total == 0 {
        "Herald".to_owned()
    } else {
        format!("Herald ({total})")
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let tooltip = if total == 0 {
            "Herald — no unread".to_owned()
        } else {
            format!("Herald — {total} unread")
        };
        let _ = tray.set_tooltip(Some(tooltip));
        let _ = tray.set_title(Some(if total == 0 {
            String::new()
        } else {
            total.to_string()
        }));
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.set_title(&label);
        // Dock (macOS), taskbar (Windows: overlay), Unity launcher (Linux): best effort.
        let _ = window.set_badge_count((total > 0).then_some(i64::from(total)));
    }
}

/// Keeps the Do-not-disturb check item in step with the settings.
pub fn sync_dnd<R: Runtime>(app: &AppHandle<R>, on: bool) {
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        if items.dnd.is_checked().ok() != Some(on) {
            let _ = items.dnd.set_checked(on);
        }
    }
}

/// Flips DND in the engine's settings; the check item follows the engine's `Settings` event
/// (like every other change), so it never shows a state the engine does not hold.
fn toggle_dnd<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(shell) = app.try_state::<Shell<R>>() else {
            return;
        };
        let result = match shell.client.command(EngineCommand::GetSettings).await {
            Ok(UiReply::Settings(mut settings)) => {
                settings.dnd = !settings.dnd;
                shell
                    .client
                    .command(EngineCommand::SetSettings { settings })
                    .await
                    .map(|_| ())
            }
            Ok(other) => Err(UiError::new(
                ErrorCode::Internal,
                format!("unexpected answer to GetSettings: {other:?}"),
            )),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            log::warn!("could not change do-not-disturb: {e}");
        }
    });
}

/// Everything the tray's count counts, read at once: one engine command.
fn mark_all_read<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(shell) = app.try_state::<Shell<R>>() else {
            return;
        };
        if let Err(e) = shell
            .client
            .command(EngineCommand::MarkEverythingRead)
            .await
        {
            log::warn!("mark all read from the tray failed: {e}");
        }
    });
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
