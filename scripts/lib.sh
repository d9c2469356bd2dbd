# Shared shell helpers for Herald's scripts. Sourced, never run.

say() { printf '  %s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }

# The cargo target dir lives outside the clone so a fresh clone on a machine that already built
# Herald reuses the warm artifacts (a clean Tauri debug build is minutes on 2 cores).
herald_cache="${HERALD_CACHE_DIR:-$HOME/.cache/herald}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$herald_cache/target}"
# The wasm build may use another compiler (Debian's rustc-web); its host artifacts would
# invalidate the native ones in a shared dir, so it gets its own.
export HERALD_WASM_TARGET_DIR="${HERALD_WASM_TARGET_DIR:-$herald_cache/target-wasm}"
export PATH="$HOME/.cargo/bin:$PATH"

# Which way this machine builds wasm32: "rustup" (the target is installed) or "debian"
# (rustc-web + rust-web-src + build-std).
wasm_route() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo rustup
  elif dpkg-query -W -f='${Status}' rustc-web 2>/dev/null | grep -q "ok installed" &&
    dpkg-query -W -f='${Status}' rust-web-src 2>/dev/null | grep -q "ok installed"; then
    echo debian
  else
    echo none
  fi
}

# The wasm-bindgen version pinned in Cargo.lock (wasm-bindgen-cli must match it exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "${1:-Cargo.lock}"
}

# The build scripts/run.sh does. One definition, so test.sh's "run build reuses the test build"
# gate checks exactly what a person running Herald gets.
build_app() { cargo build --locked -p herald-server -p herald-desktop "$@"; }
