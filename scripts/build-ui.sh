#!/usr/bin/env bash
# Builds herald-ui (Yew, wasm32) into dist/, which the desktop app embeds.
# Usage: scripts/build-ui.sh [--debug]     (release by default: that is what ships)
set -euo pipefail
herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$herald_root"
source scripts/lib.sh
source scripts/wasm-env.sh
mode=(--release)
[ "${1:-}" = "--debug" ] && mode=()
say "building the UI (wasm route: $herald_wasm_route, ${mode[*]:-debug})"
cargo fetch --quiet --target wasm32-unknown-unknown
trunk build "${mode[@]}"
