//! The shell's own file in the profile (tauri-plugin-store, `settings.json`): the last server
//! URL used, which prefills the login form. A missing, unreadable or malformed file never stops
//! the app (a corrupt file is moved aside as `.bad`, so the next save does not silently destroy
//! what a person may want to inspect).
//!
//! The settings themselves belong to the engine, which keeps them in its local store; older
//! versions kept them here, and [`SettingsFile::legacy_settings`] hands those over once.

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

    /// Settings an older Herald saved here, for the engine to take over once. `None` when
    /// there are none or they are not valid settings (logged; the defaults then stand).
    pub fn legacy_settings(&self) -> Option<Settings> {
        let value = self.store.get(SETTINGS_KEY)?;
        serde_json::from_value(value)
            .map_err(|e| log::warn!("settings in settings.json are invalid ({e}); ignored"))
            .ok()
    }

    /// Removes the old settings key once the engine holds them, so the file is never read as
    /// a second owner again.
    pub fn forget_legacy_settings(&self) {
        if self.store.delete(SETTINGS_KEY) {
            if let Err(e) = self.store.save() {
                log::warn!("could not rewrite settings.json without the old settings: {e}");
            }
        }
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
            "settings file {} is not valid; starting without it (the old file is kept as {})",
            path.display(),
            aside.display()
        ),
        Err(e) => log::warn!(
            "settings file {} is not valid and could not be moved aside ({e}); starting without it",
            path.display()
        ),
    }
}
