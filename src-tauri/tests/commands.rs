//! Command tests through Tauri's mock runtime: no window, no WebKit, the real IPC path
//! (argument decoding, the command, serialization of the reply or error).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use herald_protocol::ipc::{ErrorCode, Session, UiCommand, UiError, UiReply};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;

/// Sends `command` through `invoke("dispatch", {command})` and decodes the answer.
fn dispatch(command: &UiCommand) -> Result<UiReply, UiError> {
    // The real context: its capability file must grant the main window `dispatch`.
    let app = herald_desktop::with_ipc(mock_builder())
        .build(herald_desktop::context())
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let response = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: "dispatch".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(serde_json::json!({ "command": command })),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    match response {
        Ok(body) => Ok(body.deserialize::<UiReply>().unwrap()),
        Err(value) => Err(serde_json::from_value::<UiError>(value).unwrap()),
    }
}

#[test]
fn app_info_round_trip_answers_name_version_and_protocol() {
    let reply = dispatch(&UiCommand::AppInfo).unwrap();
    let UiReply::AppInfo(info) = reply else {
        panic!("unexpected reply {reply:?}")
    };
    assert_eq!(info.name, "Herald");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.protocol, 1);
}

#[test]
fn view_state_of_a_fresh_profile_is_signed_out() {
    let reply = dispatch(&UiCommand::GetViewState).unwrap();
    let UiReply::ViewState(view) = reply else {
        panic!("unexpected reply {reply:?}")
    };
    assert!(matches!(view.session, Session::SignedOut { .. }));
    assert!(view.rooms.is_empty());
}

#[test]
fn unavailable_command_fails_with_a_code_not_a_bare_string() {
    let err = dispatch(&UiCommand::Logout).unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    assert!(err.message.contains("logout"), "{}", err.message);
}
