//! Component tests of the app shell in a real browser engine (headless Chromium through
//! wasm-bindgen-test). Native builds compile this file to nothing.
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
async fn shell_renders_the_herald_header_with_chat_and_bell_buttons() {
    let root = mount_app();
    let brand = text_of(&root, "[data-testid=brand]", |t| !t.is_empty()).await;
    assert_eq!(brand, "Herald");
    assert!(root
        .query_selector("[data-testid=chat-button]")
        .unwrap()
        .is_some());
    assert!(root
        .query_selector("[data-testid=bell-button]")
        .unwrap()
        .is_some());
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
