//! The account menu under the avatar: who is signed in, friend requests, settings, sign out.

use herald_protocol::ipc::{Session, SessionCommand};
use herald_protocol::wire::FriendRequestStatus;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::badge::Badge;
use crate::components::icons::{icon, Icon};
use crate::store::friends::FriendsState;
use crate::store::session::SessionState;
use crate::store::ui::{Page, UiState};

#[function_component(UserMenu)]
pub fn user_menu() -> Html {
    let ui = use_dispatch::<UiState>();
    let session = use_selector(|s: &SessionState| s.session.clone());
    let friends = use_selector(|s: &SessionState| s.backend.features.friend_requests);
    let me = use_selector(|s: &SessionState| s.user_id().unwrap_or_default().to_owned());
    let pending = {
        let me = (*me).clone();
        use_selector_with_deps(
            |s: &FriendsState, me: &String| {
                s.incoming(me)
                    .iter()
                    .filter(|r| r.status == FriendRequestStatus::Pending)
                    .count() as u32
            },
            me,
        )
    };
    let (name, server) = match &*session {
        Session::SignedIn { user, server_url } => (user.name.clone(), server_url.clone()),
        Session::SignedOut { .. } => (String::new(), String::new()),
    };
    let go = |page: Page| ui.reduce_callback(move |s| (*s).clone().show_page(page).into());
    let sign_out = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            ui.reduce(|s| (*s).clone().show_page(Page::Home).into());
            bridge::send(SessionCommand::Logout);
        })
    };
    html! {
        <div class="popover user-menu" role="menu" data-testid="user-menu">
            <div class="user-menu-head">
                <strong>{ name }</strong>
                <span class="muted small">{ server }</span>
            </div>
            if *friends {
                <button type="button" role="menuitem" class="menu-item" onclick={go(Page::FriendRequests)} data-testid="menu-friends">
                    { icon(Icon::Users) }<span>{ "Friend requests" }</span><Badge count={*pending} />
                </button>
            }
            <button type="button" role="menuitem" class="menu-item" onclick={go(Page::Settings)} data-testid="menu-settings">
                { icon(Icon::Settings) }<span>{ "Settings" }</span>
            </button>
            <button type="button" role="menuitem" class="menu-item danger" onclick={sign_out} data-testid="menu-sign-out">
                { icon(Icon::SignOut) }<span>{ "Sign out" }</span>
            </button>
        </div>
    }
}
