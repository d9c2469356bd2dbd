//! One room in the chat panel: header (back, name, members, mute), messages, typing line and
//! composer. It remembers how many messages were unread when it opened, for the divider.

use herald_protocol::ipc::{ChatMessage, EngineCommand};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions;
use crate::components::composer::Composer;
use crate::components::icons::{icon, Icon};
use crate::components::message_list::MessageList;
use crate::store::rooms::RoomsState;
use crate::store::session::SessionState;
use crate::store::ui::UiState;

#[derive(Properties, PartialEq)]
pub struct RoomPaneProps {
    pub room_id: AttrValue,
    pub on_close: Callback<MouseEvent>,
}

/// "Bob is typing…", "Bob and Carol are typing…", "Several people are typing…".
pub fn typing_text(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [a] => Some(format!("{a} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        _ => Some("Several people are typing…".to_owned()),
    }
}

#[function_component(RoomPane)]
pub fn room_pane(p: &RoomPaneProps) -> Html {
    let ui = use_dispatch::<UiState>();
    let room = {
        let id = p.room_id.to_string();
        use_selector_with_deps(|s: &RoomsState, id: &String| s.get(id).cloned(), id)
    };
    let me = use_selector(|s: &SessionState| s.user_id().unwrap_or_default().to_owned());
    let can_send = use_selector(|s: &SessionState| s.backend.features.send);
    // Captured once: the core marks the room read as soon as it opens.
    let unread_at_open = use_state(|| room.as_ref().as_ref().map_or(0, |r| r.room.unread_count));
    let reply_to = use_state(|| None::<ChatMessage>);
    let Some(r) = (*room).clone() else {
        return html! {
            <div class="room-missing">
                <p class="empty">{ "This room is no longer available." }</p>
                <button type="button" class="button" onclick={Callback::from(move |_: MouseEvent| actions::close_room(&ui))}>{ "Back to chats" }</button>
            </div>
        };
    };
    let back = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| actions::close_room(&ui))
    };
    let toggle_mute = {
        let (id, muted) = (r.room.id.clone(), r.muted);
        Callback::from(move |_: MouseEvent| {
            bridge::send(EngineCommand::SetRoomMuted {
                room_id: id.clone(),
                muted: !muted,
            })
        })
    };
    let members: Vec<String> = r.room.members.iter().map(|m| m.name.clone()).collect();
    let typing: Vec<String> = r
        .typing
        .iter()
        .filter(|u| u.id != *me)
        .map(|u| u.name.clone())
        .collect();
    let on_reply = {
        let reply_to = reply_to.clone();
        Callback::from(move |m: ChatMessage| reply_to.set(Some(m)))
    };
    let cancel_reply = {
        let reply_to = reply_to.clone();
        Callback::from(move |_: ()| reply_to.set(None))
    };
    html! {
        <div class="room-pane" data-testid="room-pane" data-room={r.room.id.clone()}>
            <header class="panel-head room-head">
                <button type="button" class="icon-button small" aria-label="Back to chats" onclick={back} data-testid="room-back">{ icon(Icon::Back) }</button>
                <div class="room-title">
                    <h2 data-testid="room-name">{ r.room.name.clone() }</h2>
                    <span class="room-members" title={members.join(", ")}>{ format!("{} members · {}", members.len(), members.join(", ")) }</span>
                </div>
                <button type="button" class={classes!("icon-button", "small", r.muted.then_some("active"))}
                    aria-label={if r.muted { "Unmute room" } else { "Mute room" }} aria-pressed={r.muted.to_string()}
                    title={if r.muted { "Muted: no notifications. Click to unmute" } else { "Mute notifications" }}
                    onclick={toggle_mute} data-testid="mute-toggle">
                    { icon(if r.muted { Icon::Muted } else { Icon::Unmuted }) }
                </button>
                <button type="button" class="icon-button small" aria-label="Close chats" onclick={p.on_close.clone()}>{ icon(Icon::Close) }</button>
            </header>
            <MessageList room_id={p.room_id.clone()} unread_at_open={*unread_at_open} has_more={r.has_more} {on_reply} />
            <div class="typing-line" aria-live="polite" data-testid="typing">{ typing_text(&typing).unwrap_or_default() }</div>
            if *can_send {
                <Composer room_id={p.room_id.clone()} draft={r.draft.clone()} reply_to={(*reply_to).clone()} on_cancel_reply={cancel_reply} />
            } else {
                <p class="muted small read-only-note" data-testid="read-only">{ "This backend does not take messages from Herald" }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::typing_text;

    #[test]
    fn typing_lines() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(typing_text(&n(&[])), None);
        assert_eq!(typing_text(&n(&["Bob"])).as_deref(), Some("Bob is typing…"));
        assert_eq!(
            typing_text(&n(&["Bob", "Carol"])).as_deref(),
            Some("Bob and Carol are typing…")
        );
        assert_eq!(
            typing_text(&n(&["A", "B", "C"])).as_deref(),
            Some("Several people are typing…")
        );
    }
}
