//! Signed auto-update through tauri-plugin-updater: check at start and on demand (settings page,
//! tray menu), download, verify, install.
//!
//! Why it is safe to point at any feed: the public key is compiled in from tauri.conf.json
//! (`plugins.updater.pubkey`, a minisign key made with `tauri signer generate`), and the plugin
//! refuses any download whose signature does not verify against it before a byte is installed.
//! A tampered feed or a man in the middle can at worst withhold an update. So the feed URL may
//! come from the config (`plugins.updater.endpoints`) or, for self-hosted feeds and the tests,
//! from `HERALD_UPDATE_ENDPOINT`.
//!
//! Installing: an AppImage is replaced in place and a .deb goes through `pkexec dpkg -i` (the
//! plugin's installers); either way the new version runs from the next start. A copy that was
//! not installed from a package (a `cargo build`) downloads and verifies, then says it cannot
//! replace itself rather than overwrite a development binary.

use std::path::PathBuf;
use std::time::Duration;

use herald_protocol::ipc::{ErrorCode, UiError, UpdateStatus};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::UpdaterExt;

/// How long one check or download may take before it is given up.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(120);

/// Where updates come from and go to; passed explicitly (the binary fills it from the
/// environment).
#[derive(Debug, Clone, Default)]
pub struct UpdateConfig {
    /// Replaces the feed URLs of tauri.conf.json (`HERALD_UPDATE_ENDPOINT`).
    pub endpoint: Option<String>,
    /// Installs into this AppImage path instead of the running package (tests).
    pub install_path: Option<PathBuf>,
    /// Check once at start (the real app; off on the mock runtime).
    pub check_at_start: bool,
}

impl UpdateConfig {
    /// `HERALD_UPDATE_ENDPOINT` over the config's feed; checks at start.
    pub fn from_env() -> Self {
        Self {
            endpoint: std::env::var("HERALD_UPDATE_ENDPOINT")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            install_path: None,
            check_at_start: true,
        }
    }
}

/// Managed state: one check at a time, and the version already installed this run.
#[derive(Default)]
pub struct Updates {
    installed: tokio::sync::Mutex<Option<String>>,
}

/// Checks the feed; when a newer version is there, downloads it, verifies its signature and
/// installs it. `Ready` means the next start runs it.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    config: &UpdateConfig,
) -> Result<UpdateStatus, UiError> {
    let updates = app.state::<Updates>();
    let mut installed = updates.installed.lock().await;
    if let Some(version) = installed.clone() {
        return Ok(UpdateStatus::Ready { version });
    }
    let mut builder = app.updater_builder().timeout(UPDATE_TIMEOUT);
    if let Some(endpoint) = &config.endpoint {
        let url = endpoint.parse().map_err(|e| {
            failed(format!(
                "The update feed address {endpoint:?} is not a URL ({e}); fix HERALD_UPDATE_ENDPOINT."
            ))
        })?;
        builder = builder.endpoints(vec![url]).map_err(describe)?;
    }
    if let Some(path) = &config.install_path {
        builder = builder.executable_path(path);
    }
    let updater = builder.build().map_err(describe)?;
    let Some(update) = updater.check().await.map_err(describe)? else {
        log::info!(
            "update check: Herald {} is current",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(UpdateStatus::UpToDate);
    };
    let version = update.version.clone();
    log::info!("update check: Herald {version} is available; downloading");
    let bytes = update.download(|_, _| {}, || {}).await.map_err(describe)?;
    log::info!(
        "update {version}: {} bytes downloaded, signature verified",
        bytes.len()
    );
    if config.install_path.is_none() && tauri::utils::platform::bundle_type().is_none() {
        return Err(failed(format!(
            "Herald {version} was downloaded and its signature verified, but this copy was not \
             installed from a package (.deb or AppImage), so it cannot replace itself. Install \
             the new package from your distribution channel."
        )));
    }
    update.install(&bytes).map_err(describe)?;
    log::info!("update {version} installed; it runs from the next start");
    *installed = Some(version.clone());
    Ok(UpdateStatus::Ready { version })
}

/// The check at start: in the background, logged, never in the way.
pub fn check_at_start<R: Runtime>(app: &AppHandle<R>, config: &UpdateConfig) {
    if !config.check_at_start {
        return;
    }
    let app = app.clone();
    let config = config.clone();
    tauri::async_runtime::spawn(async move {
        // Every outcome is logged by `check` (a failure with its cause, see `describe`).
        let _ = check(&app, &config).await;
    });
}

fn failed(message: String) -> UiError {
    UiError::new(ErrorCode::UpdateFailed, message)
}

/// What went wrong, said so a person knows what to do next.
fn describe(e: tauri_plugin_updater::Error) -> UiError {
    use tauri_plugin_updater::Error as E;
    log::warn!("update check failed: {e}");
    failed(match e {
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) | E::SignedVersionMismatch { .. } | E::MissingSignedVersion => {
            "The downloaded update is not signed with Herald's key, so it was refused and nothing was installed. Try again later; if it keeps happening, the update feed may have been tampered with.".to_owned()
        }
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound => {
            "The update server could not be reached. Check your connection and try again.".to_owned()
        }
        E::EmptyEndpoints => "This build has no update feed configured; install new versions from your distribution channel.".to_owned(),
        E::InsecureTransportProtocol => "The update feed must use https; fix the feed address.".to_owned(),
        E::TargetNotFound(_) | E::TargetsNotFound(_) => {
            "The update feed has no build for this system; install new versions from your distribution channel.".to_owned()
        }
        E::AuthenticationFailed => "Installing the update needs an administrator's approval, which was not given. Check for updates again to retry.".to_owned(),
        other => format!("The update could not be installed ({other}). Try again, or install the new package by hand."),
    })
}
