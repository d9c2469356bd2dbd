//! The connection pill: Connected / Connecting / "Reconnecting in N s" with Retry now /
//! Offline — cached data shown. The core decides reconnects; this only shows them.

use herald_protocol::ipc::{ConnStatus, DisconnectReason, UiCommand};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::hooks::use_now;
use crate::store::session::SessionState;

fn reason_text(r: DisconnectReason) -> &'static str {
    match r {
        DisconnectReason::TransportClosed => "The connection closed",
        DisconnectReason::ConnectTimeout => "The server did not answer in time",
        DisconnectReason::NoPing => "The connection went quiet",
        DisconnectReason::ServerRestart => "The server is restarting",
        DisconnectReason::Unauthorized => "Your session ended: sign in again",
        DisconnectReason::TooSlow => "The connection was too slow",
        DisconnectReason::ProtocolViolation => "The server refused this app's protocol",
        DisconnectReason::Resumed => "The computer woke up",
        DisconnectReason::Logout => "Signed out",
        DisconnectReason::Unknown => "Disconnected",
    }
}

#[function_component(ConnPill)]
pub fn conn_pill() -> Html {
    let conn = use_selector(|s: &SessionState| s.connection.clone());
    let now = use_now(500);
    let retry = Callback::from(|_: MouseEvent| bridge::send(UiCommand::RetryConnectionNow));
    let retry_button = html! {
        <button type="button" class="link-button" onclick={retry} data-testid="retry-now">{ "Retry now" }</button>
    };
    let (class, text, title, button) = match &*conn {
        ConnStatus::Connected => (
            "ok",
            "Connected".to_owned(),
            "Live: events arrive as they happen",
            None,
        ),
        ConnStatus::Connecting { .. } => (
            "busy",
            "Connecting…".to_owned(),
            "Connecting to the server",
            None,
        ),
        ConnStatus::SignedOut => ("off", "Signed out".to_owned(), "Not signed in", None),
        ConnStatus::Reconnecting { retry_at, reason } => {
            let secs = (*retry_at - now).whole_seconds().max(0);
            let text = if secs == 0 {
                "Reconnecting…".to_owned()
            } else {
                format!("Reconnecting in {secs} s")
            };
            ("warn", text, reason_text(*reason), Some(retry_button))
        }
        ConnStatus::Offline { reason } => (
            "off",
            "Offline — cached data shown".to_owned(),
            reason_text(*reason),
            Some(retry_button),
        ),
    };
    html! {
        <div class={classes!("conn-pill", class)} data-testid="conn-pill" title={title} role="status">
            <span class="dot" aria-hidden="true"></span>
            <span class="conn-text">{ text }</span>
            { for button }
        </div>
    }
}
