//! The app shell in a real browser engine (headless Chromium through wasm-bindgen-test).
//! Outside Tauri nobody is signed in, so the shell shows the sign-in screen with the brand and
//! the core status (the two things the real-window smoke test checks). Native builds compile
//! this file to nothing.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gloo_timers::future::sleep;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the whole app in a fresh element of the test page.
fn mount_app() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<herald_ui::App>::with_root(root.clone()).render();
    root
}

/// Polls until `selector` has text satisfying `ok` (bounded: 2 s).
async fn text_of(root: &web_sys::Element, selector: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Some(el) = root.query_selector(selector).unwrap() {
            last = el.text_content().unwrap_or_default();
            if ok(&last) {
                return last;
            }
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("{selector} never satisfied the condition; last text: {last:?}");
}

#[wasm_bindgen_test]
async fn signed_out_shell_shows_herald_and_the_sign_in_form() {
    let root = mount_app();
    let brand = text_of(&root, "[data-testid=brand]", |t| !t.is_empty()).await;
    assert_eq!(brand, "Herald");
    for id in [
        "login-server",
        "login-username",
        "login-password",
        "login-submit",
    ] {
        assert!(
            root.query_selector(&format!("[data-testid={id}]"))
                .unwrap()
                .is_some(),
            "{id}"
        );
    }
}

#[wasm_bindgen_test]
async fn shell_outside_the_desktop_app_says_the_core_is_not_reachable() {
    // Given a plain browser (no Tauri), when the shell makes its first round trip,
    // then it shows an error a person can act on instead of hanging on "Starting".
    let root = mount_app();
    let status = text_of(&root, "[data-testid=core-status]", |t| {
        t.contains("not reachable")
    })
    .await;
    assert!(status.contains("open the Herald desktop app"), "{status}");
}
