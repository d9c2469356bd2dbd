//! Renders every screen over fixture stores and checks nothing is missing. Built with
//! `HERALD_SCREENSHOTS=1` in the environment, it also prints each screen's HTML (one JSON line
//! per screen, prefixed `SCREEN `) so a script can render them with the real stylesheet in
//! Chromium. (docs/screenshots/ come from the real window: tests/e2e/screens.py.)
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_fixtures.rs"]
mod ui_fixtures;

use herald_protocol::ipc::{AppInfo, ConnStatus, DisconnectReason, Session, UiEvent};
use herald_ui::components::{login::Login, shell::Shell};
use herald_ui::store::{
    fixtures,
    shell::{CoreStatus, ShellState},
    ui::{Page, Popover, UiState},
};
use ui_fixtures::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;
use yewdux::Dispatch;

wasm_bindgen_test_configure!(run_in_browser);

async fn capture(name: &str, root: &web_sys::Element) {
    tick().await;
    tick().await;
    if option_env!("HERALD_SCREENSHOTS").is_some() {
        // Properties are not in the HTML: copy what the static page needs into attributes.
        let inputs = root.query_selector_all("input").unwrap();
        for i in 0..inputs.length() {
            let input: web_sys::HtmlInputElement = inputs.item(i).unwrap().dyn_into().unwrap();
            if input.checked() {
                input.set_attribute("checked", "").unwrap();
            }
            input.set_attribute("value", &input.value()).unwrap();
        }
        let line = serde_json::to_string(&(name, root.inner_html())).unwrap();
        web_sys::console::log_1(&format!("SCREEN {line}").into());
    }
    root.remove();
}

fn with_ui(cx: &yewdux::Context, ui: UiState) {
    Dispatch::<UiState>::new(cx).set(ui);
    Dispatch::<ShellState>::new(cx).set(ShellState {
        core: CoreStatus::Ready(AppInfo {
            name: "Herald".into(),
            version: "0.1.0".into(),
            protocol: 1,
            tray: true,
        }),
    });
}

#[wasm_bindgen_test]
async fn every_screen_renders_over_fixture_state() {
    record_commands();
    // Sign-in, with an error.
    let cx = fixture_cx();
    apply(
        &cx,
        vec![UiEvent::Session(Session::SignedOut {
            last_server_url: Some("http://127.0.0.1:8080".into()),
        })],
    );
    with_ui(&cx, UiState::default());
    let root = mount(&cx, html! { <Login /> });
    until(&root, "login", |r| {
        q(r, "[data-testid=login-server]").is_some()
    })
    .await;
    capture("login", &root).await;

    let screens: Vec<(&str, UiState, &str)> = vec![
        ("home", UiState::default(), "[data-testid=home]"),
        (
            "notification-center",
            UiState {
                popover: Some(Popover::Notifications),
                ..UiState::default()
            },
            "[data-testid=notification-center]",
        ),
        (
            "chat-list",
            UiState {
                panel_open: true,
                ..UiState::default()
            },
            "[data-testid=room-list]",
        ),
        (
            "room",
            UiState {
                panel_open: true,
                open_room: Some("r1".into()),
                ..UiState::default()
            },
            "[data-testid=message]",
        ),
        (
            "notifications-page",
            UiState {
                page: Page::Notifications,
                ..UiState::default()
            },
            "[data-testid=notifications-page] [data-testid=notification]",
        ),
        (
            "friend-requests",
            UiState {
                page: Page::FriendRequests,
                ..UiState::default()
            },
            "[data-testid=friend-request]",
        ),
        (
            "settings",
            UiState {
                page: Page::Settings,
                ..UiState::default()
            },
            "[data-testid=settings-page]",
        ),
        (
            "user-menu",
            UiState {
                popover: Some(Popover::UserMenu),
                ..UiState::default()
            },
            "[data-testid=user-menu]",
        ),
    ];
    for (name, ui, expect) in screens {
        let cx = fixture_cx();
        if name == "room" {
            let mut typing = fixtures::room(
                "r1",
                "Job #12",
                2,
                Some(("bob", "Can you check the stock?", 120)),
            );
            typing.typing = vec![fixtures::user("bob")];
            apply(&cx, vec![UiEvent::RoomUpserted(Box::new(typing))]);
        }
        if name == "home" {
            apply(
                &cx,
                vec![
                    UiEvent::Toast(Box::new(fixtures::toast("t1", Some("r1")))),
                    UiEvent::Toast(Box::new(fixtures::toast("t2", None))),
                ],
            );
        }
        if name == "chat-list" {
            apply(
                &cx,
                vec![UiEvent::Connection(ConnStatus::Reconnecting {
                    retry_at: fixtures::at(-4),
                    reason: DisconnectReason::TransportClosed,
                })],
            );
        }
        with_ui(&cx, ui);
        let root = mount(&cx, html! { <Shell /> });
        until(&root, name, |r| q(r, expect).is_some()).await;
        assert_eq!(
            text(&root, "[data-testid=brand]").as_deref(),
            Some("Herald"),
            "{name}"
        );
        capture(name, &root).await;
    }
}
