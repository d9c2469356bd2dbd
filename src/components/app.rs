//! The app shell: nav bar on top, the main area below. On mount it makes the first round trip
//! to the core (`app_info`) and shows its answer, so a broken bridge is visible at once.

use herald_protocol::ipc::UiCommand;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::nav_bar::NavBar;
use crate::store::shell::{CoreStatus, ShellState};

#[function_component(App)]
pub fn app() -> Html {
    let (state, dispatch) = use_store::<ShellState>();

    use_effect_with((), move |_| {
        wasm_bindgen_futures::spawn_local(async move {
            let reply = bridge::dispatch(UiCommand::AppInfo).await;
            dispatch.reduce(|s| (*s).clone().with_app_info_reply(reply).into());
        });
    });

    let status = match &state.core {
        CoreStatus::Loading => html! {
            <p class="core-status loading" data-testid="core-status">{ "Starting Herald…" }</p>
        },
        CoreStatus::Ready(info) => html! {
            <p class="core-status ready" data-testid="core-status">
                { format!("{} {} · protocol v{}", info.name, info.version, info.protocol) }
            </p>
        },
        CoreStatus::Failed(err) => html! {
            <p class="core-status failed" role="alert" data-testid="core-status">
                { err.message.clone() }
            </p>
        },
    };

    html! {
        <div class="app">
            <NavBar />
            <main class="main">
                <section class="welcome">
                    <h1>{ "Welcome to Herald" }</h1>
                    <p class="muted">{ "Chat and notifications, live." }</p>
                    { status }
                </section>
            </main>
        </div>
    }
}
