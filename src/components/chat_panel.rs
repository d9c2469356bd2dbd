//! The floating chat panel (bottom right, over the page): the chat list, or one room.

use yew::prelude::*;
use yewdux::prelude::*;

use crate::components::actions;
use crate::components::chat_list::ChatList;
use crate::components::icons::{icon, Icon};
use crate::components::room::RoomPane;
use crate::store::ui::UiState;

#[function_component(ChatPanel)]
pub fn chat_panel() -> Html {
    let ui = use_dispatch::<UiState>();
    let open_room = use_selector(|s: &UiState| s.open_room.clone());
    let close = Callback::from(move |_: MouseEvent| actions::toggle_panel(&ui));
    html! {
        <aside class="chat-panel" aria-label="Chats" data-testid="chat-panel">
            if let Some(room_id) = (*open_room).clone() {
                <RoomPane key={room_id.clone()} room_id={room_id.clone()} on_close={close} />
            } else {
                <header class="panel-head">
                    <h2>{ "Chats" }</h2>
                    <button type="button" class="icon-button small" aria-label="Close chats" onclick={close} data-testid="panel-close">{ icon(Icon::Close) }</button>
                </header>
                <ChatList />
            }
        </aside>
    }
}
