//! Unpacking the squashfs payload into a directory.
//!
//! Only what an application directory holds is written: directories, regular files (with their
//! permission bits) and symlinks. Device nodes, pipes and sockets are skipped, and a path that
//! would leave the destination (`..`) is refused, so a damaged or hostile image cannot write
//! outside the directory it is unpacked into.

use std::fs;
use std::io::{self, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use backhand::{FilesystemReader, InnerNode};

use crate::RuntimeError;

/// What an extraction wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    pub files: usize,
    pub dirs: usize,
    pub symlinks: usize,
    pub skipped: usize,
}

/// Opens the squashfs that starts `offset` bytes into `image`.
pub fn open(image: &Path, offset: u64) -> Result<FilesystemReader<'static>, RuntimeError> {
    let file = fs::File::open(image).map_err(|e| RuntimeError::io(image, e))?;
    FilesystemReader::from_reader_with_offset(BufReader::new(file), offset).map_err(|e| {
        RuntimeError::Payload(format!(
            "{}: no readable squashfs at offset {offset}: {e}",
            image.display()
        ))
    })
}

/// Writes every entry of `payload` under `dest` (created if missing) whose path, relative to
/// the image root, starts with `only` (all entries when `None`). `on_entry` sees each path
/// written, for `--appimage-extract`'s listing.
pub fn extract_all(
    payload: &FilesystemReader<'_>,
    dest: &Path,
    only: Option<&str>,
    mut on_entry: impl FnMut(&Path),
) -> Result<Extracted, RuntimeError> {
    fs::create_dir_all(dest).map_err(|e| RuntimeError::io(dest, e))?;
    let mut done = Extracted::default();
    let mut dir_modes = Vec::new();
    for node in payload.files() {
        let relative = safe_relative(&node.fullpath)?;
        if relative.as_os_str().is_empty() {
            continue; // the root itself
        }
        if let Some(prefix) = only {
            if !relative.to_string_lossy().starts_with(prefix) {
                continue;
            }
        }
        let target = dest.join(&relative);
        let mode = u32::from(node.header.permissions) & 0o7777;
        match &node.inner {
            InnerNode::Dir(_) => {
                fs::create_dir_all(&target).map_err(|e| RuntimeError::io(&target, e))?;
                dir_modes.push((target.clone(), mode));
                done.dirs += 1;
            }
            InnerNode::File(file) => {
                make_parent(&target)?;
                let mut reader = payload.file(file).reader();
                let mut out =
                    fs::File::create(&target).map_err(|e| RuntimeError::io(&target, e))?;
                io::copy(&mut reader, &mut out).map_err(|e| RuntimeError::io(&target, e))?;
                fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                    .map_err(|e| RuntimeError::io(&target, e))?;
                done.files += 1;
            }
            InnerNode::Symlink(link) => {
                make_parent(&target)?;
                std::os::unix::fs::symlink(&link.link, &target)
                    .map_err(|e| RuntimeError::io(&target, e))?;
                done.symlinks += 1;
            }
            _ => {
                done.skipped += 1;
                continue;
            }
        }
        on_entry(&relative);
    }
    // Last, so a read-only directory does not stop its own entries from being written.
    for (dir, mode) in dir_modes.into_iter().rev() {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
            .map_err(|e| RuntimeError::io(&dir, e))?;
    }
    Ok(done)
}

/// The image path without its root, refusing anything that could climb out of `dest`.
fn safe_relative(path: &Path) -> Result<PathBuf, RuntimeError> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(p) => out.push(p),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(RuntimeError::Payload(format!(
                    "the image holds a path that leaves its root: {}",
                    path.display()
                )))
            }
        }
    }
    Ok(out)
}

fn make_parent(target: &Path) -> Result<(), RuntimeError> {
    match target.parent() {
        Some(parent) => fs::create_dir_all(parent).map_err(|e| RuntimeError::io(parent, e)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_taken_relative_to_the_image_root() {
        let p = safe_relative(Path::new("/usr/bin/herald-desktop")).ok();
        assert_eq!(p, Some(PathBuf::from("usr/bin/herald-desktop")));
        assert_eq!(safe_relative(Path::new("/")).ok(), Some(PathBuf::new()));
    }

    #[test]
    fn a_path_that_climbs_out_of_the_destination_is_refused() {
        assert!(safe_relative(Path::new("/usr/../../etc/passwd")).is_err());
    }
}
