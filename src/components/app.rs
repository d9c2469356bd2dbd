//! The app root: the first round trips to the core (`app_info`, `get_view_state`), the event
//! subscription, window keys (Esc, Ctrl+K), the theme, and the signed-out / signed-in switch.

use herald_protocol::ipc::{EngineCommand, ShellCommand, Theme, UiEvent, UiReply};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::login::Login;
use crate::components::shell::Shell;
use crate::store::session::SessionState;
use crate::store::shell::ShellState;
use crate::store::sync;
use crate::store::ui::UiState;

#[function_component(App)]
pub fn app() -> Html {
    let shell = use_dispatch::<ShellState>();
    let session = use_dispatch::<SessionState>();
    let ui = use_dispatch::<UiState>();
    let signed_in = use_selector(|s: &SessionState| s.signed_in());
    let theme = use_selector(|s: &SessionState| s.settings.theme);

    use_effect_with((), move |_| {
        let cx = session.context().clone();
        {
            let shell = shell.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let reply = bridge::dispatch(ShellCommand::AppInfo).await;
                shell.reduce(|s| (*s).clone().with_app_info_reply(reply).into());
            });
        }
        let events = {
            let cx = cx.clone();
            bridge::listen(move |batch| {
                sync::apply_batch(&cx, &batch.events);
                for ev in &batch.events {
                    if let UiEvent::Navigate { room_id } = ev {
                        bridge::send(EngineCommand::OpenRoom {
                            room_id: room_id.clone(),
                        });
                    }
                }
            })
        };
        {
            let session = session.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // A Reset that raced ahead of this answer is newer: keep it.
                if let Ok(UiReply::ViewState(view)) =
                    bridge::dispatch(EngineCommand::GetViewState).await
                {
                    if !session.get().synced {
                        sync::load_view_state(&cx, *view);
                    }
                }
            });
        }
        let keys = bridge::on_keydown(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                let leaves_room = ui.get().popover.is_none() && ui.get().open_room.is_some();
                ui.reduce(|s| (*s).clone().escape().into());
                if leaves_room {
                    bridge::send(EngineCommand::CloseRoom);
                }
            } else if (e.ctrl_key() || e.meta_key()) && e.key().eq_ignore_ascii_case("k") {
                e.prevent_default();
                ui.reduce(|s| (*s).clone().focus_filter().into());
            }
        });
        move || {
            drop(events);
            drop(keys);
        }
    });

    use_effect_with(*theme, |theme| {
        bridge::set_theme(match theme {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        });
    });

    if *signed_in {
        html! { <Shell /> }
    } else {
        html! { <Login /> }
    }
}
