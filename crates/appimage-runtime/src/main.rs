//! `herald-appimage-runtime`: see the library's documentation. This file only reads the
//! command line and reports errors; a failure exits with 1 and a message on stderr.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use herald_appimage_runtime::cache::{self, Prepared, APP_RUN};
use herald_appimage_runtime::{extract, image_path, payload_env, payload_offset, RuntimeError};

const HELP: &str = "\
This is an AppImage: a whole application in one executable file.

Run it as it is to start the application. The first start unpacks it into
$XDG_CACHE_HOME/herald-appimage (~/.cache/herald-appimage); later starts reuse that copy.

Options, taken only as the first argument:
  --appimage-extract [PREFIX]  unpack the payload (or the entries under PREFIX) into ./squashfs-root
  --appimage-extract-and-run   start the application (what a plain start does; no FUSE is used)
  --appimage-offset            print where the payload starts in this file
  --appimage-help              this text
  --appimage-version           the runtime's version
Environment: TARGET_APPIMAGE=<file> acts on that image instead of this file.
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("AppImage runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, RuntimeError> {
    let mut args = std::env::args_os();
    let argv0 = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest: Vec<_> = args.collect();
    let option = rest
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| a.starts_with("--appimage-"));
    let image = image_path()?;
    match option.as_deref() {
        None | Some("--appimage-extract-and-run") => {
            let skip = usize::from(option.is_some());
            launch(&image, &argv0, &rest[skip..])
        }
        Some("--appimage-extract") => {
            let prefix = rest.get(1).map(|p| p.to_string_lossy().into_owned());
            let offset = payload_offset(&image)?;
            let payload = extract::open(&image, offset)?;
            let dest = Path::new("squashfs-root");
            extract::extract_all(&payload, dest, prefix.as_deref(), |p| {
                println!("{}", dest.join(p).display());
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Some("--appimage-offset") => {
            println!("{}", payload_offset(&image)?);
            Ok(ExitCode::SUCCESS)
        }
        Some("--appimage-help") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        Some("--appimage-version") => {
            println!("herald-appimage-runtime {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(RuntimeError::Usage(format!(
            "unknown option {other}; see --appimage-help"
        ))),
    }
}

/// Unpacks (once) and replaces this process with the payload's `AppRun`.
fn launch(
    image: &Path,
    argv0: &str,
    args: &[std::ffi::OsString],
) -> Result<ExitCode, RuntimeError> {
    let offset = payload_offset(image)?;
    let (appdir, how) = cache::prepare(image, offset, &cache::cache_root())?;
    if how == Prepared::Unpacked && std::env::var_os("HERALD_APPIMAGE_QUIET").is_none() {
        eprintln!("AppImage runtime: unpacked into {}", appdir.display());
    }
    let app_run = appdir.join(APP_RUN);
    let err = Command::new(&app_run)
        .args(args)
        .envs(payload_env(image, &appdir, argv0))
        .exec();
    Err(RuntimeError::io(&app_run, err))
}
