//! Friend requests: incoming with accept / decline, outgoing with their status; live.

use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::{FriendRequest, FriendRequestStatus};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::format::{initials, relative_time};
use crate::components::hooks::use_now;
use crate::components::icons::{icon, Icon};
use crate::store::friends::FriendsState;
use crate::store::session::SessionState;

fn status_chip(s: FriendRequestStatus) -> Html {
    let (class, text) = match s {
        FriendRequestStatus::Pending => ("chip", "Pending"),
        FriendRequestStatus::Accepted => ("chip ok", "Accepted"),
        FriendRequestStatus::Declined => ("chip muted", "Declined"),
    };
    html! { <span class={class} data-testid="request-status">{ text }</span> }
}

#[function_component(FriendRequestsPage)]
pub fn friend_requests_page() -> Html {
    let state = use_store_value::<FriendsState>();
    let me = use_selector(|s: &SessionState| s.user_id().unwrap_or_default().to_owned());
    let can_answer = use_selector(|s: &SessionState| s.backend.features.answer_friend_requests);
    let now = use_now(30_000);
    let incoming = state.incoming(&me);
    let outgoing = state.outgoing(&me);
    let row = |r: &FriendRequest, incoming: bool| {
        let other = if incoming { &r.from } else { &r.to };
        let respond = |accept: bool| {
            let id = r.id.clone();
            Callback::from(move |_: MouseEvent| {
                bridge::send(EngineCommand::RespondFriendRequest {
                    request_id: id.clone(),
                    accept,
                })
            })
        };
        html! {
            <li class="request" key={r.id.clone()} data-testid="friend-request">
                <span class="avatar">{ initials(&other.name) }</span>
                <span class="request-text">
                    <strong>{ other.name.clone() }</strong>
                    <span class="muted small">{ if incoming { "wants to be your friend · " } else { "you sent a request · " } }{ relative_time(r.created_at, now) }</span>
                </span>
                if incoming && r.status == FriendRequestStatus::Pending && *can_answer {
                    <span class="request-actions">
                        <button type="button" class="button primary small" onclick={respond(true)} data-testid="accept">{ icon(Icon::Check) }{ "Accept" }</button>
                        <button type="button" class="button small" onclick={respond(false)} data-testid="decline">{ "Decline" }</button>
                    </span>
                } else {
                    { status_chip(r.status) }
                }
            </li>
        }
    };
    html! {
        <section class="page friends-page" data-testid="friends-page">
            <header class="page-head"><h1>{ "Friend requests" }</h1></header>
            <div class="card">
                <h2 class="card-title">{ "Incoming" }</h2>
                if incoming.is_empty() {
                    <p class="empty">{ icon(Icon::Users) }<span>{ "No requests for you right now" }</span></p>
                } else {
                    <ul class="requests">{ for incoming.iter().map(|r| row(r, true)) }</ul>
                }
            </div>
            <div class="card">
                <h2 class="card-title">{ "Sent" }</h2>
                if outgoing.is_empty() {
                    <p class="empty">{ icon(Icon::UserPlus) }<span>{ "You have not sent any requests" }</span></p>
                } else {
                    <ul class="requests">{ for outgoing.iter().map(|r| row(r, false)) }</ul>
                }
            </div>
        </section>
    }
}
