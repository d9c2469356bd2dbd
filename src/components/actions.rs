//! Intents that touch more than one store or send a command: the components' verbs.

use herald_protocol::ipc::{EngineCommand, ShellCommand, Toast};
use herald_protocol::wire::{Notification, NotificationKind};
use yewdux::Dispatch;

use crate::bridge;
use crate::store::messages::MessagesState;
use crate::store::notifications::NotificationsState;
use crate::store::toasts::ToastsState;
use crate::store::ui::{Page, UiState};

/// Shows a room in the chat panel; the core marks it read and withdraws its toasts.
pub fn open_room(ui: &Dispatch<UiState>, room_id: &str) {
    ui.reduce(|s| (*s).clone().open_room(room_id).into());
    bridge::send(EngineCommand::OpenRoom {
        room_id: room_id.to_owned(),
    });
}

/// Back to the chat list (the room is no longer active: its messages notify again).
pub fn close_room(ui: &Dispatch<UiState>) {
    ui.reduce(|s| (*s).clone().close_room().into());
    bridge::send(EngineCommand::CloseRoom);
}

/// Shows or hides the chat panel; hiding it deactivates the open room.
pub fn toggle_panel(ui: &Dispatch<UiState>) {
    let had_room = ui.get().panel_open && ui.get().open_room.is_some();
    ui.reduce(|s| (*s).clone().toggle_panel().into());
    if had_room {
        bridge::send(EngineCommand::CloseRoom);
    }
}

/// Clicking a notification: mark it read, then go where it leads (a room, a URL, or the page
/// that deals with its kind).
pub fn activate_notification(ui: &Dispatch<UiState>, n: &Notification) {
    if !n.read {
        bridge::send(EngineCommand::MarkNotificationRead {
            notification_id: n.id.clone(),
        });
    }
    ui.reduce(|s| {
        let mut next = (*s).clone();
        next.popover = None;
        next.into()
    });
    let link = n.link.clone().unwrap_or_default();
    if let Some(room) = link.room_id {
        open_room(ui, &room);
    } else if let Some(url) = link.url {
        bridge::send(ShellCommand::OpenUrl { url });
    } else if matches!(
        n.kind,
        NotificationKind::FriendRequest | NotificationKind::FriendRequestAccepted
    ) {
        ui.reduce(|s| (*s).clone().show_page(Page::FriendRequests).into());
    } else {
        ui.reduce(|s| (*s).clone().show_page(Page::Notifications).into());
    }
}

/// Removes a toast and tells the core (its burst coalescing forgets it).
pub fn dismiss_toast(toasts: &Dispatch<ToastsState>, id: &str) {
    toasts.reduce(|s| (*s).clone().dismiss(id).into());
    bridge::send(EngineCommand::DismissToast {
        toast_id: id.to_owned(),
    });
}

/// A toast's "View": mark its notification read and navigate.
pub fn view_toast(ui: &Dispatch<UiState>, toasts: &Dispatch<ToastsState>, t: &Toast) {
    if let Some(id) = &t.notification_id {
        bridge::send(EngineCommand::MarkNotificationRead {
            notification_id: id.clone(),
        });
    }
    if let Some(room) = &t.room_id {
        open_room(ui, room);
    } else {
        ui.reduce(|s| (*s).clone().show_page(Page::Notifications).into());
    }
    dismiss_toast(toasts, &t.id);
}

/// Asks the core for the next page of older notifications (spinner until
/// `NotificationsLoaded`); a page already under way or a list already complete sends nothing.
pub fn load_older_notifications(notifications: &Dispatch<NotificationsState>) {
    let state = notifications.get();
    if state.loading || !state.has_more {
        return;
    }
    notifications.reduce(|s| (*s).clone().start_loading().into());
    bridge::send(EngineCommand::LoadOlderNotifications);
}

/// Asks the core for older messages of a room (spinner until `HistoryLoaded`).
pub fn load_older(messages: &Dispatch<MessagesState>, room_id: &str) {
    messages.reduce(|s| (*s).clone().loading_older(room_id).into());
    bridge::send(EngineCommand::LoadOlder {
        room_id: room_id.to_owned(),
    });
}
