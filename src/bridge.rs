//! The ONLY code that touches JavaScript and Tauri: sends a [`UiCommand`] through Tauri's
//! `invoke("dispatch", {command})` and decodes the [`UiReply`] or [`UiError`]; listens to the
//! core's `herald://events`; and the few browser facilities the UI needs (clock, timers, the
//! window's keyboard, the theme attribute).
//!
//! `withGlobalTauri` exposes `window.__TAURI__`; outside Tauri (a plain browser, component tests)
//! it is absent and every call fails with a clear [`UiError`] instead of throwing. Component tests
//! install a [`CommandSink`] to see (and answer) every command the UI sends.

use std::cell::RefCell;
use std::rc::Rc;

use herald_protocol::ipc::{
    ErrorCode, UiCommand, UiError, UiEventBatch, UiReply, DISPATCH_COMMAND, EVENTS_CHANNEL,
};
use herald_protocol::Timestamp;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke`, looked up at call time.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// `window.__TAURI__.event.listen`: resolves to the unlisten function.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "event"], js_name = listen)]
    async fn tauri_listen(event: &str, handler: &js_sys::Function) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct DispatchArgs<'a> {
    command: &'a UiCommand,
}

/// Answers commands instead of the core (component tests, screenshots).
pub type CommandSink = Rc<dyn Fn(&UiCommand) -> Result<UiReply, UiError>>;

thread_local! {
    static SINK: RefCell<Option<CommandSink>> = const { RefCell::new(None) };
    static FROZEN_NOW: RefCell<Option<Timestamp>> = const { RefCell::new(None) };
}

/// Freezes [`now`] at `t` (component tests and screenshots; None: the real clock).
pub fn set_frozen_clock(t: Option<Timestamp>) {
    FROZEN_NOW.with(|c| *c.borrow_mut() = t);
}

/// Routes every command to `sink` instead of Tauri (None: back to Tauri).
pub fn set_command_sink(sink: Option<CommandSink>) {
    SINK.with(|s| *s.borrow_mut() = sink);
}

/// Whether the page runs inside the Tauri webview.
pub fn in_tauri() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("__TAURI__")).ok())
        .is_some_and(|v| !v.is_undefined() && !v.is_null())
}

/// Sends one command to the desktop core and waits for its answer.
pub async fn dispatch(command: impl Into<UiCommand>) -> Result<UiReply, UiError> {
    let command = command.into();
    if let Some(sink) = SINK.with(|s| s.borrow().clone()) {
        return sink(&command);
    }
    if !in_tauri() {
        return Err(UiError::new(
            ErrorCode::Internal,
            "Herald's core is not reachable: open the Herald desktop app",
        ));
    }
    let args = serde_wasm_bindgen::to_value(&DispatchArgs { command: &command }).map_err(|e| {
        UiError::new(
            ErrorCode::Internal,
            format!("could not encode command: {e}"),
        )
    })?;
    match tauri_invoke(DISPATCH_COMMAND, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| UiError::new(ErrorCode::Internal, format!("bad reply from core: {e}"))),
        Err(err) => Err(
            serde_wasm_bindgen::from_value::<UiError>(err.clone()).unwrap_or_else(|_| {
                UiError::new(
                    ErrorCode::Internal,
                    err.as_string().unwrap_or_else(|| format!("{err:?}")),
                )
            }),
        ),
    }
}

/// Fire-and-forget: sends a command whose effects arrive as events; a failure is logged.
pub fn send(command: impl Into<UiCommand>) {
    let command = command.into();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = dispatch(command).await {
            web_sys::console::warn_1(&JsValue::from_str(&format!("herald: {e}")));
        }
    });
}

/// A live subscription to the core's events; dropping it unlistens.
pub struct EventSubscription {
    unlisten: Rc<RefCell<Option<js_sys::Function>>>,
    _handler: Closure<dyn FnMut(JsValue)>,
}

impl Drop for EventSubscription {
    fn drop(&mut self) {
        if let Some(f) = self.unlisten.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

/// Listens to `herald://events`, calling `on_batch` with every decoded batch. Outside Tauri
/// there is nothing to listen to and this returns None.
pub fn listen(on_batch: impl Fn(UiEventBatch) + 'static) -> Option<EventSubscription> {
    if !in_tauri() {
        return None;
    }
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload = js_sys::Reflect::get(&event, &JsValue::from_str("payload"))
            .unwrap_or(JsValue::UNDEFINED);
        match serde_wasm_bindgen::from_value::<UiEventBatch>(payload) {
            Ok(batch) => on_batch(batch),
            Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!(
                "herald: undecodable event batch: {e}"
            ))),
        }
    });
    let unlisten = Rc::new(RefCell::new(None));
    let function: js_sys::Function = handler.as_ref().unchecked_ref::<js_sys::Function>().clone();
    let slot = unlisten.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match tauri_listen(EVENTS_CHANNEL, &function).await {
            Ok(f) => *slot.borrow_mut() = f.dyn_into::<js_sys::Function>().ok(),
            Err(e) => web_sys::console::error_2(&JsValue::from_str("herald: listen failed"), &e),
        }
    });
    Some(EventSubscription {
        unlisten,
        _handler: handler,
    })
}

// ---------------------------------------------------------------------------------------------
// Clock and timers

/// The wall clock (UTC).
pub fn now() -> Timestamp {
    if let Some(t) = FROZEN_NOW.with(|c| *c.borrow()) {
        return t;
    }
    let ms = js_sys::Date::now();
    Timestamp::from_unix_timestamp_nanos((ms as i128) * 1_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The local time zone's offset from UTC at `t`, in seconds.
pub fn local_offset_secs(t: Timestamp) -> i32 {
    let d = js_sys::Date::new(&JsValue::from_f64((t.unix_timestamp() as f64) * 1000.0));
    -(d.get_timezone_offset() as i32) * 60
}

/// A pending one-shot timer; dropping it cancels.
pub type Timer = gloo_timers::callback::Timeout;
/// A repeating timer; dropping it cancels.
pub type Ticker = gloo_timers::callback::Interval;

pub fn after(ms: u32, f: impl FnOnce() + 'static) -> Timer {
    gloo_timers::callback::Timeout::new(ms, f)
}

pub fn every(ms: u32, f: impl FnMut() + 'static) -> Ticker {
    gloo_timers::callback::Interval::new(ms, f)
}

// ---------------------------------------------------------------------------------------------
// Window

/// A window `keydown` listener; dropping it removes it.
pub struct KeyListener {
    closure: Closure<dyn FnMut(web_sys::KeyboardEvent)>,
}

impl Drop for KeyListener {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ = w.remove_event_listener_with_callback(
                "keydown",
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Calls `f` for every key pressed anywhere in the window.
pub fn on_keydown(f: impl FnMut(web_sys::KeyboardEvent) + 'static) -> Option<KeyListener> {
    let closure = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(f);
    let w = web_sys::window()?;
    w.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref())
        .ok()?;
    Some(KeyListener { closure })
}

/// Sets `<html data-theme=...>` ("light", "dark", or removed to follow the system).
pub fn set_theme(theme: Option<&str>) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme {
        Some(t) => root.set_attribute("data-theme", t),
        None => root.remove_attribute("data-theme"),
    };
}
