//! Components in a real browser engine (headless Chromium through wasm-bindgen-test), each
//! rendered over fixture stores with the bridge's commands recorded instead of sent to Tauri.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_fixtures.rs"]
mod ui_fixtures;

use std::time::Duration;

use gloo_timers::future::sleep;
use herald_protocol::ipc::{EngineCommand, SessionCommand, ShellCommand, UiCommand, UiEvent};
use herald_ui::components::{
    chat_list::ChatList, nav_bar::NavBar, notification_center::NotificationCenter,
    notifications_page::NotificationsPage, room::RoomPane, toasts::Toasts,
};
use herald_ui::store::{fixtures, ui::UiState};
use ui_fixtures::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;
use yewdux::Dispatch;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn nav_badges_count_unread_and_cap_at_99_plus() {
    // Given alice with 2 unread chat messages and 5 unread notifications
    let cx = fixture_cx();
    record_commands();
    let root = mount(&cx, html! { <NavBar /> });
    until(&root, "badges", |r| {
        text(r, "[data-testid=chat-badge]").as_deref() == Some("2")
    })
    .await;
    assert_eq!(
        text(&root, "[data-testid=bell-badge]").as_deref(),
        Some("5")
    );
    // When the core reports 150 unread notifications, then the bell says 99+
    apply(&cx, vec![UiEvent::NotificationsUnread { count: 150 }]);
    until(&root, "99+", |r| {
        text(r, "[data-testid=bell-badge]").as_deref() == Some("99+")
    })
    .await;
    // When the room is read, then the chat badge disappears
    apply(
        &cx,
        vec![UiEvent::RoomUpserted(Box::new(fixtures::room(
            "r1",
            "Job #12",
            0,
            Some(("bob", "Can you check the stock?", 120)),
        )))],
    );
    until(&root, "no chat badge", |r| {
        q(r, "[data-testid=chat-badge]").is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn chat_list_moves_a_room_to_the_top_when_a_message_arrives() {
    let cx = fixture_cx();
    record_commands();
    let root = mount(&cx, html! { <ChatList /> });
    until(&root, "rows", |r| {
        all_attr(r, "[data-testid=room-row]", "data-room").len() == 3
    })
    .await;
    assert_eq!(
        all_attr(&root, "[data-testid=room-row]", "data-room"),
        ["r1", "r2", "r3"]
    );
    assert!(
        q(&root, "[data-room=r2] [data-testid=muted-icon]").is_some(),
        "muted icon"
    );
    apply(
        &cx,
        vec![UiEvent::RoomUpserted(Box::new(fixtures::room(
            "r3",
            "General",
            1,
            Some(("bob", "lunch?", 1)),
        )))],
    );
    until(&root, "r3 first", |r| {
        all_attr(r, "[data-testid=room-row]", "data-room") == ["r3", "r1", "r2"]
    })
    .await;
    assert_eq!(
        text(&root, "[data-room=r3] [data-testid=room-badge]").as_deref(),
        Some("1")
    );
    // Clicking a room opens it: OpenRoom goes to the core.
    let log = record_commands();
    click(&root, "[data-room=r3]");
    tick().await;
    assert!(log
        .borrow()
        .contains(&UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "r3".into()
        })));
    assert_eq!(
        Dispatch::<UiState>::new(&cx).get().open_room.as_deref(),
        Some("r3")
    );
}

#[wasm_bindgen_test]
async fn own_messages_show_pending_and_failed_with_retry_and_discard() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(
        &cx,
        html! { <RoomPane room_id="r1" on_close={Callback::noop()} /> },
    );
    until(&root, "messages", |r| q(r, "[data-key=m7]").is_some()).await;
    assert!(q(&root, "[data-key=m6] [data-testid=pending]").is_some());
    assert!(q(&root, "[data-key=m6] [data-testid=failed]").is_none());
    assert!(q(&root, "[data-key=m7] [data-testid=failed]").is_some());
    assert!(
        q(&root, "[data-key=m7].own").is_some(),
        "own messages are marked own"
    );
    assert!(q(&root, "[data-key=m1].own").is_none());
    click(&root, "[data-key=m7] [data-testid=retry-send]");
    click(&root, "[data-key=m7] [data-testid=discard-send]");
    tick().await;
    let sent = log.borrow().clone();
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::RetrySend {
            key: "m7".into()
        })),
        "{sent:?}"
    );
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::DiscardSend {
            key: "m7".into()
        })),
        "{sent:?}"
    );
    // The core confirms the pending one: the clock goes away.
    let mut confirmed = fixtures::message("r1", "m6", "alice", "On my way", 30);
    confirmed.id = Some("srv-6".into());
    apply(
        &cx,
        vec![UiEvent::MessagesUpserted {
            room_id: "r1".into(),
            messages: vec![confirmed],
        }],
    );
    until(&root, "sent", |r| {
        q(r, "[data-key=m6] [data-testid=pending]").is_none()
    })
    .await;
    // Discarded by the core: the message leaves.
    apply(
        &cx,
        vec![UiEvent::MessageRemoved {
            room_id: "r1".into(),
            key: "m7".into(),
        }],
    );
    until(&root, "removed", |r| q(r, "[data-key=m7]").is_none()).await;
}

#[wasm_bindgen_test]
async fn message_html_is_shown_literally_and_links_open_in_the_browser() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(
        &cx,
        html! { <RoomPane room_id="r1" on_close={Callback::noop()} /> },
    );
    until(&root, "m4", |r| q(r, "[data-key=m4]").is_some()).await;
    let m4 = q(&root, "[data-key=m4] [data-testid=message-text]").unwrap();
    assert_eq!(m4.text_content().unwrap(), "<b>not bold</b> & stays text");
    assert!(
        m4.query_selector("b").unwrap().is_none(),
        "no <b> element was created"
    );
    click(&root, "[data-key=m3] a.link");
    tick().await;
    assert!(log
        .borrow()
        .contains(&UiCommand::Shell(ShellCommand::OpenUrl {
            url: "https://example.com/jobs/12".into()
        })));
    assert!(
        web_sys::window()
            .unwrap()
            .location()
            .href()
            .unwrap()
            .contains("127.0.0.1"),
        "the page did not navigate"
    );
    // The reply quote shows the original message.
    assert!(text(&root, "[data-key=m5] [data-testid=quote]")
        .unwrap()
        .contains("I'll bring the supplies"));
}

#[wasm_bindgen_test]
async fn room_shows_the_new_messages_divider_and_enter_sends() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(
        &cx,
        html! { <RoomPane room_id="r1" on_close={Callback::noop()} /> },
    );
    // r1 had 2 unread when opened: the divider sits before the last 2 messages of others.
    until(&root, "divider", |r| {
        q(r, "[data-testid=new-divider]").is_some()
    })
    .await;
    let next = q(&root, "[data-testid=new-divider]")
        .unwrap()
        .next_element_sibling()
        .unwrap();
    assert_eq!(next.get_attribute("data-key").as_deref(), Some("m4"));
    // The divider is in sight, so there is nothing to jump to.
    assert!(
        q(&root, "[data-testid=jump-unread]").is_none(),
        "jump-to-unread shows only while the divider is out of sight"
    );
    // Typing and Enter: SetTyping, then SendMessage.
    let area: web_sys::HtmlTextAreaElement = q(&root, "[data-testid=composer-input]")
        .unwrap()
        .dyn_into()
        .unwrap();
    area.set_value("hello <there>");
    area.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    tick().await;
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_bubbles(true);
    init.set_cancelable(true);
    area.dispatch_event(
        &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
    )
    .unwrap();
    tick().await;
    let sent = log.borrow().clone();
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::SetTyping {
            room_id: "r1".into(),
            typing: true
        })),
        "{sent:?}"
    );
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::SendMessage {
            room_id: "r1".into(),
            text: "hello <there>".into(),
            reply_to: None
        })),
        "{sent:?}"
    );
    until(&root, "cleared", |r| {
        q(r, "[data-testid=composer-input]")
            .unwrap()
            .dyn_into::<web_sys::HtmlTextAreaElement>()
            .unwrap()
            .value()
            .is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn notification_center_click_marks_read_and_opens_the_room() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(&cx, html! { <NotificationCenter /> });
    until(&root, "items", |r| {
        all_attr(r, "[data-testid=notification]", "data-id").len() == 5
    })
    .await;
    // The five most recent, newest first; unread ones carry a dot.
    assert_eq!(
        all_attr(&root, "[data-testid=notification]", "data-id"),
        ["n5", "n4", "n3", "n2", "n1"]
    );
    assert!(q(&root, "[data-id=n3] [data-testid=unread-dot]").is_none());
    assert!(q(&root, "[data-id=n5] [data-testid=unread-dot]").is_some());
    assert_eq!(
        text(&root, "[data-id=n5] .notification-time").as_deref(),
        Some("1 min ago")
    );
    assert!(
        q(&root, "[data-id=n4] [data-kind=low_stock]").is_some(),
        "kind icon"
    );
    click(&root, "[data-id=n5] .notification-main");
    tick().await;
    let sent = log.borrow().clone();
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::MarkNotificationRead {
            notification_id: "n5".into()
        })),
        "{sent:?}"
    );
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "r1".into()
        })),
        "{sent:?}"
    );
    let ui = Dispatch::<UiState>::new(&cx).get();
    assert!(ui.panel_open && ui.open_room.as_deref() == Some("r1") && ui.popover.is_none());
    click(&root, "[data-testid=mark-all-read]");
    tick().await;
    assert!(log
        .borrow()
        .contains(&UiCommand::Engine(EngineCommand::MarkAllNotificationsRead)));
}

#[wasm_bindgen_test]
async fn toasts_auto_dismiss_after_five_seconds_but_not_while_hovered() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(&cx, html! { <Toasts /> });
    until(&root, "stack", |r| q(r, "[data-testid=toasts]").is_some()).await;
    assert_eq!(
        q(&root, "[data-testid=toasts]")
            .unwrap()
            .get_attribute("aria-live")
            .as_deref(),
        Some("polite")
    );
    apply(
        &cx,
        vec![
            UiEvent::Toast(Box::new(fixtures::toast("a", Some("r1")))),
            UiEvent::Toast(Box::new(fixtures::toast("b", None))),
        ],
    );
    until(&root, "two toasts", |r| {
        all_attr(r, "[data-testid=toast]", "data-id").len() == 2
    })
    .await;
    // Hover "b" at once; "a" runs out.
    fire(&q(&root, "[data-id=b]").unwrap(), "mouseenter");
    sleep(Duration::from_millis(5_600)).await;
    assert_eq!(
        all_attr(&root, "[data-testid=toast]", "data-id"),
        ["b"],
        "a dismissed, b paused"
    );
    assert!(log
        .borrow()
        .contains(&UiCommand::Engine(EngineCommand::DismissToast {
            toast_id: "a".into()
        })));
    fire(&q(&root, "[data-id=b]").unwrap(), "mouseleave");
    sleep(Duration::from_millis(5_600)).await;
    assert!(
        q(&root, "[data-testid=toast]").is_none(),
        "b dismissed after the pointer left"
    );
    // At most three stack.
    apply(
        &cx,
        ["c", "d", "e", "f"]
            .iter()
            .map(|id| UiEvent::Toast(Box::new(fixtures::toast(id, None))))
            .collect(),
    );
    until(&root, "three", |r| {
        all_attr(r, "[data-testid=toast]", "data-id") == ["d", "e", "f"]
    })
    .await;
    // View opens the room of a message toast.
    apply(
        &cx,
        vec![UiEvent::Toast(Box::new(fixtures::toast("g", Some("r2"))))],
    );
    until(&root, "g", |r| q(r, "[data-id=g]").is_some()).await;
    click(&root, "[data-id=g] [data-testid=toast-view]");
    tick().await;
    assert!(log
        .borrow()
        .contains(&UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "r2".into()
        })));
    assert!(q(&root, "[data-id=g]").is_none());
}

fn key(key: &str, ctrl: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_ctrl_key(ctrl);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn escape_closes_the_popover_then_the_panel_and_ctrl_k_focuses_the_filter() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(&cx, html! { <herald_ui::App /> });
    until(&root, "shell", |r| {
        q(r, "[data-testid=bell-button]").is_some()
    })
    .await;
    click(&root, "[data-testid=bell-button]");
    until(&root, "popover", |r| {
        q(r, "[data-testid=notification-center]").is_some()
    })
    .await;
    key("Escape", false);
    until(&root, "popover closed", |r| {
        q(r, "[data-testid=notification-center]").is_none()
    })
    .await;
    // Ctrl+K opens the chat panel with the filter focused.
    key("k", true);
    until(&root, "panel", |r| {
        q(r, "[data-testid=chat-filter]").is_some()
    })
    .await;
    until(&root, "focused", |r| {
        let active = web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element();
        active.is_some_and(|a| a.get_attribute("data-testid").as_deref() == Some("chat-filter"))
            && q(r, "[data-testid=chat-filter]").is_some()
    })
    .await;
    // Open a room, then Esc closes the panel and leaves the room.
    click(&root, "[data-room=r1]");
    until(&root, "room", |r| q(r, "[data-testid=room-pane]").is_some()).await;
    key("Escape", false);
    until(&root, "panel closed", |r| {
        q(r, "[data-testid=chat-panel]").is_none()
    })
    .await;
    let sent = log.borrow().clone();
    assert!(
        sent.contains(&UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "r1".into()
        })),
        "{sent:?}"
    );
    // The room is left (a history request the open room made may still trail it).
    let opened = sent.iter().position(|c| {
        *c == UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "r1".into(),
        })
    });
    let closed = sent
        .iter()
        .rposition(|c| *c == UiCommand::Engine(EngineCommand::CloseRoom));
    assert!(
        matches!((opened, closed), (Some(o), Some(c)) if c > o),
        "{sent:?}"
    );
}

#[wasm_bindgen_test]
async fn login_shows_a_clear_error_for_a_wrong_password() {
    use herald_protocol::ipc::{ErrorCode, Session, UiError};
    use std::rc::Rc;
    let cx = fixture_cx();
    apply(
        &cx,
        vec![UiEvent::Session(Session::SignedOut {
            last_server_url: Some("http://herald.example:9000".into()),
        })],
    );
    herald_ui::bridge::set_command_sink(Some(Rc::new(|c: &UiCommand| match c {
        UiCommand::Session(SessionCommand::Login { .. }) => {
            Err(UiError::new(ErrorCode::WrongPassword, "bad"))
        }
        _ => Err(UiError::new(ErrorCode::Internal, "test")),
    })));
    let root = mount(&cx, html! { <herald_ui::components::login::Login /> });
    until(&root, "form", |r| {
        q(r, "[data-testid=login-server]").is_some()
    })
    .await;
    let server: web_sys::HtmlInputElement = q(&root, "[data-testid=login-server]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(
        server.value(),
        "http://herald.example:9000",
        "prefilled from the last session"
    );
    for (id, value) in [("login-username", "alice"), ("login-password", "nope")] {
        let input: web_sys::HtmlInputElement = q(&root, &format!("[data-testid={id}]"))
            .unwrap()
            .dyn_into()
            .unwrap();
        input.set_value(value);
        input
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
    }
    tick().await;
    click(&root, "[data-testid=login-submit]");
    until(&root, "error", |r| {
        text(r, "[data-testid=login-error]").as_deref() == Some("Wrong username or password")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_plain_http_server_elsewhere_asks_before_the_password_is_sent() {
    use herald_protocol::ipc::{ErrorCode, Session, UiError};
    use std::cell::RefCell;
    use std::rc::Rc;
    let cx = fixture_cx();
    apply(
        &cx,
        vec![UiEvent::Session(Session::SignedOut {
            last_server_url: Some("http://herald.lan:8080".into()),
        })],
    );
    let confirmed = Rc::new(RefCell::new(Vec::<bool>::new()));
    let seen = confirmed.clone();
    herald_ui::bridge::set_command_sink(Some(Rc::new(move |c: &UiCommand| match c {
        UiCommand::Session(SessionCommand::Login {
            allow_cleartext, ..
        }) => {
            seen.borrow_mut().push(*allow_cleartext);
            if *allow_cleartext {
                Err(UiError::new(ErrorCode::ServerUnreachable, "down"))
            } else {
                Err(UiError::new(
                    ErrorCode::InsecureServer,
                    "herald.lan is not encrypted (http://)",
                ))
            }
        }
        _ => Err(UiError::new(ErrorCode::Internal, "test")),
    })));
    let root = mount(&cx, html! { <herald_ui::components::login::Login /> });
    until(&root, "form", |r| {
        q(r, "[data-testid=login-server]").is_some()
    })
    .await;
    for (id, value) in [("login-username", "alice"), ("login-password", "pw")] {
        let input: web_sys::HtmlInputElement = q(&root, &format!("[data-testid={id}]"))
            .unwrap()
            .dyn_into()
            .unwrap();
        input.set_value(value);
        input
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
    }
    tick().await;
    click(&root, "[data-testid=login-submit]");
    until(&root, "the question", |r| {
        q(r, "[data-testid=login-allow-cleartext]").is_some()
    })
    .await;
    assert!(text(&root, "[data-testid=login-cleartext-warning]")
        .unwrap()
        .contains("not encrypted"));
    assert!(
        q(&root, "[data-testid=login-error]").is_none(),
        "a question, not an error"
    );
    let allow: web_sys::HtmlInputElement = q(&root, "[data-testid=login-allow-cleartext]")
        .unwrap()
        .dyn_into()
        .unwrap();
    allow.set_checked(true);
    allow
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    tick().await;
    click(&root, "[data-testid=login-submit]");
    until(&root, "the confirmed attempt", |r| {
        q(r, "[data-testid=login-error]").is_some()
    })
    .await;
    assert_eq!(*confirmed.borrow(), vec![false, true]);
}

#[wasm_bindgen_test]
async fn a_room_with_10k_messages_renders_only_a_window_and_scrolling_up_loads_older() {
    let cx = fixture_cx();
    let log = record_commands();
    let many: Vec<_> = (0..10_000)
        .map(|i| {
            fixtures::message(
                "r3",
                &format!("k{i:05}"),
                if i % 3 == 0 { "alice" } else { "bob" },
                &format!("message {i}"),
                20_000 - i as i64,
            )
        })
        .collect();
    apply(
        &cx,
        vec![UiEvent::MessagesUpserted {
            room_id: "r3".into(),
            messages: many,
        }],
    );
    let root = mount(
        &cx,
        html! { <div style="height:600px;display:flex;flex-direction:column"><RoomPane room_id="r3" on_close={Callback::noop()} /></div> },
    );
    until(&root, "window", |r| q(r, "[data-key=k09999]").is_some()).await;
    let count = || {
        root.query_selector_all("[data-testid=message]")
            .unwrap()
            .length()
    };
    assert_eq!(count(), herald_ui::components::message_list::WINDOW as u32);
    // Scrolling to the top reveals the next window, keeping the newest in place.
    let scroller = q(&root, "[data-testid=messages]").unwrap();
    // The test page has no stylesheet: make the list a scroll container like the app's CSS does.
    scroller
        .set_attribute("style", "height:400px;overflow-y:auto")
        .unwrap();
    // Earlier tests' roots stay on the page: keep this one in the viewport.
    root.set_attribute("style", "position:fixed;top:0;left:0;width:400px;z-index:9")
        .unwrap();
    scroller.set_scroll_top(0);
    scroller
        .dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
    until(&root, "more", |_| {
        count() == 2 * herald_ui::components::message_list::WINDOW as u32
    })
    .await;
    until(&root, "position kept", |_| scroller.scroll_top() > 0).await;
    assert!(
        scroller.scroll_top() > 0,
        "the reading position was kept: top {} height {} client {}",
        scroller.scroll_top(),
        scroller.scroll_height(),
        scroller.client_height()
    );
    // Reading further back slides the window: the newest rows leave the DOM, and it never
    // holds more than MAX_ROWS messages.
    let max_rows = herald_ui::components::message_list::MAX_ROWS as u32;
    let scroll_to = |top: i32| {
        scroller.set_scroll_top(top);
        scroller
            .dispatch_event(&web_sys::Event::new("scroll").unwrap())
            .unwrap();
    };
    for _ in 0..40 {
        if q(&root, "[data-key=k09999]").is_none() {
            break;
        }
        scroll_to(0);
        tick().await;
        tick().await;
        assert!(count() <= max_rows, "{} rows in the DOM", count());
    }
    assert!(
        q(&root, "[data-key=k09999]").is_none(),
        "the window did not slide"
    );
    // Scrolling back down brings the newer rows back, still bounded.
    for _ in 0..40 {
        if q(&root, "[data-key=k09999]").is_some() {
            break;
        }
        scroll_to(scroller.scroll_height());
        tick().await;
        tick().await;
        assert!(count() <= max_rows, "{} rows in the DOM", count());
    }
    assert!(
        q(&root, "[data-key=k09999]").is_some(),
        "the newest came back"
    );
    // A small room at its top asks the core for older messages, with a spinner.
    let root2 = mount(
        &cx,
        html! { <RoomPane room_id="r1" on_close={Callback::noop()} /> },
    );
    until(&root2, "r1", |r| q(r, "[data-key=m1]").is_some()).await;
    let s2 = q(&root2, "[data-testid=messages]").unwrap();
    s2.set_scroll_top(0);
    s2.dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
    until(&root2, "spinner", |r| {
        q(r, "[data-testid=loading-older]").is_some()
    })
    .await;
    assert!(log
        .borrow()
        .contains(&UiCommand::Engine(EngineCommand::LoadOlder {
            room_id: "r1".into()
        })));
    apply(
        &cx,
        vec![UiEvent::HistoryLoaded {
            room_id: "r1".into(),
            has_more: false,
            error: None,
        }],
    );
    until(&root2, "done", |r| {
        q(r, "[data-testid=loading-older]").is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_notifications_page_loads_older_pages_at_its_end_until_there_are_none() {
    let cx = fixture_cx();
    let log = record_commands();
    let root = mount(&cx, html! { <NotificationsPage /> });
    // The fixture's few notifications do not fill the page: it asks for the next page at once.
    until(&root, "spinner", |r| {
        q(r, "[data-testid=notifications-loading]").is_some()
    })
    .await;
    let asked = || {
        log.borrow()
            .iter()
            .filter(|c| **c == UiCommand::Engine(EngineCommand::LoadOlderNotifications))
            .count()
    };
    assert_eq!(asked(), 1, "one request while one is under way");
    // An older page arrives: it is listed (at the end, newest first) and the spinner goes.
    let older = fixtures::notification(
        "n-old",
        herald_protocol::wire::NotificationKind::OutOfStock,
        "Out of stock: Red Scarf",
        86_400 * 30,
    );
    apply(
        &cx,
        vec![UiEvent::NotificationsLoaded {
            notifications: vec![older],
            has_more: false,
            error: None,
        }],
    );
    until(&root, "end of list", |r| {
        q(r, "[data-testid=notifications-end]").is_some()
    })
    .await;
    let ids = all_attr(&root, "[data-testid=notification]", "data-id");
    assert_eq!(ids.last().map(String::as_str), Some("n-old"), "{ids:?}");
    assert!(q(&root, "[data-testid=notifications-loading]").is_none());
    tick().await;
    assert_eq!(
        asked(),
        1,
        "nothing more is asked once the server has no more"
    );
}

#[wasm_bindgen_test]
async fn a_store_that_refuses_writes_shows_a_banner_until_it_writes_again() {
    use herald_protocol::ipc::{ErrorCode, UiError};
    let cx = fixture_cx();
    record_commands();
    let root = mount(&cx, html! { <herald_ui::components::shell::Shell /> });
    until(&root, "the shell", |r| {
        q(r, "[data-testid=nav-bar]").is_some()
    })
    .await;
    assert!(q(&root, "[data-testid=storage-problem]").is_none());
    apply(
        &cx,
        vec![UiEvent::StorageProblem {
            error: Some(UiError::new(
                ErrorCode::Storage,
                "Herald can't write to its cache (disk full).",
            )),
        }],
    );
    until(&root, "the banner", |r| {
        text(r, "[data-testid=storage-problem]")
            .is_some_and(|t| t.contains("can't write to its cache"))
    })
    .await;
    apply(&cx, vec![UiEvent::StorageProblem { error: None }]);
    until(&root, "no banner", |r| {
        q(r, "[data-testid=storage-problem]").is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn login_with_a_pasted_token_sends_the_token_not_a_password() {
    use herald_protocol::ipc::{Session, UiError};
    use std::cell::RefCell;
    use std::rc::Rc;
    let cx = fixture_cx();
    apply(
        &cx,
        vec![UiEvent::Session(Session::SignedOut {
            last_server_url: Some("http://artchive.example".into()),
        })],
    );
    let sent = Rc::new(RefCell::new(Vec::<UiCommand>::new()));
    let log = sent.clone();
    herald_ui::bridge::set_command_sink(Some(Rc::new(move |c: &UiCommand| {
        log.borrow_mut().push(c.clone());
        Err(UiError::new(
            herald_protocol::ipc::ErrorCode::Unauthorized,
            "The backend refused this token (expired or revoked).",
        ))
    })));
    let root = mount(&cx, html! { <herald_ui::components::login::Login /> });
    until(&root, "form", |r| {
        q(r, "[data-testid=login-backend]").is_some()
    })
    .await;
    assert!(
        q(&root, "[data-testid=login-use-token]").is_none(),
        "herald-server takes no pasted token"
    );
    let select: web_sys::HtmlSelectElement = q(&root, "[data-testid=login-backend]")
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("artchive");
    fire(&select, "change");
    until(&root, "the token box", |r| {
        q(r, "[data-testid=login-use-token]").is_some()
    })
    .await;
    let check: web_sys::HtmlInputElement = q(&root, "[data-testid=login-use-token]")
        .unwrap()
        .dyn_into()
        .unwrap();
    check.set_checked(true);
    fire(&check, "change");
    until(&root, "the token field", |r| {
        q(r, "[data-testid=login-token]").is_some()
            && q(r, "[data-testid=login-password]").is_none()
    })
    .await;
    let token: web_sys::HtmlInputElement = q(&root, "[data-testid=login-token]")
        .unwrap()
        .dyn_into()
        .unwrap();
    token.set_value("eyJ.a.b");
    token
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    tick().await;
    click(&root, "[data-testid=login-submit]");
    until(&root, "the refusal, as the core said it", |r| {
        text(r, "[data-testid=login-error]").is_some_and(|t| t.contains("refused this token"))
    })
    .await;
    let login = sent
        .borrow()
        .iter()
        .find(|c| matches!(c, UiCommand::Session(SessionCommand::Login { .. })))
        .cloned();
    assert!(
        matches!(&login, Some(UiCommand::Session(SessionCommand::Login { backend: Some(b), token: Some(t), .. }))
            if b == "artchive" && t == "eyJ.a.b"),
        "{login:?}"
    );
}
