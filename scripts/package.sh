#!/usr/bin/env bash
# Builds Herald's installable packages with `tauri build`: a .deb, and an AppImage where the
# AppImage tools can be had (the bundler downloads linuxdeploy from GitHub, which machines
# that reach only the package registries cannot). Packages land in
# $CARGO_TARGET_DIR/perf/bundle/.
#
# The binary is built with the `perf` cargo profile (release optimisations without the wasm
# UI's fat LTO, so a build takes minutes, not a quarter hour, on 2 cores); the desktop
# benchmark measures that same binary.
#
# Signed updates: with TAURI_SIGNING_PRIVATE_KEY (the key file's path or contents) and
# TAURI_SIGNING_PRIVATE_KEY_PASSWORD set, the bundler also writes the updater artifacts and
# their minisign signatures (.sig), which a release feed serves next to its latest.json.
#
# Usage: scripts/package.sh [deb|appimage|deb,appimage]     (default: deb,appimage)
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

step "tauri build ($bundles)"
start=$SECONDS
status=0
for b in ${bundles//,/ }; do
  if ! build "$b"; then
    if [ "$b" = appimage ]; then
      say "AppImage: not built (the bundler could not fetch its AppImage tools; see above)"
    else
      status=1
    fi
  fi
done
say "tauri build took $((SECONDS - start)) s"
find "$CARGO_TARGET_DIR/perf/bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage*' -o -name '*.sig' \) \
  -printf '  %p (%s bytes)\n' 2>/dev/null || true
exit $status
