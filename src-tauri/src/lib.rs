//! herald-desktop: the Tauri 2 shell around herald-client.
//!
//! Thin glue by design (ARCHITECTURE.md): the UI talks to the core through one typed command
//! ([`commands::dispatch`]) and listens to one event channel (`herald://events`); herald-client
//! owns the socket, the store and every decision (reconnects, retries, which notifications to
//! show). The shell starts it, keeps the token, and connects it to the OS:
//! window focus, native notifications, the tray, login items, sleep/resume.
//!
//! Plugins are registered here, in the order they must run: single-instance first (a second
//! launch must be folded into the first before anything else starts), then the log, then the
//! rest.

#[cfg(target_os = "linux")]
mod appimage;
mod autostart;
pub mod commands;
mod events;
mod notify;
mod readiness;
mod resume;
pub mod session;
mod settings;
mod shell;
mod startup;
pub mod tray;
mod tray_host;
pub mod updater;
mod webview;

pub use shell::{ShellConfig, StartError};

/// The settings the shell acts on (close to tray, the tray's DND item, start on login): its
/// copy of the engine's, which follows the engine's `Settings` events. `None` before the shell
/// has started.
pub fn shell_settings<R: Runtime>(
    app: &tauri::AppHandle<R>,
) -> Option<herald_protocol::ipc::Settings> {
    app.try_state::<shell::Shell<R>>()
        .map(|shell| shell.settings())
}
pub use updater::UpdateConfig;

use tauri::{Manager, RunEvent, Runtime, WindowEvent};
use tauri_plugin_window_state::StateFlags;

use crate::events::MAIN_WINDOW;
use crate::shell::Shell;

/// How long Quit waits for the client to flush its store and close the socket.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Builds and runs the app until the user quits.
pub fn run() -> Result<(), tauri::Error> {
    startup::mark_start();
    let config = ShellConfig {
        desktop_integration: true,
        ..ShellConfig::from_env()
    };
    let builder = tauri::Builder::default()
        // First: a second launch only focuses the running one.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            log::info!("second launch: focusing the running Herald");
            tray::show_main_window(app);
        }))
        .plugin(log_plugin(&config))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![autostart::MINIMIZED_ARG]),
        ))
        .plugin(
            tauri_plugin_window_state::Builder::new()
                // Size and position; never visibility (a tray app starts hidden on purpose).
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .build(),
        );
    let app = builder_with(builder, config).build(context())?;
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            shutdown(app);
        }
    });
    Ok(())
}

/// The testable core of the app: the store plugin, the IPC surface, window events and the
/// setup that starts the shell. Command tests run it on the mock runtime with the real context.
pub fn builder_with<R: Runtime>(
    builder: tauri::Builder<R>,
    config: ShellConfig,
) -> tauri::Builder<R> {
    with_ipc(builder)
        .plugin(tauri_plugin_store::Builder::new().build())
        // Reads `plugins.updater` (pubkey, feed) of the context's config.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updater::Updates::default())
        .manage(readiness::Readiness::default())
        .on_window_event(on_window_event)
        .setup(move |app| {
            if config.desktop_integration {
                prepare_window(app.handle());
            }
            // Off the main thread: the webview loads the UI from it meanwhile (readiness.rs).
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("herald-start".into())
                .spawn(move || {
                    if let Err(e) = start(&handle, &config) {
                        log::error!("Herald could not start: {e}");
                        eprintln!("herald-desktop: {e}");
                        handle.exit(1);
                    }
                })?;
            Ok(())
        })
}

/// What the main window needs before the shell is up (main thread, setup hook): WebKit's
/// settings, and staying hidden when the OS started Herald at login.
fn prepare_window<R: Runtime>(handle: &tauri::AppHandle<R>) {
    let Some(window) = handle.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    webview::tune(&window);
    if autostart::started_minimized() {
        let _ = window.hide();
        // Hidden with no tray icon to bring it back would be lost: then show it minimized.
        tauri::async_runtime::spawn(async move {
            match tray_host::CloseTo::for_host(tray_host::present().await) {
                tray_host::CloseTo::Tray => log::info!("started at login: staying in the tray"),
                tray_host::CloseTo::Minimize => {
                    log::info!("started at login with no tray host: shown minimized");
                    let _ = window.minimize();
                    let _ = window.show();
                }
            }
        });
    }
}

/// Starts the shell: opens the profile, loads settings and the token, starts herald-client and
/// the tasks that forward its UI events and native notifications; with `desktop_integration`
/// also the tray and the resume watch. Called on a thread of its own by the
/// setup hook; command tests on the mock runtime call it directly, as they never run a loop.
/// Commands that arrive meanwhile wait for it (see `readiness`).
pub fn start<R: Runtime>(
    handle: &tauri::AppHandle<R>,
    config: &ShellConfig,
) -> Result<(), shell::StartError> {
    let started = start_shell(handle, config);
    if let Some(readiness) = handle.try_state::<readiness::Readiness>() {
        match &started {
            Ok(()) => readiness.ready(),
            Err(e) => readiness.failed(e.to_string()),
        }
    }
    started
}

fn start_shell<R: Runtime>(
    handle: &tauri::AppHandle<R>,
    config: &ShellConfig,
) -> Result<(), shell::StartError> {
    let (shell, receivers) = Shell::start(handle, config)?;
    let client = shell.client.clone();
    let settings = shell.settings();
    let icon = shell::notification_icon(&shell.profile_dir);
    handle.manage(shell);
    tauri::async_runtime::spawn(events::forward(handle.clone(), receivers.events));
    tauri::async_runtime::spawn(notify::show_all(
        handle.clone(),
        icon,
        receivers.notifications,
    ));
    if config.desktop_integration {
        // Menus and the tray icon are built on the main thread by Tauri itself.
        if let Err(e) = tray::create(handle, settings.dnd) {
            log::warn!("no tray icon: {e}");
        }
        tauri::async_runtime::spawn(resume::watch(client.clone()));
        // Known before the settings page asks (`AppInfo.tray`).
        tauri::async_runtime::spawn(async {
            if !tray_host::present().await {
                log::warn!("no tray host shows Herald's icon: closing the window minimizes it");
            }
        });
        updater::check_at_start(handle, &config.updates);
        // The engine starts focused (a window just opened has the focus); a hidden one has not.
        // Focus changes in the few hundred ms before this point are not replayed: the window
        // reports the next one.
        if autostart::started_minimized() {
            client.set_focus(false);
        }
    }
    startup::shell_started();
    Ok(())
}

/// Registers the IPC surface (the `dispatch` command).
pub fn with_ipc<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::dispatch])
}

/// The app's context (tauri.conf.json, capabilities, embedded UI) for any runtime.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Focus feeds the engine's suppression rule; closing hides to the tray when the setting says so.
fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if window.label() != MAIN_WINDOW {
        return;
    }
    let Some(shell) = window.try_state::<Shell<R>>() else {
        return;
    };
    match event {
        WindowEvent::Focused(focused) => shell.client.set_focus(*focused),
        WindowEvent::CloseRequested { api, .. } if shell.settings().close_to_tray => {
            api.prevent_close();
            shell.client.set_focus(false);
            let window = window.clone();
            tauri::async_runtime::spawn(async move {
                match tray_host::CloseTo::for_host(tray_host::present().await) {
                    tray_host::CloseTo::Tray => {
                        let _ = window.hide();
                        log::info!("window closed to the tray; still connected");
                    }
                    tray_host::CloseTo::Minimize => {
                        let _ = window.minimize();
                        log::info!(
                            "window minimized, not hidden: no tray host shows Herald's icon; still connected"
                        );
                    }
                }
            });
        }
        _ => {}
    }
}

/// Flushes the store and closes the socket before the process exits (Quit, last window closed).
fn shutdown<R: Runtime>(app: &tauri::AppHandle<R>) {
    let Some(shell) = app.try_state::<Shell<R>>() else {
        return;
    };
    let client = shell.client.clone();
    let done = tauri::async_runtime::block_on(async move {
        tokio::time::timeout(SHUTDOWN_GRACE, client.shutdown()).await
    });
    match done {
        Ok(Ok(())) => log::info!("client stopped: store flushed, socket closed"),
        Ok(Err(e)) => log::warn!("client shutdown: {e}"),
        Err(_) => log::warn!("client shutdown timed out after {SHUTDOWN_GRACE:?}"),
    }
}

/// The rotating file log (and stderr): in `$HERALD_PROFILE_DIR/logs` when set, else the OS log
/// directory. Five files of 2 MB at most.
fn log_plugin<R: Runtime>(config: &ShellConfig) -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    let file = match &config.profile_dir {
        Some(dir) => TargetKind::Folder {
            path: dir.join("logs"),
            file_name: Some("herald".to_owned()),
        },
        None => TargetKind::LogDir {
            file_name: Some("herald".to_owned()),
        },
    };
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(file))
        .target(Target::new(TargetKind::Stderr))
        .level(log::LevelFilter::Info)
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing", log::LevelFilter::Warn)
        .max_file_size(2_000_000)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .build()
}
