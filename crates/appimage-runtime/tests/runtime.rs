//! The runtime binary as a person's desktop runs it: an image made the way scripts/appimage.py
//! makes Herald's (this runtime, the AppImage magic, a zstd squashfs from Debian's mksquashfs),
//! whose AppRun reports its environment and arguments.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RUNTIME: &str = env!("CARGO_BIN_EXE_herald-appimage-runtime");

/// An AppDir whose AppRun prints what the runtime handed it.
fn appdir(dir: &Path, marker: &str) -> PathBuf {
    let root = dir.join(format!("AppDir-{marker}"));
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::write(
        root.join("AppRun"),
        format!(
            "#!/bin/sh\necho \"marker={marker}\"\necho \"APPIMAGE=$APPIMAGE\"\necho \"APPDIR=$APPDIR\"\n\
             echo \"OWD=$OWD\"\necho \"ARGV0=$ARGV0\"\nfor a in \"$@\"; do echo \"arg=$a\"; done\n"
        ),
    )
    .unwrap();
    fs::set_permissions(root.join("AppRun"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("usr/bin/tool"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(root.join("usr/bin/tool"), fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink("usr/bin/tool", root.join("tool-link")).unwrap();
    root
}

/// runtime + AppImage magic + squashfs of `appdir`, as `name` in `dir`.
fn image(dir: &Path, appdir: &Path, name: &str) -> PathBuf {
    let payload = dir.join(format!("{name}.squashfs"));
    let status = Command::new("mksquashfs")
        .arg(appdir)
        .arg(&payload)
        .args([
            "-comp",
            "zstd",
            "-root-owned",
            "-noappend",
            "-quiet",
            "-no-progress",
        ])
        .status()
        .expect("mksquashfs (squashfs-tools, installed by scripts/bootstrap.sh)");
    assert!(status.success());
    let mut bytes = fs::read(RUNTIME).unwrap();
    bytes[8..11].copy_from_slice(b"AI\x02");
    bytes.extend(fs::read(&payload).unwrap());
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn run(image: &Path, cache: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(image)
        .args(args)
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", cache)
        .env_remove("TARGET_APPIMAGE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn cached_dirs(cache: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<_> = fs::read_dir(cache.join("herald-appimage"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn a_start_runs_app_run_with_the_appimage_environment_and_the_arguments() {
    let t = tempfile::tempdir().unwrap();
    let img = image(
        t.path(),
        &appdir(t.path(), "one"),
        "Demo_1.0_amd64.AppImage",
    );
    let cache = t.path().join("cache");
    let o = run(&img, &cache, t.path(), &["--minimized", "two words"]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    let dirs = cached_dirs(&cache);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert!(dirs[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("Demo-"));
    assert!(out.contains("marker=one\n"), "{out}");
    assert!(
        out.contains(&format!("APPIMAGE={}\n", img.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("APPDIR={}\n", dirs[0].display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("OWD={}\n", t.path().display())),
        "{out}"
    );
    assert!(out.contains("arg=--minimized\narg=two words\n"), "{out}");
    // What the payload holds arrives intact: modes and symlinks.
    let tool = dirs[0].join("usr/bin/tool");
    assert_eq!(
        fs::metadata(&tool).unwrap().permissions().mode() & 0o777,
        0o750
    );
    assert_eq!(
        fs::read_link(dirs[0].join("tool-link")).unwrap(),
        Path::new("usr/bin/tool")
    );
}

#[test]
fn a_second_start_reuses_the_unpacked_copy() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "one"), "Demo.AppImage");
    let cache = t.path().join("cache");
    let first = run(&img, &cache, t.path(), &[]);
    assert!(String::from_utf8_lossy(&first.stderr).contains("unpacked into"));
    let dir = cached_dirs(&cache).remove(0);
    fs::write(dir.join("left-by-the-first-start"), b"").unwrap();
    let second = run(&img, &cache, t.path(), &[]);
    assert!(second.status.success());
    assert!(!String::from_utf8_lossy(&second.stderr).contains("unpacked into"));
    assert!(dir.join("left-by-the-first-start").exists());
}

#[test]
fn an_updated_image_gets_a_fresh_copy_and_the_old_one_is_removed() {
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    let img = image(t.path(), &appdir(t.path(), "old"), "Demo.AppImage");
    assert!(stdout(&run(&img, &cache, t.path(), &[])).contains("marker=old"));
    let old = cached_dirs(&cache);
    // The updater replaces the file in place: same name, new bytes.
    let img = image(t.path(), &appdir(t.path(), "new"), "Demo.AppImage");
    assert!(stdout(&run(&img, &cache, t.path(), &[])).contains("marker=new"));
    let new = cached_dirs(&cache);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_ne!(old, new);
}

#[test]
fn extract_writes_the_payload_into_squashfs_root() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "one"), "Demo.AppImage");
    let o = run(
        &img,
        &t.path().join("cache"),
        t.path(),
        &["--appimage-extract"],
    );
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("squashfs-root/AppRun"));
    let app_run = t.path().join("squashfs-root/AppRun");
    assert_eq!(
        fs::metadata(app_run).unwrap().permissions().mode() & 0o777,
        0o755
    );
    assert!(
        !t.path().join("cache").exists(),
        "extracting must not start the app"
    );
}

#[test]
fn offset_points_at_the_squashfs_superblock() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "one"), "Demo.AppImage");
    let o = run(
        &img,
        &t.path().join("cache"),
        t.path(),
        &["--appimage-offset"],
    );
    let offset: usize = stdout(&o).trim().parse().unwrap();
    assert_eq!(offset as u64, fs::metadata(RUNTIME).unwrap().len());
    assert_eq!(&fs::read(&img).unwrap()[offset..offset + 4], b"hsqs");
}

#[test]
fn target_appimage_runs_another_image() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "target"), "Demo.AppImage");
    let o = Command::new(RUNTIME)
        .env("TARGET_APPIMAGE", &img)
        .env("XDG_CACHE_HOME", t.path().join("cache"))
        .output()
        .unwrap();
    assert!(stdout(&o).contains("marker=target"), "{o:?}");
}

#[test]
fn a_damaged_payload_fails_with_a_message_and_leaves_no_copy() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "one"), "Demo.AppImage");
    let mut bytes = fs::read(&img).unwrap();
    let at = fs::metadata(RUNTIME).unwrap().len() as usize;
    bytes.truncate(at + 200); // the superblock survives, the tables do not
    fs::write(&img, bytes).unwrap();
    let cache = t.path().join("cache");
    let o = run(&img, &cache, t.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("AppImage runtime: "));
    assert!(cached_dirs(&cache).is_empty(), "{:?}", cached_dirs(&cache));
}

#[test]
fn the_runtime_alone_says_it_has_no_payload() {
    let t = tempfile::tempdir().unwrap();
    let o = Command::new(RUNTIME)
        .env("XDG_CACHE_HOME", t.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nothing follows the ELF part"),
        "{o:?}"
    );
}

#[test]
fn an_unknown_option_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let img = image(t.path(), &appdir(t.path(), "one"), "Demo.AppImage");
    let o = run(
        &img,
        &t.path().join("cache"),
        t.path(),
        &["--appimage-mount"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown option --appimage-mount"));
}
