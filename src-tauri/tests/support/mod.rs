//! The app on Tauri's mock runtime, shared by the command tests: the real IPC path (argument
//! decoding, capability check against the real context, the command, serialization of the
//! reply or error), with the real shell started on a throw-away profile directory.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;

use herald_desktop::ShellConfig;
use herald_protocol::ipc::{EngineCommand, Settings, UiCommand, UiError, UiReply};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

/// The app as the binary builds it (minus tray and OS hooks).
pub struct App {
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

/// The shell's configuration for a test profile in `dir` (file token vault, no OS hooks).
pub fn test_config(dir: &Path, server_url: Option<&str>) -> ShellConfig {
    ShellConfig {
        profile_dir: Some(dir.to_path_buf()),
        default_server_url: server_url.map(str::to_owned),
        use_os_keyring: false,
        desktop_integration: false,
        updates: Default::default(),
    }
}

/// The app on a profile in `dir` with the real context.
pub fn app_with(dir: &Path, server_url: Option<&str>) -> App {
    App::start(test_config(dir, server_url), herald_desktop::context())
}

impl App {
    /// Builds the app with `context` (the real one, or one with a test update feed) and starts
    /// the shell.
    pub fn start(config: ShellConfig, context: tauri::Context<MockRuntime>) -> App {
        let app = App::unstarted(config.clone(), context);
        // The mock runtime never runs an event loop, so the setup hook never fires: start here.
        herald_desktop::start(app.handle(), &config).unwrap();
        app
    }

    /// The app with its window but without the shell: what the UI sees in the moment before
    /// the setup hook's start-up thread has finished. Call `herald_desktop::start` to finish.
    pub fn unstarted(config: ShellConfig, context: tauri::Context<MockRuntime>) -> App {
        // The real context: its capability file must grant the main window `dispatch`.
        let app = herald_desktop::builder_with(mock_builder(), config)
            .build(context)
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        App { _app: app, webview }
    }

    /// Sends `command` through `invoke("dispatch", {command})` and decodes the answer.
    pub fn dispatch(&self, command: &UiCommand) -> Result<UiReply, UiError> {
        let response = get_ipc_response(
            &self.webview,
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

    pub fn settings(&self) -> Settings {
        match self
            .dispatch(&UiCommand::Engine(EngineCommand::GetSettings))
            .unwrap()
        {
            UiReply::Settings(s) => s,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    pub fn handle(&self) -> &tauri::AppHandle<MockRuntime> {
        self._app.handle()
    }
}
