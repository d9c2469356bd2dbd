//! Where the session token lives: the OS keyring (the `keyring` crate: Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), or — on a machine with no keyring service,
//! such as a bare CI box — a file in the profile that only the user can read (0600), which the
//! log says once. The token is never logged; neither is a password.
//!
//! The session itself (server URL and user) is kept by herald-client's store; only the secret is
//! kept here, so `Client::start` gets it as `ClientConfig::token` and connects at once.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Keyring service name; the bundle identifier keeps it unique per app.
const SERVICE: &str = "dev.herald.desktop";
/// Keyring entry name.
const ACCOUNT: &str = "session-token";
/// The fallback file, in the profile directory.
const TOKEN_FILE: &str = "session.token";

/// Why the token could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Neither the keyring nor the fallback file could be written.
    #[error("could not keep the session token in {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The token store: keyring first, 0600 file second.
#[derive(Debug, Clone)]
pub struct TokenVault {
    file: PathBuf,
    use_keyring: bool,
}

impl TokenVault {
    /// `use_keyring = false` keeps the token in the file only (tests, portable profiles).
    pub fn new(profile_dir: &Path, use_keyring: bool) -> Self {
        Self {
            file: profile_dir.join(TOKEN_FILE),
            use_keyring,
        }
    }

    fn entry(&self) -> Option<keyring::Entry> {
        if !self.use_keyring {
            return None;
        }
        match keyring::Entry::new(SERVICE, ACCOUNT) {
            Ok(e) => Some(e),
            Err(e) => {
                log::warn!("no OS keyring available ({e}); the session token is kept in a file readable only by you");
                None
            }
        }
    }

    /// The stored token, if any.
    pub fn load(&self) -> Option<String> {
        if let Some(entry) = self.entry() {
            match entry.get_password() {
                Ok(token) => return Some(token),
                Err(keyring::Error::NoEntry) => {}
                Err(e) => log::info!("OS keyring not readable ({e}); looking for the token file"),
            }
        }
        match fs::read_to_string(&self.file) {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            _ => None,
        }
    }

    /// Keeps `token`: in the keyring when one answers, else in the 0600 file.
    pub fn save(&self, token: &str) -> Result<(), VaultError> {
        if let Some(entry) = self.entry() {
            match entry.set_password(token) {
                Ok(()) => {
                    // A token left in the file by an earlier keyring-less run is stale now.
                    let _ = fs::remove_file(&self.file);
                    log::info!("session token stored in the OS keyring");
                    return Ok(());
                }
                Err(e) => log::warn!(
                    "no OS keyring service ({e}); storing the session token in {} (readable only by you)",
                    self.file.display()
                ),
            }
        } else {
            log::info!(
                "storing the session token in {} (readable only by you)",
                self.file.display()
            );
        }
        write_private(&self.file, token).map_err(|source| VaultError::File {
            path: self.file.clone(),
            source,
        })
    }

    /// Forgets the token everywhere (logout).
    pub fn clear(&self) {
        if let Some(entry) = self.entry() {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => log::debug!("keyring delete failed ({e})"),
            }
        }
        match fs::remove_file(&self.file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("could not remove {}: {e}", self.file.display()),
        }
    }
}

/// Writes `text` to `path`, created with mode 0600 on Unix (never world-readable, not even
/// for an instant).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_fallback_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let vault = TokenVault::new(dir.path(), false);
        assert_eq!(vault.load(), None);
        vault.save("secret-token").unwrap();
        assert_eq!(vault.load().as_deref(), Some("secret-token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        vault.clear();
        assert_eq!(vault.load(), None);
    }
}
