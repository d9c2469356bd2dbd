#!/usr/bin/env bash
# Builds Herald's installable packages: the .deb with `tauri build`, and the AppImage from the
# same binary with scripts/appimage.py and Herald's own AppImage runtime (crates/appimage-runtime),
# because tauri's AppImage bundler downloads linuxdeploy and AppRun from GitHub, which machines
# that reach only the package registries cannot. Packages land in $CARGO_TARGET_DIR/perf/bundle/.
#
# The binary is built with the `perf` cargo profile (release optimisations without the wasm
# UI's fat LTO, so a build takes minutes, not a quarter hour, on 2 cores); the desktop
# benchmark measures that same binary.
#
# Signed updates: with TAURI_SIGNING_PRIVATE_KEY (the key file's path or contents) and
# TAURI_SIGNING_PRIVATE_KEY_PASSWORD set, the bundler also writes the updater artifacts and
# their minisign signatures (.sig), which a release feed serves next to its latest.json.
#
# Usage: scripts/package.sh [deb|deb,appimage]     (default: deb,appimage; the .deb is always built)
set -euo pipefail
herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$herald_root"
source scripts/lib.sh
bundles="${1:-deb,appimage}"

step "bootstrap"
bash scripts/bootstrap.sh | grep -E '^(==>|  [a-z0-9-]+: (installing|cargo install|npm ci))' || true

step "build the UI"
bash scripts/build-ui.sh

config=()
if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  say "signing key given: writing signed updater artifacts"
  config=(--config '{"bundle":{"createUpdaterArtifacts":true}}')
else
  say "no TAURI_SIGNING_PRIVATE_KEY: packages only, no updater artifacts"
fi

build() {
  node_modules/.bin/tauri build --ci --bundles "$1" "${config[@]}" -- --profile perf --locked
}

# The AppImage runtime: small (release profile: LTO, opt-level s), stripped, then marked with the
# AppImage type 2 magic at offset 8 of its ELF header.
appimage_runtime() {
  cargo build --profile release -p herald-appimage-runtime --locked
  local out="$CARGO_TARGET_DIR/perf/bundle/appimage/runtime-x86_64"
  mkdir -p "$(dirname "$out")"
  strip -o "$out" "$CARGO_TARGET_DIR/release/herald-appimage-runtime"
  printf 'AI\x02' | dd of="$out" bs=1 seek=8 count=3 conv=notrunc status=none
  echo "$out"
}

step "tauri build (deb)"
start=$SECONDS
status=0
# The .deb's build also builds the binary the AppImage holds.
build deb || status=1
say "tauri build took $((SECONDS - start)) s"
if [[ ",$bundles," == *,appimage,* ]] && [ $status = 0 ]; then
  step "AppImage"
  start=$SECONDS
  runtime="$(appimage_runtime | tail -1)"
  version="$(jq -r .version src-tauri/tauri.conf.json)"
  image="$(python3 scripts/appimage.py "$CARGO_TARGET_DIR/perf/herald-desktop" "$runtime" \
    src-tauri/icons "$CARGO_TARGET_DIR/perf/bundle/appimage" "$version")" || status=1
  if [ $status = 0 ] && [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
    node_modules/.bin/tauri signer sign "$image" || status=1
  fi
  say "AppImage took $((SECONDS - start)) s"
fi
find "$CARGO_TARGET_DIR/perf/bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage*' -o -name '*.sig' \) \
  -printf '  %p (%s bytes)\n' 2>/dev/null || true
exit $status
