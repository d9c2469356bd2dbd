#!/usr/bin/env bash
# Installs everything Herald needs on a Debian/Ubuntu machine, idempotently.
#
# Every step prints what it does and skips what is already there, so a second run on a ready
# machine takes seconds. Nothing is downloaded from outside the package registries (Debian's apt,
# crates.io via `cargo install`, npm via the committed package-lock.json).
#
# Usage: scripts/bootstrap.sh            # everything
#        HERALD_SKIP_APT=1 scripts/bootstrap.sh   # when apt is managed elsewhere
set -euo pipefail

herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$herald_root"
cd "$root"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

TRUNK_VERSION="0.22.1"
TAURI_DRIVER_VERSION="^2"

APT_PACKAGES=(
  # Tauri / WebKitGTK build and runtime
  build-essential pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev
  libssl-dev libxdo-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  # Real-window tests and screenshots
  xvfb xauth webkit2gtk-driver xdotool imagemagick
  # UI tests in a real browser engine
  chromium chromium-driver
  # Native notifications observed under a private D-Bus session
  dbus dbus-x11 dunst libdbus-1-dev
  # Real back ends for the server's tests
  redis-server postgresql
  # The Django Channels / Socket.IO backends of tests/compat (their own venv)
  python3-venv
  # The AppImage (scripts/appimage.py): RUNPATHs and the squashfs payload
  patchelf squashfs-tools
  # Misc
  curl ca-certificates jq
)
# Only needed when rustup cannot provide the wasm32 target (see wasm_route below).
WASM_APT_PACKAGES=(rustc-web rust-web-src)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then :; else missing+=("$p"); fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "apt: all ${#@} packages present"
    return
  fi
  say "apt: installing ${missing[*]}"
  if [ $apt_updated = 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "apt: done"
}

step "1/7 Debian packages"
if [ "${HERALD_SKIP_APT:-0}" = 1 ]; then say "apt: skipped (HERALD_SKIP_APT=1)"; else apt_install "${APT_PACKAGES[@]}"; fi

step "2/7 wasm32 target"
if [ "${HERALD_WASM_ROUTE:-}" = debian ]; then
  say "wasm32: HERALD_WASM_ROUTE=debian: using Debian rustc-web + rust-web-src with build-std"
  apt_install "${WASM_APT_PACKAGES[@]}"
elif rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "wasm32: rustup target already installed (route: rustup)"
elif timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  say "wasm32: installed with rustup (route: rustup)"
else
  say "wasm32: 'rustup target add' failed or timed out after 20 s; using Debian rustc-web + rust-web-src with build-std (route: debian)"
  if [ "${HERALD_SKIP_APT:-0}" != 1 ]; then apt_install "${WASM_APT_PACKAGES[@]}"; fi
fi
say "wasm32 route: ${HERALD_WASM_ROUTE:-$(wasm_route)}"

step "3/7 npm tools (Tauri CLI, wasm-opt from binaryen)"
stamp="node_modules/.herald-lock-hash"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "npm: node_modules matches package-lock.json"
else
  say "npm: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

step "4/7 trunk $TRUNK_VERSION"
if command -v trunk >/dev/null && trunk --version | grep -q "$TRUNK_VERSION"; then
  say "trunk: $(trunk --version) present"
else
  say "trunk: cargo install (about 9 minutes on 2 cores)"
  env -u CARGO_TARGET_DIR cargo install trunk --version "$TRUNK_VERSION" --locked --ignore-rust-version
fi

step "5/7 wasm-bindgen-cli (the version in Cargo.lock)"
wb="$(wasm_bindgen_version)"
[ -n "$wb" ] || { echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if command -v wasm-bindgen >/dev/null && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$wb" ]; then
  say "wasm-bindgen-cli: $wb present"
else
  say "wasm-bindgen-cli: cargo install $wb (about 2 minutes)"
  # Not --locked: one of its locked dependencies is missing from the registry mirror.
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$wb" --force
fi

step "6/7 tauri-driver"
if command -v tauri-driver >/dev/null; then
  say "tauri-driver: present"
else
  say "tauri-driver: cargo install"
  env -u CARGO_TARGET_DIR cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi

step "7/7 Python venv of the compat backends (tests/compat: Django Channels, python-socketio)"
bash tests/compat/setup.sh

step "bootstrap complete"
