//! The shell's one piece of managed state: the running herald-client, the profile directory,
//! the settings file (the last server URL) and the token vault. Started from the app's setup hook; every command,
//! the tray, notifications and window events reach the client through it.
//!
//! Start-up is offline-first: the client opens the SQLite cache and its first UI batch is a
//! `Reset` of the cached state (painted before any network), then connects when a session and
//! its token are stored.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use herald_client::store::sqlite::SqliteStore;
use herald_client::{Client, ClientConfig, ClientHandle, NativeNotification};
use herald_protocol::ipc::{
    EngineCommand, ErrorCode, Session, SessionCommand, Settings, UiError, UiEvent, UiEventBatch,
    UiReply, ViewState,
};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::session::TokenVault;
use crate::settings::SettingsFile;
use crate::updater::UpdateConfig;

/// How the shell starts; passed explicitly (the binary fills it from the environment).
#[derive(Debug, Clone, Default)]
pub struct ShellConfig {
    /// The profile directory (store, settings, token file, logs). `None`: the OS app data dir.
    pub profile_dir: Option<PathBuf>,
    /// Prefills the login form (`HERALD_SERVER_URL`); the last URL used wins over nothing only.
    pub default_server_url: Option<String>,
    /// Use the OS keyring for the token (off in tests: file only).
    pub use_os_keyring: bool,
    /// Tray, logind resume watch and `--minimized` (the real app; off on the mock runtime).
    pub desktop_integration: bool,
    /// The update feed and where updates install.
    pub updates: UpdateConfig,
}

impl ShellConfig {
    /// The binary's configuration: `HERALD_PROFILE_DIR` and `HERALD_SERVER_URL`.
    pub fn from_env() -> Self {
        let non_empty = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self {
            profile_dir: non_empty("HERALD_PROFILE_DIR").map(PathBuf::from),
            default_server_url: non_empty("HERALD_SERVER_URL"),
            use_os_keyring: true,
            desktop_integration: true,
            updates: UpdateConfig::from_env(),
        }
    }
}

/// Why the shell could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No profile directory could be found or created.
    #[error("no profile directory ({0}); set HERALD_PROFILE_DIR")]
    Profile(String),
    /// The local store could not be opened.
    #[error("the local store could not be opened: {0}")]
    Store(String),
    /// The settings file could not be opened.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
}

/// The managed state.
pub struct Shell<R: Runtime> {
    pub client: ClientHandle,
    pub profile_dir: PathBuf,
    pub vault: TokenVault,
    settings_file: SettingsFile<R>,
    /// A reader's copy of the settings for what the shell itself decides (close to tray, the
    /// tray's DND item, start on login). The engine owns them (its local store); this copy
    /// follows its `UiEvent::Settings` (see [`Shell::follow_settings`]).
    settings: Mutex<Settings>,
    default_server_url: Option<String>,
    pub updates: UpdateConfig,
}

/// What `start` hands back for the forwarding tasks.
pub struct Receivers {
    pub events: UnboundedReceiver<UiEventBatch>,
    pub notifications: UnboundedReceiver<NativeNotification>,
}

impl<R: Runtime> Shell<R> {
    /// Opens the profile, loads settings and the token, and starts the client. Must run where
    /// a tokio runtime can be entered (the setup hook).
    pub fn start(
        app: &AppHandle<R>,
        config: &ShellConfig,
    ) -> Result<(Self, Receivers), StartError> {
        let profile_dir = match &config.profile_dir {
            Some(dir) => dir.clone(),
            None => app
                .path()
                .app_data_dir()
                .map_err(|e| StartError::Profile(e.to_string()))?,
        };
        std::fs::create_dir_all(&profile_dir)
            .map_err(|e| StartError::Profile(format!("{}: {e}", profile_dir.display())))?;
        let t0 = std::time::Instant::now();
        let settings_file = SettingsFile::open(app, &profile_dir)?;
        let legacy_settings = settings_file.legacy_settings();
        let t_settings = t0.elapsed();
        let vault = TokenVault::new(&profile_dir, config.use_os_keyring);
        let token = vault.load();
        let t_token = t0.elapsed();
        let store = SqliteStore::open(profile_dir.join("herald.sqlite3"))
            .map_err(|e| StartError::Store(e.to_string()))?;
        let t_store = t0.elapsed();
        // A token the server renews replaces the stored one, so a restart next week still
        // signs in with a valid token (the keyring call blocks briefly; renewals are hours apart).
        let renewed_vault = vault.clone();
        let client_config = ClientConfig {
            token,
            on_token_renewed: Some(herald_client::TokenSink(std::sync::Arc::new(
                move |token: &str| {
                    if let Err(e) = renewed_vault.save(token) {
                        log::error!("{e}; the renewed token lasts until the app quits");
                    }
                },
            ))),
            ..Default::default()
        };
        let started = tauri::async_runtime::block_on(async move {
            let (handle, events, notifications) = Client::start(client_config, store)?;
            if let Some(settings) = legacy_settings {
                // Herald before 0.1 kept settings in settings.json: the engine takes them over
                // once. The driver persists a command's changes before it answers the next one,
                // so once GetSettings has answered they are in the store and the key can go.
                log::info!("moving the settings from settings.json into the local store");
                let _ = handle
                    .command(EngineCommand::SetSettings { settings })
                    .await;
            }
            let settings = match handle.command(EngineCommand::GetSettings).await {
                Ok(UiReply::Settings(settings)) => settings,
                _ => Settings::default(),
            };
            Ok::<_, herald_client::driver::StartError>(((handle, events, notifications), settings))
        });
        let ((client, events, notifications), settings) =
            started.map_err(|e| StartError::Store(e.to_string()))?;
        settings_file.forget_legacy_settings();
        log::info!("profile {}", profile_dir.display());
        // For the desktop benchmark: where the shell's start-up time goes.
        log::info!(
            "startup: settings {} ms, token {} ms, store opened {} ms, cached state loaded {} ms",
            t_settings.as_millis(),
            (t_token - t_settings).as_millis(),
            (t_store - t_token).as_millis(),
            (t0.elapsed() - t_store).as_millis()
        );
        Ok((
            Self {
                client,
                profile_dir,
                vault,
                settings_file,
                settings: Mutex::new(settings),
                default_server_url: config.default_server_url.clone(),
                updates: config.updates.clone(),
            },
            Receivers {
                events,
                notifications,
            },
        ))
    }

    /// The shell's copy of the engine's settings.
    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Follows a settings change the engine announced: keeps the shell's copy and applies what
    /// the OS holds (the tray's DND item, start on login). The one place the shell reacts to
    /// settings, whoever changed them (the settings page, the tray, a room's mute button).
    pub fn follow_settings(&self, app: &AppHandle<R>, settings: &Settings) {
        let previous = match self.settings.lock() {
            Ok(mut s) => std::mem::replace(&mut *s, settings.clone()),
            Err(_) => return,
        };
        crate::tray::sync_dnd(app, settings.dnd);
        if previous.start_on_login != settings.start_on_login {
            crate::autostart::set(app, settings.start_on_login);
        }
    }

    /// Signs in, keeps the token, remembers the server URL.
    pub async fn login(
        &self,
        server_url: &str,
        backend: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<UiReply, UiError> {
        let resp = self
            .client
            .login_to(server_url, backend, username, password)
            .await?;
        self.signed_in(server_url, &resp);
        Ok(UiReply::Ack)
    }

    /// Signs in to a profile backend with a pasted token; kept like a password sign-in's.
    pub async fn login_with_token(
        &self,
        server_url: &str,
        backend: Option<&str>,
        token: &str,
    ) -> Result<UiReply, UiError> {
        let resp = self
            .client
            .login_with_token(server_url, backend, token)
            .await?;
        self.signed_in(server_url, &resp);
        Ok(UiReply::Ack)
    }

    /// Keeps a new session's token (keyring) and server URL (the form's next prefill).
    fn signed_in(&self, server_url: &str, resp: &herald_protocol::wire::LoginResponse) {
        log::info!("signed in to {server_url} as {}", resp.user.name);
        if let Err(e) = self.vault.save(&resp.token) {
            log::error!("{e}; the session lasts until the app quits");
        }
        if let Err(e) = self.settings_file.set_last_server_url(server_url) {
            log::warn!("{e}");
        }
    }

    /// Signs out and forgets the token.
    pub async fn logout(&self) -> Result<UiReply, UiError> {
        self.vault.clear();
        log::info!("signed out");
        self.client.session(SessionCommand::Logout).await
    }

    /// The login form's prefill: `HERALD_SERVER_URL`, else the last server used.
    pub fn login_prefill(&self) -> Option<String> {
        self.default_server_url
            .clone()
            .or_else(|| self.settings_file.last_server_url())
    }

    /// The full view for a (re)loaded webview.
    pub async fn view_state(&self) -> Result<ViewState, UiError> {
        match self.client.command(EngineCommand::GetViewState).await? {
            UiReply::ViewState(mut view) => {
                self.patch_session(&mut view.session);
                Ok(*view)
            }
            other => Err(UiError::new(
                ErrorCode::Internal,
                format!("unexpected reply to get_view_state: {other:?}"),
            )),
        }
    }

    /// Fills the login prefill into a signed-out session (the engine does not know it).
    pub fn patch_session(&self, session: &mut Session) {
        if let Session::SignedOut { last_server_url } = session {
            if last_server_url.is_none() {
                *last_server_url = self.login_prefill();
            }
        }
    }

    /// Applies [`Self::patch_session`] to the events of a batch bound for the UI.
    pub fn patch_batch(&self, batch: &mut UiEventBatch) {
        for event in &mut batch.events {
            match event {
                UiEvent::Reset(view) => self.patch_session(&mut view.session),
                UiEvent::Session(session) => self.patch_session(session),
                _ => {}
            }
        }
    }
}

/// The profile's icon file for native notifications (written once; the OS wants a path).
pub fn notification_icon(profile_dir: &Path) -> Option<PathBuf> {
    let path = profile_dir.join("icon.png");
    if !path.exists() {
        let bytes = include_bytes!("../icons/128x128.png");
        if let Err(e) = std::fs::write(&path, bytes) {
            log::debug!("could not write the notification icon: {e}");
            return None;
        }
    }
    Some(path)
}
