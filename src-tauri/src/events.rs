//! Forwards the client's UI batches to the webview as the Tauri event `herald://events`, and
//! shows the engine's unread total (`UiEvent::UnreadTotal`: chat unread over all rooms plus
//! unread bell items) on the tray. The engine owns that count; the shell only displays it.

use herald_protocol::ipc::{ConnStatus, UiEvent, UiEventBatch, EVENTS_CHANNEL};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::shell::Shell;
use crate::tray;

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// Sends one batch to the main window (the UI's `listen("herald://events")`).
pub fn emit_batch<R: Runtime>(app: &AppHandle<R>, batch: &UiEventBatch) {
    if let Err(e) = app.emit_to(MAIN_WINDOW, EVENTS_CHANNEL, batch) {
        log::warn!("could not deliver UI events: {e}");
    }
}

/// Runs until the client stops: patches, forwards, shows the unread total, and lets the shell
/// follow settings changes.
pub async fn forward<R: Runtime>(app: AppHandle<R>, mut rx: UnboundedReceiver<UiEventBatch>) {
    while let Some(mut batch) = rx.recv().await {
        let shell = app.try_state::<Shell<R>>();
        if let Some(shell) = &shell {
            shell.patch_batch(&mut batch);
        }
        for event in &batch.events {
            match event {
                UiEvent::Settings(settings) => {
                    if let Some(shell) = &shell {
                        shell.follow_settings(&app, settings);
                    }
                }
                UiEvent::Connection(ConnStatus::Connected) => crate::startup::connected(),
                UiEvent::UnreadTotal { count } => tray::show_unread(&app, *count),
                _ => {}
            }
        }
        emit_batch(&app, &batch);
    }
    log::info!("the client stopped sending UI events");
}
