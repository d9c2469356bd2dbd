//! The user's settings on disk (tauri-plugin-store, `settings.json` in the profile) and the
//! last server URL used. A missing, unreadable or malformed file never stops the app: it falls
//! back to the defaults with a logged warning (a corrupt file is moved aside as `.bad`, so the
//! next save does not silently destroy what a person may want to inspect).
//!
//! The shell owns persistence; the engine's notification policy gets every change through
//! `UiCommand::SetSettings` (see `shell.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use herald_protocol::ipc::Settings;
use tauri::{Runtime, Wry};
use tauri_plugin_store::{Store, StoreExt};

const FILE: &str = "settings.json";
const SETTINGS_KEY: &str = "settings";
const SERVER_URL_KEY: &str = "last_server_url";

/// Why settings could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The store plugin refused (not registered, or the file could not be written).
    #[error("could not save settings: {0}")]
    Store(#[from] tauri_plugin_store::Error),
}

/// The settings file of one profile.
pub struct SettingsFile<R: Runtime = Wry> {
    store: Arc<Store<R>>,
}

impl<R: Runtime> SettingsFile<R> {
    /// Opens `settings.json` in `profile_dir`, moving a corrupt one aside first.
    pub fn open(app: &tauri::AppHandle<R>, profile_dir: &Path) -> Result<Self, SettingsError> {
        let path = profile_dir.join(FILE);
        set_aside_if_corrupt(&path);
        let store = app.store(&path)?;
        Ok(Self { store })
    }

    /// The stored settings, or the defaults (logged) when absent or invalid.
    pub fn load(&self) -> Settings {
        match self.store.get(SETTINGS_KEY) {
            None => {
                log::info!("no saved settings yet; using the defaults");
                Settings::default()
            }
            Some(value) => serde_json::from_value(value).unwrap_or_else(|e| {
                log::warn!("saved settings are invalid ({e}); using the defaults");
                Settings::default()
            }),
        }
    }

    /// Saves `settings` now (not on the debounce timer: a crash right after must not lose it).
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        self.store.set(SETTINGS_KEY, serde_json::json!(settings));
        self.store.save()?;
        Ok(())
    }

    /// The server URL of the last successful login.
    pub fn last_server_url(&self) -> Option<String> {
        self.store
            .get(SERVER_URL_KEY)
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    pub fn set_last_server_url(&self, url: &str) -> Result<(), SettingsError> {
        self.store.set(SERVER_URL_KEY, url);
        self.store.save()?;
        Ok(())
    }
}

/// A settings file that is not a JSON object is renamed to `settings.json.bad` (logged).
fn set_aside_if_corrupt(path: &Path) {
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let ok = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(|v| v.is_object())
        .unwrap_or(false);
    if ok {
        return;
    }
    let aside = PathBuf::from(format!("{}.bad", path.display()));
    match std::fs::rename(path, &aside) {
        Ok(()) => log::warn!(
            "settings file {} is not valid; using the defaults (the old file is kept as {})",
            path.display(),
            aside.display()
        ),
        Err(e) => log::warn!(
            "settings file {} is not valid and could not be moved aside ({e}); using the defaults",
            path.display()
        ),
    }
}
