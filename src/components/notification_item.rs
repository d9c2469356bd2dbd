//! One notification row: kind icon, title, body, relative time, unread dot. The page variant
//! adds archive and snooze actions.

use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::Notification;
use herald_protocol::Timestamp;
use time::Duration;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions;
use crate::components::format::{local, relative_time};
use crate::components::icons::{icon, kind_chip, kind_label, Icon};
use crate::store::session::SessionState;
use crate::store::ui::UiState;

#[derive(Properties, PartialEq)]
pub struct NotificationItemProps {
    pub notification: Notification,
    pub now: Timestamp,
    /// Show archive / snooze buttons (the full page), where the backend has them.
    #[prop_or_default]
    pub actions: bool,
}

/// Tomorrow at 08:00 local time.
pub fn tomorrow_morning(now: Timestamp, offset_secs: i32) -> Timestamp {
    let l = local(now, offset_secs);
    let date = l.date().next_day().unwrap_or(l.date());
    let at = date.with_hms(8, 0, 0).map(|d| d.assume_offset(l.offset()));
    at.unwrap_or(now + Duration::hours(12))
}

#[function_component(NotificationItem)]
pub fn notification_item(p: &NotificationItemProps) -> Html {
    let ui = use_dispatch::<UiState>();
    let features = use_selector(|s: &SessionState| s.backend.features);
    let n = &p.notification;
    let onclick = {
        let n = n.clone();
        Callback::from(move |_: MouseEvent| actions::activate_notification(&ui, &n))
    };
    let id = n.id.clone();
    let archive = {
        let id = id.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            bridge::send(EngineCommand::ArchiveNotification {
                notification_id: id.clone(),
            });
        })
    };
    let snooze = |until: fn(Timestamp) -> Timestamp| {
        let id = id.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            bridge::send(EngineCommand::SnoozeNotification {
                notification_id: id.clone(),
                until: until(bridge::now()),
            });
        })
    };
    let snooze_hour = snooze(|now| now + Duration::hours(1));
    let snooze_tomorrow = snooze(|now| tomorrow_morning(now, bridge::local_offset_secs(now)));
    html! {
        <li class={classes!("notification", (!n.read).then_some("unread"))} data-testid="notification" data-id={n.id.clone()}>
            <button type="button" class="notification-main" {onclick} aria-label={format!("{}: {}", kind_label(&n.kind), n.title)}>
                { kind_chip(&n.kind) }
                <span class="notification-text">
                    <span class="notification-title">{ n.title.clone() }</span>
                    <span class="notification-body">{ n.body.clone() }</span>
                    <span class="notification-time">{ relative_time(n.created_at, p.now) }</span>
                </span>
                if !n.read { <span class="unread-dot" aria-label="Unread" data-testid="unread-dot"></span> }
            </button>
            if p.actions && !n.archived && (features.snooze || features.archive) {
                <span class="notification-actions">
                    if features.snooze {
                        <button type="button" class="icon-button small" title="Snooze 1 hour" aria-label="Snooze 1 hour" onclick={snooze_hour} data-testid="snooze-hour">{ icon(Icon::Snooze) }</button>
                        <button type="button" class="text-button" title="Snooze until tomorrow 8:00" onclick={snooze_tomorrow} data-testid="snooze-tomorrow">{ "Tomorrow" }</button>
                    }
                    if features.archive {
                        <button type="button" class="icon-button small" title="Archive" aria-label="Archive" onclick={archive} data-testid="archive">{ icon(Icon::Archive) }</button>
                    }
                </span>
            }
        </li>
    }
}
