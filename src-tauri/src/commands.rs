//! The one IPC entry point: every [`UiCommand`] the UI sends arrives here and is answered with a
//! [`UiReply`] or a [`UiError`] (`{code, message}`), never a bare string.

use herald_protocol::ipc::{
    AppInfo, ConnStatus, ErrorCode, Session, Settings, UiCommand, UiError, UiReply, ViewState,
};

/// The Tauri command behind `invoke("dispatch", {command})`.
#[tauri::command]
pub async fn dispatch(command: UiCommand) -> Result<UiReply, UiError> {
    handle(command)
}

/// Answers a command. Separate from the Tauri wrapper so it is testable without a runtime.
pub fn handle(command: UiCommand) -> Result<UiReply, UiError> {
    match command {
        UiCommand::AppInfo => Ok(UiReply::AppInfo(app_info())),
        UiCommand::GetViewState => Ok(UiReply::ViewState(Box::new(signed_out_view()))),
        UiCommand::GetSettings => Ok(UiReply::Settings(Settings::default())),
        other => Err(UiError::new(
            ErrorCode::Internal,
            format!(
                "'{}' is not available in this build yet; update Herald",
                command_name(&other)
            ),
        )),
    }
}

/// Name and version of this build, and the protocol the core speaks.
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Herald".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        protocol: herald_client::PROTOCOL_VERSION,
    }
}

fn signed_out_view() -> ViewState {
    ViewState {
        session: Session::SignedOut {
            last_server_url: None,
        },
        connection: ConnStatus::SignedOut,
        rooms: Vec::new(),
        active_room: None,
        messages: Vec::new(),
        notifications: Vec::new(),
        notifications_unread: 0,
        friend_requests: Vec::new(),
        settings: Settings::default(),
    }
}

/// The wire name of a command (its `cmd` tag), for error messages.
fn command_name(command: &UiCommand) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("cmd").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "command".to_owned())
}
