//! Herald's AppImage runtime: the small executable at the front of `Herald_*.AppImage`.
//!
//! Why Herald has its own: the AppImage runtime and linuxdeploy that `tauri build` uses are
//! downloaded from GitHub at build time, and the machines Herald is built on reach only the
//! package registries. An AppImage (type 2) is just an ELF with a squashfs appended and the
//! magic `AI\x02` at offset 8; this runtime reads the squashfs with `backhand`, so it needs no
//! FUSE either.
//!
//! What it does, as the reference runtime's `--appimage-extract-and-run` does, except that the
//! unpacked directory is kept as a cache (keyed by a hash of the payload) instead of being
//! unpacked again at every start:
//! 1. find the payload after the ELF part of the image (`elf`),
//! 2. unpack it once into `$XDG_CACHE_HOME/herald-appimage/<name>-<hash>` (`cache`, `extract`),
//! 3. exec its `AppRun` with `APPIMAGE`, `APPDIR`, `ARGV0` and `OWD` set, as every runtime does
//!    (tauri-plugin-updater finds the file to replace through `APPIMAGE`).
//!
//! Options (first argument only, as in the reference runtime): `--appimage-extract [PREFIX]`,
//! `--appimage-extract-and-run`, `--appimage-offset`, `--appimage-help`, `--appimage-version`.
//! `TARGET_APPIMAGE` makes it act on another image file.

pub mod cache;
pub mod elf;
pub mod extract;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Why the runtime could not start the application.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not an AppImage: {0}")]
    Elf(#[from] elf::ElfError),
    #[error("{0}")]
    Payload(String),
    #[error("{0}")]
    Usage(String),
}

impl RuntimeError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where the squashfs payload of `image` starts.
pub fn payload_offset(image: &Path) -> Result<u64, RuntimeError> {
    let mut file = File::open(image).map_err(|e| RuntimeError::io(image, e))?;
    let mut header = [0u8; 0x40];
    file.read_exact(&mut header)
        .map_err(|_| elf::ElfError::Truncated)?;
    let table = elf::section_table(&header)?;
    let mut last = vec![0u8; usize::from(table.entry_size)];
    file.seek(SeekFrom::Start(table.last_entry_offset()?))
        .and_then(|_| file.read_exact(&mut last))
        .map_err(|_| elf::ElfError::Truncated)?;
    let end = elf::elf_end(&header, &last)?;
    let len = file
        .metadata()
        .map_err(|e| RuntimeError::io(image, e))?
        .len();
    if end >= len {
        return Err(RuntimeError::Payload(format!(
            "{}: nothing follows the ELF part (a runtime without a payload)",
            image.display()
        )));
    }
    Ok(end)
}

/// The image this process acts on: `TARGET_APPIMAGE`, else its own executable.
pub fn image_path() -> Result<PathBuf, RuntimeError> {
    match std::env::var_os("TARGET_APPIMAGE").filter(|v| !v.is_empty()) {
        Some(target) => {
            let target = PathBuf::from(target);
            target
                .canonicalize()
                .map_err(|e| RuntimeError::io(&target, e))
        }
        None => {
            std::env::current_exe().map_err(|e| RuntimeError::io(Path::new("/proc/self/exe"), e))
        }
    }
}

/// The environment every AppImage runtime gives its payload.
pub fn payload_env(image: &Path, appdir: &Path, argv0: &str) -> Vec<(String, PathBuf)> {
    let mut env = vec![
        ("APPIMAGE".to_owned(), image.to_path_buf()),
        ("APPDIR".to_owned(), appdir.to_path_buf()),
        ("ARGV0".to_owned(), PathBuf::from(argv0)),
    ];
    if let Ok(cwd) = std::env::current_dir() {
        env.push(("OWD".to_owned(), cwd));
    }
    env
}
