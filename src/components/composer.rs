//! The composer: Enter sends, Shift+Enter is a newline; the draft is saved per room (debounced)
//! and restored from the core; typing is announced at most every few seconds.

use herald_protocol::ipc::{ChatMessage, EngineCommand};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::bridge;
use crate::components::icons::{icon, Icon};

/// Debounce of draft saves.
const DRAFT_MS: u32 = 600;
/// "typing: true" is repeated at most this often while typing.
const TYPING_EVERY_MS: f64 = 3_000.0;
/// Silence after which "typing: false" is sent.
const TYPING_IDLE_MS: u32 = 4_000;

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    pub room_id: AttrValue,
    /// The saved draft (used when the room opens).
    pub draft: String,
    pub reply_to: Option<ChatMessage>,
    pub on_cancel_reply: Callback<()>,
}

#[derive(Default)]
struct Timers {
    draft: Option<bridge::Timer>,
    typing_stop: Option<bridge::Timer>,
    typing_sent_ms: Option<f64>,
    saved: String,
}

fn now_ms() -> f64 {
    bridge::now().unix_timestamp_nanos() as f64 / 1e6
}

#[function_component(Composer)]
pub fn composer(p: &ComposerProps) -> Html {
    let text = use_state(|| p.draft.clone());
    let timers = use_mut_ref(|| Timers {
        saved: p.draft.clone(),
        ..Timers::default()
    });
    let area = use_node_ref();
    {
        // Save an unsaved draft and stop "typing" when the room closes.
        let (timers, text, room) = (timers.clone(), text.clone(), p.room_id.to_string());
        let area = area.clone();
        use_effect_with((), move |_| {
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                let _ = el.focus();
            }
            move || {
                let mut t = timers.borrow_mut();
                t.draft = None;
                let current = area
                    .cast::<HtmlTextAreaElement>()
                    .map(|el| el.value())
                    .unwrap_or_else(|| (*text).clone());
                if current != t.saved {
                    bridge::send(EngineCommand::SaveDraft {
                        room_id: room.clone(),
                        text: current,
                    });
                }
                if t.typing_stop.take().is_some() {
                    bridge::send(EngineCommand::SetTyping {
                        room_id: room,
                        typing: false,
                    });
                }
            }
        });
    }

    let send = {
        let (text, timers, room) = (text.clone(), timers.clone(), p.room_id.to_string());
        let (reply_to, cancel) = (p.reply_to.clone(), p.on_cancel_reply.clone());
        move |value: String| {
            let body = value.trim();
            if body.is_empty() {
                return;
            }
            bridge::send(EngineCommand::SendMessage {
                room_id: room.clone(),
                text: body.to_owned(),
                reply_to: reply_to.as_ref().and_then(|m| m.id.clone()),
            });
            text.set(String::new());
            cancel.emit(());
            let mut t = timers.borrow_mut();
            t.draft = None;
            if !t.saved.is_empty() {
                t.saved = String::new();
                bridge::send(EngineCommand::SaveDraft {
                    room_id: room.clone(),
                    text: String::new(),
                });
            }
            if t.typing_stop.take().is_some() || t.typing_sent_ms.is_some() {
                t.typing_sent_ms = None;
                bridge::send(EngineCommand::SetTyping {
                    room_id: room.clone(),
                    typing: false,
                });
            }
        }
    };

    let oninput = {
        let (text, timers, room) = (text.clone(), timers.clone(), p.room_id.to_string());
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            text.set(value.clone());
            let mut t = timers.borrow_mut();
            // Draft, debounced.
            let (room_d, value_d, timers_d) = (room.clone(), value.clone(), timers.clone());
            t.draft = Some(bridge::after(DRAFT_MS, move || {
                timers_d.borrow_mut().saved = value_d.clone();
                bridge::send(EngineCommand::SaveDraft {
                    room_id: room_d,
                    text: value_d,
                });
            }));
            // Typing, throttled.
            if value.is_empty() {
                return;
            }
            let now = now_ms();
            if t.typing_sent_ms
                .is_none_or(|at| now - at >= TYPING_EVERY_MS)
            {
                t.typing_sent_ms = Some(now);
                bridge::send(EngineCommand::SetTyping {
                    room_id: room.clone(),
                    typing: true,
                });
            }
            let (room_t, timers_t) = (room.clone(), timers.clone());
            t.typing_stop = Some(bridge::after(TYPING_IDLE_MS, move || {
                if let Ok(mut t) = timers_t.try_borrow_mut() {
                    t.typing_sent_ms = None;
                    t.typing_stop = None;
                }
                bridge::send(EngineCommand::SetTyping {
                    room_id: room_t,
                    typing: false,
                });
            }));
        })
    };

    let onkeydown = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
                send(value);
            }
        })
    };
    let onclick = {
        let text = text.clone();
        Callback::from(move |_: MouseEvent| send((*text).clone()))
    };
    let cancel_reply = {
        let cb = p.on_cancel_reply.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let rows = text.lines().count().clamp(1, 5).to_string();
    html! {
        <div class="composer">
            if let Some(m) = &p.reply_to {
                <div class="replying" data-testid="replying">
                    <span>{ "Replying to " }<strong>{ m.sender.name.clone() }</strong>{ ": " }{ m.text.clone() }</span>
                    <button type="button" class="icon-button tiny" aria-label="Cancel reply" onclick={cancel_reply}>{ icon(Icon::Close) }</button>
                </div>
            }
            <div class="composer-row">
                <textarea ref={area} value={(*text).clone()} {oninput} {onkeydown} {rows}
                    placeholder="Write a message…" aria-label="Message (Enter sends, Shift+Enter adds a line)" title="Enter sends · Shift+Enter adds a line"
                    maxlength="4000" data-testid="composer-input" />
                <button type="button" class="icon-button send" aria-label="Send" {onclick}
                    disabled={text.trim().is_empty()} data-testid="send">{ icon(Icon::Send) }</button>
            </div>
        </div>
    }
}
