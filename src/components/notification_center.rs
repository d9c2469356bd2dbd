//! The bell's popover: the five most recent notifications, "Mark all as read", "See all".

use herald_protocol::ipc::EngineCommand;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::hooks::use_now;
use crate::components::icons::{icon, Icon};
use crate::components::notification_item::NotificationItem;
use crate::store::notifications::NotificationsState;
use crate::store::ui::{Page, UiState};

/// How many the popover shows.
pub const RECENT: usize = 5;

#[function_component(NotificationCenter)]
pub fn notification_center() -> Html {
    let ui = use_dispatch::<UiState>();
    let state = use_store_value::<NotificationsState>();
    let now = use_now(30_000);
    let recent = state.recent(RECENT, now);
    let can_mark_all = use_selector(|s: &crate::store::session::SessionState| {
        s.backend.features.mark_all_notifications_read
    });
    let mark_all =
        Callback::from(|_: MouseEvent| bridge::send(EngineCommand::MarkAllNotificationsRead));
    let see_all = ui.reduce_callback(|s| (*s).clone().show_page(Page::Notifications).into());
    html! {
        <section class="popover notification-center" aria-label="Notifications" data-testid="notification-center">
            <header class="popover-head">
                <h2>{ "Notifications" }</h2>
                if *can_mark_all {
                    <button type="button" class="text-button" onclick={mark_all} disabled={state.unread == 0} data-testid="mark-all-read">
                        { icon(Icon::Check) }{ "Mark all as read" }
                    </button>
                }
            </header>
            if recent.is_empty() {
                <p class="empty">{ icon(Icon::Bell) }<span>{ "You're all caught up" }</span></p>
            } else {
                <ul class="notification-list">
                    { for recent.into_iter().map(|n| html! { <NotificationItem key={n.id.clone()} notification={n.clone()} {now} /> }) }
                </ul>
            }
            <footer class="popover-foot">
                <button type="button" class="text-button" onclick={see_all} data-testid="see-all">{ "See all notifications" }</button>
            </footer>
        </section>
    }
}
