//! Forwards the client's UI batches to the webview as the Tauri event `herald://events`, and
//! keeps the unread total the tray shows (chat unread summed over rooms + unread bell items),
//! derived from the same batches so the tray never asks the engine for a whole view.

use std::collections::HashMap;

use herald_protocol::ipc::{ConnStatus, UiEvent, UiEventBatch, EVENTS_CHANNEL};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::shell::Shell;
use crate::tray;

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// The unread counts the tray shows, kept up to date from UI events.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnreadTally {
    rooms: HashMap<String, u32>,
    notifications: u32,
}

impl UnreadTally {
    /// Chat unread plus bell unread.
    pub fn total(&self) -> u32 {
        self.rooms.values().sum::<u32>() + self.notifications
    }

    /// Rooms with unread messages (the tray's "Mark all as read").
    pub fn unread_rooms(&self) -> Vec<String> {
        self.rooms
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn apply(&mut self, event: &UiEvent) {
        match event {
            UiEvent::Reset(view) => {
                self.rooms = view
                    .rooms
                    .iter()
                    .map(|r| (r.room.id.clone(), r.room.unread_count))
                    .collect();
                self.notifications = view.notifications_unread;
            }
            UiEvent::RoomUpserted(room) => {
                self.rooms
                    .insert(room.room.id.clone(), room.room.unread_count);
            }
            UiEvent::RoomRemoved { room_id } => {
                self.rooms.remove(room_id);
            }
            UiEvent::NotificationsUnread { count } => self.notifications = *count,
            UiEvent::NotificationsReadAll => self.notifications = 0,
            _ => {}
        }
    }
}

/// Sends one batch to the main window (the UI's `listen("herald://events")`).
pub fn emit_batch<R: Runtime>(app: &AppHandle<R>, batch: &UiEventBatch) {
    if let Err(e) = app.emit_to(MAIN_WINDOW, EVENTS_CHANNEL, batch) {
        log::warn!("could not deliver UI events: {e}");
    }
}

/// Runs until the client stops: patches, forwards, tallies.
pub async fn forward<R: Runtime>(app: AppHandle<R>, mut rx: UnboundedReceiver<UiEventBatch>) {
    let mut tally = UnreadTally::default();
    let mut shown = None;
    while let Some(mut batch) = rx.recv().await {
        if let Some(shell) = app.try_state::<Shell<R>>() {
            shell.patch_batch(&mut batch);
        }
        for event in &batch.events {
            tally.apply(event);
            match event {
                UiEvent::Settings(settings) => tray::sync_dnd(&app, settings.dnd),
                UiEvent::Connection(ConnStatus::Connected) => crate::startup::connected(),
                _ => {}
            }
        }
        emit_batch(&app, &batch);
        tray::set_unread_rooms(&app, tally.unread_rooms());
        let total = tally.total();
        if shown != Some(total) {
            shown = Some(total);
            tray::show_unread(&app, total);
        }
    }
    log::info!("the client stopped sending UI events");
}
