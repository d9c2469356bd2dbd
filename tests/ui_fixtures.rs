//! Shared helpers of the component tests (included with `#[path]`; as its own test target it
//! holds no tests): a fresh Yewdux context filled with fixture state, a command recorder in
//! place of the Tauri bridge, mounting, polling and DOM events.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gloo_timers::future::sleep;
use herald_protocol::ipc::{EngineCommand, ErrorCode, UiCommand, UiError, UiEvent, UiReply};
use herald_ui::bridge;
use herald_ui::store::{fixtures, sync};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;
use yewdux::Context;

#[derive(Properties, PartialEq)]
pub struct HarnessProps {
    pub cx: Context,
    pub children: Html,
}

/// Gives the component under test its own store context.
#[function_component(Harness)]
pub fn harness(p: &HarnessProps) -> Html {
    html! { <ContextProvider<Context> context={p.cx.clone()}>{ p.children.clone() }</ContextProvider<Context>> }
}

/// A context holding the demo view state (alice signed in), the clock frozen at its "now".
pub fn fixture_cx() -> Context {
    bridge::set_frozen_clock(Some(fixtures::at(0)));
    let cx = Context::new();
    sync::load_view_state(&cx, fixtures::view_state());
    cx
}

pub fn apply(cx: &Context, events: Vec<UiEvent>) {
    sync::apply_batch(cx, &events);
}

/// Records every command the UI sends; answers Ack (GetViewState: an error, so the fixture
/// state stays).
pub fn record_commands() -> Rc<RefCell<Vec<UiCommand>>> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink_log = log.clone();
    bridge::set_command_sink(Some(Rc::new(move |c: &UiCommand| {
        sink_log.borrow_mut().push(c.clone());
        match c {
            UiCommand::Engine(EngineCommand::GetViewState) => {
                Err(UiError::new(ErrorCode::Internal, "test"))
            }
            _ => Ok(UiReply::Ack),
        }
    })));
    log
}

/// Mounts `content` in a fresh element of the test page (sized like a small window).
pub fn mount(cx: &Context, content: Html) -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Harness>::with_root_and_props(
        root.clone(),
        HarnessProps {
            cx: cx.clone(),
            children: content,
        },
    )
    .render();
    root
}

/// Polls (bounded: 3 s) until `ok` holds for `root`.
pub async fn until(root: &Element, what: &str, ok: impl Fn(&Element) -> bool) {
    for _ in 0..150 {
        if ok(root) {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("never true: {what}; DOM: {}", root.inner_html());
}

pub fn q(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

pub fn text(root: &Element, selector: &str) -> Option<String> {
    q(root, selector).map(|e| e.text_content().unwrap_or_default())
}

pub fn all_attr(root: &Element, selector: &str, attr: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .filter_map(|e| e.get_attribute(attr))
        .collect()
}

pub fn click(root: &Element, selector: &str) {
    q(root, selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

pub fn fire(el: &Element, event: &str) {
    let ev = web_sys::MouseEvent::new(event).unwrap();
    el.dispatch_event(&ev).unwrap();
}

pub async fn tick() {
    sleep(Duration::from_millis(30)).await;
}
