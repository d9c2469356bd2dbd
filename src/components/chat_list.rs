//! The chat list: rooms by last activity with name, last message, time, unread badge and muted
//! icon; a filter box (Ctrl+K focuses it).

use herald_protocol::ipc::RoomView;
use herald_protocol::wire::RoomKind;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions;
use crate::components::badge::Badge;
use crate::components::format::list_time;
use crate::components::hooks::use_now;
use crate::components::icons::{icon, Icon};
use crate::store::rooms::{last_activity, RoomsState};
use crate::store::session::SessionState;
use crate::store::ui::UiState;

#[function_component(ChatList)]
pub fn chat_list() -> Html {
    let rooms = use_selector(|s: &RoomsState| s.rooms.clone());
    let focus = use_selector(|s: &UiState| s.focus_filter);
    let filter = use_state(String::new);
    let input_ref = use_node_ref();
    {
        let input_ref = input_ref.clone();
        use_effect_with(*focus, move |n| {
            if *n > 0 {
                if let Some(el) = input_ref.cast::<HtmlInputElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let oninput = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let needle = filter.trim().to_lowercase();
    let shown: Vec<&RoomView> = rooms
        .iter()
        .filter(|r| {
            needle.is_empty()
                || r.room.name.to_lowercase().contains(&needle)
                || r.room
                    .members
                    .iter()
                    .any(|m| m.name.to_lowercase().contains(&needle))
        })
        .collect();
    html! {
        <div class="chat-list">
            <label class="filter-box">
                { icon(Icon::Search) }
                <input type="search" ref={input_ref} placeholder="Filter chats  (Ctrl+K)" aria-label="Filter chats"
                    value={(*filter).clone()} {oninput} data-testid="chat-filter" />
            </label>
            if shown.is_empty() {
                <p class="empty">{ icon(Icon::Chat) }<span>{ if rooms.is_empty() { "No conversations yet" } else { "No chat matches" } }</span></p>
            } else {
                <ul class="rooms" data-testid="room-list">
                    { for shown.into_iter().map(|r| html! { <RoomRow key={r.room.id.clone()} room={r.clone()} /> }) }
                </ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RoomRowProps {
    pub room: RoomView,
}

#[function_component(RoomRow)]
pub fn room_row(p: &RoomRowProps) -> Html {
    let ui = use_dispatch::<UiState>();
    let me = use_selector(|s: &SessionState| s.user_id().unwrap_or_default().to_owned());
    let now = use_now(60_000);
    let r = &p.room;
    let id = r.room.id.clone();
    let onclick = Callback::from(move |_: MouseEvent| actions::open_room(&ui, &id));
    let preview = match (&r.room.last_message, r.draft.is_empty()) {
        (_, false) => {
            html! { <><span class="draft-label">{ "Draft: " }</span>{ r.draft.clone() }</> }
        }
        (Some(m), _) if m.sender.id == *me => html! { <>{ "You: " }{ m.text.clone() }</> },
        (Some(m), _) => html! { <>{ format!("{}: ", m.sender.name) }{ m.text.clone() }</> },
        (None, _) => html! { <span class="muted">{ "No messages yet" }</span> },
    };
    let kind_class = match r.room.kind {
        RoomKind::Job => "room-job",
        RoomKind::Support => "room-support",
        RoomKind::Direct => "room-direct",
        _ => "room-general",
    };
    let unread = r.room.unread_count > 0;
    html! {
        <li>
            <button type="button" class={classes!("room-row", unread.then_some("unread"))} {onclick}
                data-testid="room-row" data-room={r.room.id.clone()}>
                <span class={classes!("avatar", kind_class)} aria-hidden="true">{ r.room.name.chars().next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default() }</span>
                <span class="room-main">
                    <span class="room-line">
                        <span class="room-name">{ r.room.name.clone() }</span>
                        if r.muted { <span class="muted-icon" title="Muted" aria-label="Muted" data-testid="muted-icon">{ icon(Icon::Muted) }</span> }
                        <span class="room-time">{ list_time(last_activity(r), now, bridge::local_offset_secs(now)) }</span>
                    </span>
                    <span class="room-line">
                        <span class="room-preview">{ preview }</span>
                        <Badge count={r.room.unread_count} quiet={r.muted} testid="room-badge" />
                    </span>
                </span>
            </button>
        </li>
    }
}
