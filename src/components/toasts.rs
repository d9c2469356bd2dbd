//! Toasts, bottom left: icon, title, text, "View"; auto-dismissed after 5 s, paused while the
//! pointer is over one; at most three; announced politely to screen readers.

use std::cell::RefCell;
use std::rc::Rc;

use herald_protocol::ipc::{Toast, ToastKind};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions;
use crate::components::icons::{icon, kind_chip, Icon};
use crate::store::toasts::ToastsState;
use crate::store::ui::UiState;

/// How long a toast stays when not hovered.
pub const TOAST_MS: u32 = 5_000;

#[function_component(Toasts)]
pub fn toasts() -> Html {
    let toasts = use_selector(|s: &ToastsState| s.toasts.clone());
    html! {
        <div class="toasts" aria-live="polite" role="status" data-testid="toasts">
            { for toasts.iter().map(|t| html! { <ToastItem key={t.id.clone()} toast={t.clone()} /> }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ToastProps {
    pub toast: Toast,
}

/// Remaining time and the running timer of one toast.
struct Countdown {
    remaining_ms: f64,
    started_ms: f64,
    timer: Option<bridge::Timer>,
}

#[function_component(ToastItem)]
pub fn toast_item(p: &ToastProps) -> Html {
    let ui = use_dispatch::<UiState>();
    let store = use_dispatch::<ToastsState>();
    let countdown = use_mut_ref(|| Countdown {
        remaining_ms: f64::from(TOAST_MS),
        started_ms: 0.0,
        timer: None,
    });
    let start = {
        let store = store.clone();
        let id = p.toast.id.clone();
        Rc::new(move |cd: &Rc<RefCell<Countdown>>| {
            let mut c = cd.borrow_mut();
            let store = store.clone();
            let id = id.clone();
            c.started_ms = bridge::now().unix_timestamp_nanos() as f64 / 1e6;
            let ms = c.remaining_ms.max(0.0) as u32;
            c.timer = Some(bridge::after(ms, move || {
                actions::dismiss_toast(&store, &id)
            }));
        })
    };
    {
        let countdown = countdown.clone();
        let start = start.clone();
        // A coalesced burst replaces the body: give it its full time again.
        use_effect_with(p.toast.body.clone(), move |_| {
            countdown.borrow_mut().remaining_ms = f64::from(TOAST_MS);
            start(&countdown);
            move || {
                countdown.borrow_mut().timer = None;
            }
        });
    }
    let on_enter = {
        let countdown = countdown.clone();
        Callback::from(move |_: MouseEvent| {
            let mut c = countdown.borrow_mut();
            if c.timer.take().is_some() {
                let now = bridge::now().unix_timestamp_nanos() as f64 / 1e6;
                c.remaining_ms -= now - c.started_ms;
            }
        })
    };
    let on_leave = {
        let countdown = countdown.clone();
        Callback::from(move |_: MouseEvent| {
            if countdown.borrow().timer.is_none() {
                start(&countdown);
            }
        })
    };
    let t = p.toast.clone();
    let view = {
        let (ui, store, t) = (ui.clone(), store.clone(), t.clone());
        Callback::from(move |_: MouseEvent| actions::view_toast(&ui, &store, &t))
    };
    let close = {
        let id = t.id.clone();
        Callback::from(move |_: MouseEvent| actions::dismiss_toast(&store, &id))
    };
    let chip = match &t.kind {
        ToastKind::Message => {
            html! { <span class="kind-chip kind-accent">{ icon(Icon::Chat) }</span> }
        }
        ToastKind::Notification { kind } => kind_chip(kind),
    };
    html! {
        <div class="toast" data-testid="toast" data-id={t.id.clone()} onmouseenter={on_enter} onmouseleave={on_leave}>
            { chip }
            <div class="toast-text">
                <strong class="toast-title">{ t.title.clone() }</strong>
                <span class="toast-body">{ t.body.clone() }</span>
            </div>
            <button type="button" class="button small" onclick={view} data-testid="toast-view">{ "View" }</button>
            <button type="button" class="icon-button small" aria-label="Dismiss" onclick={close} data-testid="toast-close">{ icon(Icon::Close) }</button>
        </div>
    }
}
