//! The home page: a greeting, what needs attention (unread rooms, recent notifications, pending
//! friend requests) with one click to each; a card for what the backend lacks is left out.

use herald_protocol::ipc::Session;
use herald_protocol::wire::FriendRequestStatus;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::components::actions;
use crate::components::badge::Badge;
use crate::components::hooks::use_now;
use crate::components::icons::{icon, Icon};
use crate::components::login::CoreStatusLine;
use crate::components::notification_item::NotificationItem;
use crate::store::friends::FriendsState;
use crate::store::notifications::NotificationsState;
use crate::store::rooms::RoomsState;
use crate::store::session::SessionState;
use crate::store::ui::{Page, UiState};

#[function_component(Home)]
pub fn home() -> Html {
    let ui = use_dispatch::<UiState>();
    let session = use_selector(|s: &SessionState| s.session.clone());
    let features = use_selector(|s: &SessionState| s.backend.features);
    let rooms = use_store_value::<RoomsState>();
    let notifications = use_store_value::<NotificationsState>();
    let friends = use_store_value::<FriendsState>();
    let now = use_now(30_000);
    let (name, me) = match &*session {
        Session::SignedIn { user, .. } => (user.name.clone(), user.id.clone()),
        Session::SignedOut { .. } => (String::new(), String::new()),
    };
    let pending = friends
        .incoming(&me)
        .iter()
        .filter(|r| r.status == FriendRequestStatus::Pending)
        .count() as u32;
    let unread_rooms: Vec<_> = rooms
        .rooms
        .iter()
        .filter(|r| r.room.unread_count > 0)
        .take(5)
        .cloned()
        .collect();
    let recent = notifications.recent(3, now);
    let go = |p: Page| ui.reduce_callback(move |s| (*s).clone().show_page(p).into());
    html! {
        <section class="page home" data-testid="home">
            <header class="page-head">
                <h1>{ format!("Welcome back, {name}") }</h1>
                <p class="muted">{ "Here is what needs your attention." }</p>
            </header>
            <div class="home-grid">
                if features.chat {
                    <div class="card">
                        <h2 class="card-title">{ icon(Icon::Chat) }{ "Unread conversations" }<Badge count={rooms.total_unread()} /></h2>
                        if unread_rooms.is_empty() {
                            <p class="empty">{ icon(Icon::Check) }<span>{ "No unread messages" }</span></p>
                        } else {
                            <ul class="plain-list">
                                { for unread_rooms.into_iter().map(|r| {
                                    let ui = ui.clone();
                                    let id = r.room.id.clone();
                                    let onclick = Callback::from(move |_: MouseEvent| actions::open_room(&ui, &id));
                                    html! {
                                        <li key={r.room.id.clone()}><button type="button" class="list-button" {onclick}>
                                            <strong>{ r.room.name.clone() }</strong>
                                            <span class="muted ellipsis">{ r.room.last_message.as_ref().map(|m| format!("{}: {}", m.sender.name, m.text)).unwrap_or_default() }</span>
                                            <Badge count={r.room.unread_count} quiet={r.muted} />
                                        </button></li>
                                    }
                                }) }
                            </ul>
                        }
                    </div>
                }
                if features.notifications {
                    <div class="card">
                        <h2 class="card-title">{ icon(Icon::Bell) }{ "Latest notifications" }<Badge count={notifications.unread} /></h2>
                        if recent.is_empty() {
                            <p class="empty">{ icon(Icon::Check) }<span>{ "You're all caught up" }</span></p>
                        } else {
                            <ul class="notification-list">
                                { for recent.into_iter().map(|n| html! { <NotificationItem key={n.id.clone()} notification={n.clone()} {now} /> }) }
                            </ul>
                        }
                        <button type="button" class="text-button" onclick={go(Page::Notifications)}>{ "All notifications" }</button>
                    </div>
                }
                if features.friend_requests {
                    <div class="card">
                        <h2 class="card-title">{ icon(Icon::Users) }{ "Friend requests" }<Badge count={pending} /></h2>
                        <p class="muted">{ if pending == 0 { "No pending requests".to_owned() } else { format!("{pending} waiting for your answer") } }</p>
                        <button type="button" class="text-button" onclick={go(Page::FriendRequests)}>{ "Open friend requests" }</button>
                    </div>
                }
            </div>
            <footer class="home-footer"><CoreStatusLine /></footer>
        </section>
    }
}
