//! Settings: every field of the desktop shell's settings, applied immediately (SetSettings).

use herald_protocol::ipc::{
    EngineCommand, QuietHours, Settings, ShellCommand, Theme, UiReply, UpdateStatus,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::store::rooms::RoomsState;
use crate::store::session::SessionState;
use crate::store::shell::{CoreStatus, ShellState};

/// Applies settings at once (optimistically) and tells the core, which persists them.
fn apply(dispatch: &Dispatch<SessionState>, settings: Settings) {
    dispatch.reduce(|s| {
        let mut next = (*s).clone();
        next.settings = settings.clone();
        next.into()
    });
    bridge::send(EngineCommand::SetSettings { settings });
}

#[derive(Properties, PartialEq)]
struct ToggleProps {
    label: AttrValue,
    hint: AttrValue,
    checked: bool,
    testid: AttrValue,
    onchange: Callback<bool>,
}

#[function_component(Toggle)]
fn toggle(p: &ToggleProps) -> Html {
    let cb = p.onchange.clone();
    let onchange = Callback::from(move |e: Event| {
        cb.emit(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    html! {
        <label class="setting">
            <span class="setting-text"><strong>{ p.label.clone() }</strong><span class="muted small">{ p.hint.clone() }</span></span>
            <input type="checkbox" role="switch" class="switch" checked={p.checked} {onchange} data-testid={p.testid.clone()} />
        </label>
    }
}

#[function_component(SettingsPage)]
pub fn settings_page() -> Html {
    let (session, dispatch) = use_store::<SessionState>();
    let rooms = use_selector(|s: &RoomsState| {
        s.rooms
            .iter()
            .map(|r| (r.room.id.clone(), r.room.name.clone()))
            .collect::<Vec<_>>()
    });
    let core = use_selector(|s: &ShellState| s.core.clone());
    let update = use_state(|| None::<String>);
    let s = session.settings.clone();
    let set = |f: fn(&mut Settings, bool)| {
        let (dispatch, s) = (dispatch.clone(), s.clone());
        Callback::from(move |v: bool| {
            let mut next = s.clone();
            f(&mut next, v);
            apply(&dispatch, next);
        })
    };
    let theme_button = |t: Theme, label: &'static str| {
        let (dispatch, s2) = (dispatch.clone(), s.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            apply(
                &dispatch,
                Settings {
                    theme: t,
                    ..s2.clone()
                },
            )
        });
        html! {
            <button type="button" role="radio" aria-checked={(s.theme == t).to_string()} class={classes!("tab", (s.theme == t).then_some("active"))} {onclick}
                data-testid={format!("theme-{}", label.to_lowercase())}>{ label }</button>
        }
    };
    let quiet = s.quiet_hours.clone();
    let quiet_toggle = {
        let (dispatch, s) = (dispatch.clone(), s.clone());
        Callback::from(move |on: bool| {
            let quiet_hours = on.then(|| QuietHours {
                from: "22:00".into(),
                to: "07:00".into(),
            });
            apply(
                &dispatch,
                Settings {
                    quiet_hours,
                    ..s.clone()
                },
            );
        })
    };
    let quiet_time = |from: bool| {
        let (dispatch, s) = (dispatch.clone(), s.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            let mut q = s.quiet_hours.clone().unwrap_or(QuietHours {
                from: "22:00".into(),
                to: "07:00".into(),
            });
            if from {
                q.from = v
            } else {
                q.to = v
            }
            apply(
                &dispatch,
                Settings {
                    quiet_hours: Some(q),
                    ..s.clone()
                },
            );
        })
    };
    let unmute = |room: String| {
        let (dispatch, s) = (dispatch.clone(), s.clone());
        Callback::from(move |_: MouseEvent| {
            let mut next = s.clone();
            next.muted_rooms.retain(|r| r != &room);
            apply(&dispatch, next);
        })
    };
    let check_updates = {
        let update = update.clone();
        Callback::from(move |_: MouseEvent| {
            let update = update.clone();
            update.set(Some("Checking…".into()));
            wasm_bindgen_futures::spawn_local(async move {
                update.set(Some(
                    match bridge::dispatch(ShellCommand::CheckForUpdates).await {
                        Ok(UiReply::Update(UpdateStatus::UpToDate)) => {
                            "Herald is up to date".into()
                        }
                        Ok(UiReply::Update(UpdateStatus::Ready { version })) => {
                            format!("Version {version} installs on the next restart")
                        }
                        Ok(_) => "Herald is up to date".into(),
                        Err(e) => format!("Could not check for updates: {}", e.message),
                    },
                ));
            });
        })
    };
    // Without a tray host (stock GNOME) a hidden window could not be brought back.
    let tray_hint = match &*core {
        CoreStatus::Ready(i) if !i.tray => "No tray icon is shown on this desktop, so closing the window minimizes Herald instead (it keeps running and notifying)",
        _ => "Closing the window hides it to the tray",
    };
    let version = match &*core {
        CoreStatus::Ready(i) => format!("{} {} · protocol v{}", i.name, i.version, i.protocol),
        _ => "Herald".into(),
    };
    html! {
        <section class="page settings-page" data-testid="settings-page">
            <header class="page-head"><h1>{ "Settings" }</h1></header>
            <div class="card">
                <h2 class="card-title">{ "Appearance" }</h2>
                <div class="setting">
                    <span class="setting-text"><strong>{ "Theme" }</strong><span class="muted small">{ "System follows your desktop's light or dark mode" }</span></span>
                    <div class="tabs" role="radiogroup" aria-label="Theme">
                        { theme_button(Theme::System, "System") }
                        { theme_button(Theme::Light, "Light") }
                        { theme_button(Theme::Dark, "Dark") }
                    </div>
                </div>
            </div>
            <div class="card">
                <h2 class="card-title">{ "Notifications" }</h2>
                <Toggle label="Do not disturb" hint="No desktop notifications or toasts" checked={s.dnd} testid="set-dnd" onchange={set(|s, v| s.dnd = v)} />
                <Toggle label="Mentions and direct messages only" hint="Other rooms and routine alerts stay quiet; urgent alerts (out of stock, priority 4–5) still notify" checked={s.mentions_only} testid="set-mentions" onchange={set(|s, v| s.mentions_only = v)} />
                <Toggle label="Show message previews" hint="Off: \"New message from Bob\"" checked={s.previews} testid="set-previews" onchange={set(|s, v| s.previews = v)} />
                <Toggle label="Quiet hours" hint="No desktop notifications during these hours" checked={quiet.is_some()} testid="set-quiet" onchange={quiet_toggle} />
                if let Some(q) = &quiet {
                    <div class="setting indent">
                        <label class="inline-field">{ "From" }<input type="time" value={q.from.clone()} onchange={quiet_time(true)} /></label>
                        <label class="inline-field">{ "To" }<input type="time" value={q.to.clone()} onchange={quiet_time(false)} /></label>
                    </div>
                }
                <div class="setting column">
                    <span class="setting-text"><strong>{ "Muted rooms" }</strong><span class="muted small">{ "Mute a room from its header in the chat panel" }</span></span>
                    if s.muted_rooms.is_empty() {
                        <span class="muted small">{ "None" }</span>
                    } else {
                        <ul class="chips">
                            { for s.muted_rooms.iter().map(|id| {
                                let name = rooms.iter().find(|(r, _)| r == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.clone());
                                html! { <li class="chip">{ name }<button type="button" class="text-button" onclick={unmute(id.clone())}>{ "Unmute" }</button></li> }
                            }) }
                        </ul>
                    }
                </div>
            </div>
            <div class="card">
                <h2 class="card-title">{ "Desktop" }</h2>
                <Toggle label="Keep running in the tray" hint={tray_hint} checked={s.close_to_tray} testid="set-tray" onchange={set(|s, v| s.close_to_tray = v)} />
                <Toggle label="Start on login" hint="Open Herald when you sign in to your computer" checked={s.start_on_login} testid="set-autostart" onchange={set(|s, v| s.start_on_login = v)} />
                <div class="setting">
                    <span class="setting-text"><strong>{ "Version" }</strong><span class="muted small">{ version }</span></span>
                    <button type="button" class="button" onclick={check_updates}>{ "Check for updates" }</button>
                </div>
                if let Some(u) = &*update { <p class="muted small" role="status">{ u.clone() }</p> }
            </div>
        </section>
    }
}
