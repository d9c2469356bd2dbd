//! The signed-in shell: nav bar, the page, the popovers, the chat panel and the toasts.

use yew::prelude::*;
use yewdux::prelude::*;

use crate::components::chat_panel::ChatPanel;
use crate::components::friend_requests::FriendRequestsPage;
use crate::components::home::Home;
use crate::components::icons::{icon, Icon};
use crate::components::nav_bar::NavBar;
use crate::components::notification_center::NotificationCenter;
use crate::components::notifications_page::NotificationsPage;
use crate::components::settings_page::SettingsPage;
use crate::components::toasts::Toasts;
use crate::components::user_menu::UserMenu;
use crate::store::session::SessionState;
use crate::store::ui::{Page, Popover, UiState};

#[function_component(Shell)]
pub fn shell() -> Html {
    let ui = use_dispatch::<UiState>();
    let page = use_selector(|s: &UiState| s.page);
    let popover = use_selector(|s: &UiState| s.popover);
    let panel = use_selector(|s: &UiState| s.panel_open);
    let storage = use_selector(|s: &SessionState| s.storage_problem.clone());
    let close_popover = ui.reduce_callback(|s| {
        let mut next = (*s).clone();
        next.popover = None;
        next.into()
    });
    html! {
        <div class="app">
            <NavBar />
            if let Some(problem) = &*storage {
                <p class="storage-banner" role="alert" data-testid="storage-problem">
                    { icon(Icon::Alert) }<span>{ problem.message.clone() }</span>
                </p>
            }
            <main class="main">
                { match *page {
                    Page::Home => html! { <Home /> },
                    Page::Notifications => html! { <NotificationsPage /> },
                    Page::FriendRequests => html! { <FriendRequestsPage /> },
                    Page::Settings => html! { <SettingsPage /> },
                } }
            </main>
            if popover.is_some() {
                <div class="scrim" onclick={close_popover} aria-hidden="true"></div>
            }
            { match *popover {
                Some(Popover::Notifications) => html! { <NotificationCenter /> },
                Some(Popover::UserMenu) => html! { <UserMenu /> },
                None => html! {},
            } }
            if *panel { <ChatPanel /> }
            <Toasts />
        </div>
    }
}
