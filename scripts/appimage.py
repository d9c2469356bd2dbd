"""Builds Herald's AppImage from the desktop binary, WebKitGTK of this machine and Herald's own
AppImage runtime (crates/appimage-runtime), with nothing downloaded.

Why not `tauri build --bundles appimage`: tauri's bundler downloads linuxdeploy and AppRun from
GitHub, which the build machines cannot reach. This does what those tools do for a Tauri app,
the same way (see ARCHITECTURE.md, "AppImage"):

  AppDir/
    AppRun                     shell script: cd usr (WebKit finds its helpers relative to it), exec
    Herald.desktop, Herald.png, .DirIcon
    usr/bin/herald-desktop     bundle type patched to AppImage (the updater replaces $APPIMAGE)
    usr/lib/*.so*              every library the app and WebKit's helpers link, but the
                               excludelist's (glibc, libstdc++, GL/Mesa, X11/Wayland client,
                               fonts: the host's own must be used), each with RUNPATH $ORIGIN
    usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/   WebKit's helper processes and injected bundle
    usr/share/applications, usr/share/icons    for desktop integration tools

libwebkit2gtk has its helpers' directory compiled in (/usr/lib/<triplet>/webkit2gtk-4.1); as in
tauri's AppImages, "/usr" is rewritten to "././" (same length) in the bundled copy, which makes
the path relative to the working directory AppRun sets ($APPDIR/usr).

Usage: python3 scripts/appimage.py <herald-desktop> <runtime> <icons dir> <out dir> <version>
Prints the AppImage's path. Needs patchelf and mksquashfs (squashfs-tools), from bootstrap.
"""

import functools
import os
import re
import shutil
import stat
import subprocess
import sys

TRIPLET_DIR = "/usr/lib/x86_64-linux-gnu"
WEBKIT_HELPERS = os.path.join(TRIPLET_DIR, "webkit2gtk-4.1")
# Opened with dlopen, so no ldd sees them: the tray (libappindicator-sys tries these in order).
DLOPENED = ["libayatana-appindicator3.so.1"]

# The AppImage project's excludelist (pkg2appimage), plus every libwayland-*: these must come
# from the host, because they talk to its kernel drivers, display server or font setup, or
# (glibc, libstdc++) because nothing else works when two copies meet in one process.
EXCLUDE = {
    "ld-linux.so.2", "ld-linux-x86-64.so.2", "libanl.so.1", "libBrokenLocale.so.1", "libcidn.so.1",
    "libc.so.6", "libdl.so.2", "libm.so.6", "libmvec.so.1", "libnss_compat.so.2",
    "libnss_dns.so.2", "libnss_files.so.2", "libnss_hesiod.so.2", "libnss_nisplus.so.2",
    "libnss_nis.so.2", "libpthread.so.0", "libresolv.so.2", "librt.so.1", "libthread_db.so.1",
    "libutil.so.1", "libstdc++.so.6", "libgcc_s.so.1",
    "libGL.so.1", "libEGL.so.1", "libGLdispatch.so.0", "libGLX.so.0", "libOpenGL.so.0",
    "libdrm.so.2", "libglapi.so.0", "libgbm.so.1",
    "libxcb.so.1", "libX11.so.6", "libX11-xcb.so.1", "libxcb-dri3.so.0", "libxcb-dri2.so.0",
    "libasound.so.2", "libjack.so.0", "libpipewire-0.3.so.0",
    "libfontconfig.so.1", "libfreetype.so.6", "libharfbuzz.so.0", "libfribidi.so.0",
    "libcom_err.so.2", "libexpat.so.1", "libgpg-error.so.0", "libICE.so.6", "libSM.so.6",
    "libusb-1.0.so.0", "libuuid.so.1", "libz.so.1", "libgmp.so.10",
}
EXCLUDE_PATTERNS = [re.compile(r"^libwayland-.*\.so")]

BUNDLE_TYPE_UNKNOWN = b"__TAURI_BUNDLE_TYPE_VAR_UNK"
BUNDLE_TYPE_APPIMAGE = b"__TAURI_BUNDLE_TYPE_VAR_APP"

APP_RUN = """#!/bin/sh
# Herald's AppImage entry point (written by scripts/appimage.py). The runtime has set APPDIR,
# APPIMAGE, ARGV0 and OWD. WebKitGTK finds its helper processes relative to the working
# directory (see scripts/appimage.py), so the app runs in $APPDIR/usr; OWD keeps the original.
HERE="$(dirname "$(readlink -f "$0")")"
APPDIR="${APPDIR:-$HERE}"
export APPDIR
cd "$APPDIR/usr" || exit 1
exec "$APPDIR/usr/bin/herald-desktop" "$@"
"""


def excluded(name):
    return name in EXCLUDE or any(p.match(name) for p in EXCLUDE_PATTERNS)


def ldd(path):
    """soname -> resolved path of every library `path` needs (transitively, as ld.so sees it)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    deps = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+) \(", line)
        if m:
            deps[m.group(1)] = m.group(2)
        elif "not found" in line:
            raise SystemExit(f"appimage: {path} needs {line.split()[0]}, which is not installed")
    return deps


@functools.lru_cache(maxsize=None)
def ldconfig_listing():
    return subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout


def find_library(soname):
    for line in ldconfig_listing().splitlines():
        parts = line.strip().split(" => ")
        if len(parts) == 2 and parts[0].split()[0] == soname and "x86-64" in parts[0]:
            return parts[1]
    raise SystemExit(f"appimage: {soname} is not installed (bootstrap installs it)")


def set_runpath(path, runpath):
    subprocess.run(["patchelf", "--set-rpath", runpath, path], check=True)


def copy_file(src, dst, mode=None):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, mode if mode is not None else (os.stat(src).st_mode & 0o7777) | stat.S_IWUSR)


def build_appdir(app, icons, appdir):
    if os.path.exists(appdir):
        shutil.rmtree(appdir)
    usr = os.path.join(appdir, "usr")
    lib = os.path.join(usr, "lib")
    os.makedirs(lib)

    # The app, marked as an AppImage build for the updater.
    binary = os.path.join(usr, "bin", "herald-desktop")
    copy_file(app, binary, 0o755)
    with open(binary, "rb") as f:
        data = f.read()
    if data.count(BUNDLE_TYPE_UNKNOWN) != 1:
        raise SystemExit("appimage: the bundle type marker is missing from the binary")
    with open(binary, "wb") as f:
        f.write(data.replace(BUNDLE_TYPE_UNKNOWN, BUNDLE_TYPE_APPIMAGE))

    # WebKit's helper processes and injected bundle, at their compiled-in path below usr.
    helpers = []
    for root, _dirs, files in os.walk(WEBKIT_HELPERS):
        for name in files:
            if name == "MiniBrowser":
                continue
            src = os.path.join(root, name)
            dst = os.path.join(usr, os.path.relpath(src, "/usr"))
            copy_file(src, dst)
            helpers.append(dst)

    # Every library they need, flat in usr/lib.
    needed = {}
    for elf in [binary] + helpers + [find_library(s) for s in DLOPENED]:
        needed.update(ldd(elf))
    for soname in DLOPENED:
        needed[soname] = find_library(soname)
    bundled = []
    for soname, src in sorted(needed.items()):
        if excluded(soname):
            continue
        dst = os.path.join(lib, soname)
        copy_file(os.path.realpath(src), dst)
        bundled.append(dst)

    # Each finds its own dependencies next to itself, never through LD_LIBRARY_PATH (which
    # programs Herald starts, such as the browser for a link, would inherit).
    set_runpath(binary, "$ORIGIN/../lib")
    for path in helpers:
        depth = os.path.relpath(lib, os.path.dirname(path))
        set_runpath(path, "$ORIGIN/" + depth)
    for path in bundled:
        set_runpath(path, "$ORIGIN")

    # WebKit's compiled-in helper paths, made relative to the working directory ($APPDIR/usr).
    for path in bundled:
        if os.path.basename(path).startswith("libwebkit"):
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data.replace(b"/usr", b"././"))

    # Desktop integration: the entry and icons, at the root as the AppImage format asks.
    desktop = (
        "[Desktop Entry]\nType=Application\nName=Herald\nComment=Realtime chat and notifications\n"
        "Exec=herald-desktop\nIcon=herald-desktop\nCategories=Network;\nTerminal=false\n"
        "StartupWMClass=herald-desktop\n"
    )
    os.makedirs(os.path.join(usr, "share", "applications"))
    for path in [os.path.join(appdir, "Herald.desktop"),
                 os.path.join(usr, "share", "applications", "Herald.desktop")]:
        with open(path, "w") as f:
            f.write(desktop)
    for size in ["32x32", "64x64", "128x128", "256x256"]:
        src = os.path.join(icons, f"{size}.png")
        if os.path.exists(src):
            copy_file(src, os.path.join(usr, "share", "icons", "hicolor", size, "apps",
                                        "herald-desktop.png"), 0o644)
    copy_file(os.path.join(icons, "icon.png"), os.path.join(appdir, "herald-desktop.png"), 0o644)
    os.symlink("herald-desktop.png", os.path.join(appdir, ".DirIcon"))

    app_run = os.path.join(appdir, "AppRun")
    with open(app_run, "w") as f:
        f.write(APP_RUN)
    os.chmod(app_run, 0o755)
    return len(bundled)


def main():
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    app, runtime, icons, out, version = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    appdir = os.path.join(out, "Herald.AppDir")
    libs = build_appdir(app, icons, appdir)
    payload = os.path.join(out, "payload.squashfs")
    if os.path.exists(payload):
        os.remove(payload)
    subprocess.run(["mksquashfs", appdir, payload, "-comp", "zstd", "-root-owned", "-noappend",
                    "-b", "1M", "-quiet", "-no-progress"], check=True)
    image = os.path.join(out, f"Herald_{version}_amd64.AppImage")
    with open(image, "wb") as dst:
        for part in [runtime, payload]:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst)
    os.chmod(image, 0o755)
    os.remove(payload)
    print(f"appimage: {libs} libraries bundled", file=sys.stderr)
    print(image)


if __name__ == "__main__":
    main()
