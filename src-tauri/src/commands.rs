//! The one IPC entry point: every [`UiCommand`] the UI sends arrives here and is answered with a
//! [`UiReply`] or a [`UiError`] (`{code, message}`), never a bare string.
//!
//! Routing only: the shell answers what is its own (app info, login with the token kept in the
//! keyring, logout, updates, opening links) and hands everything else to herald-client, which
//! answers at once (it never waits on the network). Settings belong to the engine; the shell
//! follows their changes from the engine's events (`Shell::follow_settings`).

use herald_protocol::ipc::{
    AppInfo, EngineCommand, ErrorCode, SessionCommand, ShellCommand, UiCommand, UiError, UiReply,
};
use tauri::{AppHandle, Manager, Runtime};

use crate::readiness::{Readiness, START_WAIT};
use crate::shell::Shell;

/// The Tauri command behind `invoke("dispatch", {command})`.
#[tauri::command]
pub async fn dispatch<R: Runtime>(
    app: AppHandle<R>,
    command: UiCommand,
) -> Result<UiReply, UiError> {
    crate::startup::ui_running();
    if let UiCommand::Shell(ShellCommand::AppInfo) = command {
        return Ok(UiReply::AppInfo(app_info()));
    }
    if app.try_state::<Shell<R>>().is_none() {
        // The UI's first commands can arrive while the shell is still opening the profile.
        if let Some(readiness) = app.try_state::<Readiness>() {
            readiness.wait(START_WAIT).await?;
        }
    }
    let Some(shell) = app.try_state::<Shell<R>>() else {
        return Err(UiError::new(
            ErrorCode::Internal,
            "Herald is still starting (or failed to start; see the log). Try again in a moment.",
        ));
    };
    handle(&app, &shell, command).await
}

/// Answers a command with a running shell: each group goes to the one that owns it, and the
/// compiler checks that every command has an owner.
async fn handle<R: Runtime>(
    app: &AppHandle<R>,
    shell: &Shell<R>,
    command: UiCommand,
) -> Result<UiReply, UiError> {
    match command {
        UiCommand::Shell(command) => shell_command(app, shell, command).await,
        UiCommand::Session(command) => session_command(shell, command).await,
        UiCommand::Engine(EngineCommand::GetViewState) => {
            let view = shell.view_state().await?;
            crate::startup::first_view_served();
            Ok(UiReply::ViewState(Box::new(view)))
        }
        UiCommand::Engine(command) => shell.client.command(command).await,
    }
}

/// What only the shell can do: it holds the tray, the updater and the system browser.
async fn shell_command<R: Runtime>(
    app: &AppHandle<R>,
    shell: &Shell<R>,
    command: ShellCommand,
) -> Result<UiReply, UiError> {
    match command {
        ShellCommand::AppInfo => Ok(UiReply::AppInfo(app_info())),
        ShellCommand::CheckForUpdates => Ok(UiReply::Update(
            crate::updater::check(app, &shell.updates).await?,
        )),
        ShellCommand::OpenUrl { url } => {
            open_url(&url)?;
            Ok(UiReply::Ack)
        }
    }
}

/// Signing in and out goes through the shell so the token is kept in (or removed from) the
/// keyring; the driver does the rest.
async fn session_command<R: Runtime>(
    shell: &Shell<R>,
    command: SessionCommand,
) -> Result<UiReply, UiError> {
    match command {
        SessionCommand::Login {
            server_url,
            username,
            password,
            backend,
            token,
            allow_cleartext,
        } => {
            let server_url = server_url.trim().to_owned();
            herald_client::login::check_cleartext(&server_url, allow_cleartext)?;
            if let Some(token) = token {
                if server_url.is_empty() || token.trim().is_empty() {
                    return Err(UiError::new(
                        ErrorCode::InvalidInput,
                        "Enter the server address and paste your token.",
                    ));
                }
                return shell
                    .login_with_token(&server_url, backend.as_deref(), &token)
                    .await;
            }
            if server_url.is_empty() || username.trim().is_empty() {
                return Err(UiError::new(
                    ErrorCode::InvalidInput,
                    "Enter the server address and your username.",
                ));
            }
            shell
                .login(&server_url, backend.as_deref(), username.trim(), &password)
                .await
        }
        SessionCommand::Logout => shell.logout().await,
        command @ SessionCommand::DetectBackend { .. } => shell.client.session(command).await,
    }
}

/// Name and version of this build, and the protocol the core speaks.
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Herald".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        protocol: herald_client::PROTOCOL_VERSION,
        tray: crate::tray_host::last_known(),
    }
}

/// Opens an http(s) or mailto link in the system's handler; anything else is refused.
pub(crate) fn open_url(url: &str) -> Result<(), UiError> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
    {
        return Err(UiError::new(
            ErrorCode::InvalidInput,
            "Only web (http, https) and mail links can be opened.",
        ));
    }
    #[cfg(target_os = "linux")]
    let mut cmd = crate::appimage::host_command("xdg-open");
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = std::process::Command::new("explorer");
    cmd.arg(url.trim()).spawn().map(|_| ()).map_err(|e| {
        UiError::new(
            ErrorCode::Internal,
            format!("No program to open links was found ({e}); copy the link into your browser."),
        )
    })
}
