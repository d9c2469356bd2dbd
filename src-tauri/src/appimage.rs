//! What changes when Herald runs from its AppImage (scripts/appimage.py).
//!
//! The AppImage's runtime and AppRun give Herald `APPIMAGE`, `APPDIR`, `ARGV0` and `OWD`, and a
//! working directory inside the unpacked image (WebKit finds its helpers relative to it).
//! Programs Herald starts for the person (the browser for a link) must not inherit those:
//! another AppImage or Electron app seeing `APPIMAGE` would take the file for its own (and, for
//! one, try to update it), and it would run inside Herald's cache directory.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

/// The variables every AppImage runtime sets for its payload.
const APPIMAGE_VARS: [&str; 4] = ["APPIMAGE", "APPDIR", "ARGV0", "OWD"];

/// A command for a program of the host (a link handler), started as if Herald were not in an
/// AppImage: without the AppImage's variables, in the directory Herald was started from.
pub fn host_command(program: impl AsRef<OsStr>) -> Command {
    let in_appimage = std::env::var_os("APPIMAGE").is_some();
    let owd = std::env::var_os("OWD").map(PathBuf::from);
    host_command_with(program, in_appimage, owd)
}

fn host_command_with(
    program: impl AsRef<OsStr>,
    in_appimage: bool,
    owd: Option<PathBuf>,
) -> Command {
    let mut cmd = Command::new(program);
    if in_appimage {
        for var in APPIMAGE_VARS {
            cmd.env_remove(var);
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(dir) = owd.filter(|d| d.is_dir()).or(home) {
            cmd.current_dir(dir);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_started_from_the_appimage_sees_neither_its_variables_nor_its_directory() {
        let owd = std::env::temp_dir();
        let cmd = host_command_with("xdg-open", true, Some(owd.clone()));
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(removed.len(), 4, "{removed:?}");
        for var in APPIMAGE_VARS {
            assert!(removed.iter().any(|r| r == var), "{var} kept");
        }
        assert_eq!(cmd.get_current_dir(), Some(owd.as_path()));
    }

    #[test]
    fn outside_an_appimage_the_command_is_left_alone() {
        let cmd = host_command_with("xdg-open", false, None);
        assert_eq!(cmd.get_envs().count(), 0);
        assert_eq!(cmd.get_current_dir(), None);
    }
}
