//! The nav bar: Herald, the connection pill, the chat button (total unread badge, toggles the
//! chat panel), the bell (unread badge, toggles the notification center) and the user menu.
//! A backend without chat or without notifications has no chat button or no bell.

use yew::prelude::*;
use yewdux::prelude::*;

use crate::components::actions;
use crate::components::badge::Badge;
use crate::components::conn_pill::ConnPill;
use crate::components::format::initials;
use crate::components::icons::{icon, Icon};
use crate::store::notifications::NotificationsState;
use crate::store::rooms::RoomsState;
use crate::store::session::SessionState;
use crate::store::ui::{Page, Popover, UiState};

#[function_component(NavBar)]
pub fn nav_bar() -> Html {
    let (ui, ui_dispatch) = use_store::<UiState>();
    let chat_unread = use_selector(|s: &RoomsState| s.total_unread());
    let bell_unread = use_selector(|s: &NotificationsState| s.unread);
    let features = use_selector(|s: &SessionState| s.backend.features);
    let name = use_selector(|s: &SessionState| match &s.session {
        herald_protocol::ipc::Session::SignedIn { user, .. } => user.name.clone(),
        _ => String::new(),
    });

    let on_chat = {
        let d = ui_dispatch.clone();
        Callback::from(move |_: MouseEvent| actions::toggle_panel(&d))
    };
    let on_bell =
        ui_dispatch.reduce_callback(|s| (*s).clone().toggle_popover(Popover::Notifications).into());
    let on_user =
        ui_dispatch.reduce_callback(|s| (*s).clone().toggle_popover(Popover::UserMenu).into());
    let on_home = ui_dispatch.reduce_callback(|s| (*s).clone().show_page(Page::Home).into());

    html! {
        <header class="nav-bar" data-testid="nav-bar">
            <button type="button" class="brand-button" onclick={on_home} aria-label="Home">
                <span class="logo small">{ icon(Icon::Bell) }</span>
                <span class="brand" data-testid="brand">{ "Herald" }</span>
            </button>
            <ConnPill />
            <nav class="nav-actions" aria-label="Herald">
                if features.chat {
                    <button type="button" aria-label={format!("Chats, {} unread", *chat_unread)} data-testid="chat-button"
                        class={classes!("icon-button", ui.panel_open.then_some("active"))}
                        aria-expanded={ui.panel_open.to_string()} onclick={on_chat}>
                        { icon(Icon::Chat) }
                        <Badge count={*chat_unread} testid="chat-badge" />
                    </button>
                }
                if features.notifications {
                    <button type="button" aria-label={format!("Notifications, {} unread", *bell_unread)} data-testid="bell-button"
                        class={classes!("icon-button", (ui.popover == Some(Popover::Notifications)).then_some("active"))}
                        aria-expanded={(ui.popover == Some(Popover::Notifications)).to_string()} onclick={on_bell}>
                        { icon(Icon::Bell) }
                        <Badge count={*bell_unread} testid="bell-badge" />
                    </button>
                }
                <button type="button" class="avatar-button" aria-label="Account menu" data-testid="user-button"
                    aria-expanded={(ui.popover == Some(Popover::UserMenu)).to_string()} onclick={on_user}>
                    <span class="avatar">{ initials(&name) }</span>
                </button>
            </nav>
        </header>
    }
}
