//! The connection pill: Connected / Connecting / "Reconnecting in N s" with Retry now /
//! Offline — cached data shown. The core decides reconnects; this only shows them. On a backend
//! other than herald-server it names that backend and, where it cannot replay, says that
//! missed events are refetched on every reconnect.

use herald_protocol::ipc::{ConnStatus, DisconnectReason, EngineCommand};
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

/// The pill's tooltip: the state, then which backend and what it cannot do.
pub fn backend_title(state: &str, backend: &herald_protocol::ipc::BackendView) -> String {
    if backend.kind == "herald" {
        return state.to_owned();
    }
    let mut t = format!("{state} · {}", backend.label);
    if !backend.resumes {
        t.push_str(
            " · this backend cannot replay: Herald refetches what it missed on every reconnect",
        );
    }
    t
}

#[function_component(ConnPill)]
pub fn conn_pill() -> Html {
    let conn = use_selector(|s: &SessionState| s.connection.clone());
    let backend = use_selector(|s: &SessionState| s.backend.clone());
    let now = use_now(500);
    let retry = Callback::from(|_: MouseEvent| bridge::send(EngineCommand::RetryConnectionNow));
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
    let foreign = backend.kind != "herald";
    let title = backend_title(title, &backend);
    html! {
        <div class={classes!("conn-pill", class)} data-testid="conn-pill" title={title} role="status">
            <span class="dot" aria-hidden="true"></span>
            <span class="conn-text">{ text }</span>
            if foreign {
                <span class="conn-backend" data-testid="conn-backend">{ backend.kind.clone() }</span>
            }
            { for button }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_protocol::ipc::BackendView;

    #[test]
    fn the_tooltip_names_a_foreign_backend_and_that_it_refetches() {
        assert_eq!(backend_title("Live", &BackendView::default()), "Live");
        let v = BackendView {
            kind: "ventree".into(),
            label: "Ventree shops (Socket.IO)".into(),
            resumes: false,
            features: Default::default(),
        };
        let t = backend_title("Live", &v);
        assert!(t.starts_with("Live · Ventree shops (Socket.IO)"), "{t}");
        assert!(t.contains("refetches"), "{t}");
    }
}
