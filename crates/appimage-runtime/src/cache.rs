//! The unpacked copy of an image's payload, kept between starts.
//!
//! Why a cache and not a FUSE mount or a fresh copy each time: FUSE is missing on many
//! machines (containers, CI, some distributions' defaults), and unpacking ~100 MB at every
//! start costs seconds. The directory is named after a hash of the payload (xxh3, read at a few
//! GB/s), so an updated image (same file name, new bytes) gets a new directory and never runs
//! stale files; the directories of older payloads of the same application are removed once the
//! new one is complete. Unpacking goes to a private temporary directory renamed into place in
//! one step, so two starts at once (or a start after a crash mid-unpack) never see half a tree.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::{extract, RuntimeError};

/// The file every payload must hold at its root.
pub const APP_RUN: &str = "AppRun";

/// `$XDG_CACHE_HOME/herald-appimage`, else `~/.cache/herald-appimage`, else the temp dir's.
pub fn cache_root() -> PathBuf {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let base = non_empty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("herald-appimage")
}

/// The application's name as the cache names it: the leading letters and digits of the
/// image's file name (`Herald_0.2.0_amd64.AppImage` → `Herald`), so every version of one app
/// shares a prefix and replaces the last.
pub fn app_name(image: &Path) -> String {
    let name: String = image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if name.is_empty() {
        "app".to_owned()
    } else {
        name
    }
}

/// A hash of the payload's bytes.
pub fn payload_key(image: &Path, offset: u64) -> Result<u64, RuntimeError> {
    let mut file = fs::File::open(image).map_err(|e| RuntimeError::io(image, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| RuntimeError::io(image, e))?;
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| RuntimeError::io(image, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.digest())
}

/// How [`prepare`] found the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// Unpacked by an earlier start.
    Reused,
    /// Unpacked now.
    Unpacked,
}

/// The unpacked payload of `image` under `root`, unpacking it first if no earlier start did.
pub fn prepare(
    image: &Path,
    offset: u64,
    root: &Path,
) -> Result<(PathBuf, Prepared), RuntimeError> {
    let name = app_name(image);
    let key = payload_key(image, offset)?;
    let dir = root.join(format!("{name}-{key:016x}"));
    if dir.join(APP_RUN).is_file() {
        return Ok((dir, Prepared::Reused));
    }
    fs::create_dir_all(root).map_err(|e| RuntimeError::io(root, e))?;
    let partial = root.join(format!(".{name}-{key:016x}.{}.partial", std::process::id()));
    let _ = fs::remove_dir_all(&partial);
    let unpacked = extract::open(image, offset)
        .and_then(|payload| extract::extract_all(&payload, &partial, None, |_| {}));
    if let Err(e) = unpacked {
        let _ = fs::remove_dir_all(&partial);
        return Err(e);
    }
    if !partial.join(APP_RUN).is_file() {
        let _ = fs::remove_dir_all(&partial);
        return Err(RuntimeError::Payload(format!(
            "{}: the payload has no {APP_RUN} at its root",
            image.display()
        )));
    }
    match fs::rename(&partial, &dir) {
        Ok(()) => {}
        // Another start finished the same payload first: use its copy.
        Err(_) if dir.join(APP_RUN).is_file() => {
            let _ = fs::remove_dir_all(&partial);
            return Ok((dir, Prepared::Reused));
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            return Err(RuntimeError::io(&dir, e));
        }
    }
    remove_older(root, &name, &dir);
    Ok((dir, Prepared::Unpacked))
}

/// Removes the other payload directories of `name` (older versions) and the partial ones of
/// older payloads left by a start that died. Partial directories of the current payload stay:
/// they may be another start, unpacking at this moment. Failures are ignored (a directory
/// still in use stays until next time).
fn remove_older(root: &Path, name: &str, keep: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let kept = keep
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!("{name}-");
    let partial_prefix = format!(".{name}-");
    let current_partial = format!(".{kept}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let older = (file_name.starts_with(&prefix) && file_name != kept)
            || (file_name.starts_with(&partial_prefix)
                && file_name.ends_with(".partial")
                && !file_name.starts_with(&current_partial));
        if older {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_of_an_app_shares_one_cache_name() {
        assert_eq!(
            app_name(Path::new("/opt/Herald_0.2.0_amd64.AppImage")),
            "Herald"
        );
        assert_eq!(app_name(Path::new("Herald-x86_64.AppImage")), "Herald");
        assert_eq!(app_name(Path::new("/tmp/.AppImage")), "app");
    }
}
