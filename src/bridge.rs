//! The ONLY code that touches JavaScript and Tauri: sends a [`UiCommand`] through Tauri's
//! `invoke("dispatch", {command})` and decodes the [`UiReply`] or [`UiError`].
//!
//! `withGlobalTauri` exposes `window.__TAURI__`; outside Tauri (a plain browser, component tests)
//! it is absent and every call fails with a clear [`UiError`] instead of throwing.

use herald_protocol::ipc::{ErrorCode, UiCommand, UiError, UiReply, DISPATCH_COMMAND};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke`, looked up at call time.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct DispatchArgs<'a> {
    command: &'a UiCommand,
}

/// Whether the page runs inside the Tauri webview.
pub fn in_tauri() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("__TAURI__")).ok())
        .is_some_and(|v| !v.is_undefined() && !v.is_null())
}

/// Sends one command to the desktop core and waits for its answer.
pub async fn dispatch(command: UiCommand) -> Result<UiReply, UiError> {
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
