# Sourced: sets up the environment to build herald-ui for wasm32-unknown-unknown.
#
# Two routes, detected (override with HERALD_WASM_ROUTE=rustup|debian):
#   rustup  the rustup wasm32 target is installed: plain cargo, native target dir shared.
#   debian  rustup cannot download the target (it hangs on some networks): Debian's rustc-web
#           (whose LLVM has the wasm backend) + rust-web-src, building std ourselves
#           (build-std). That compiler differs from the native one, so it gets its own target
#           dir, or the two would keep invalidating each other's host artifacts.
# shellcheck shell=bash

herald_wasm_route="${HERALD_WASM_ROUTE:-$(wasm_route)}"
case "$herald_wasm_route" in
  rustup)
    ;;
  debian)
    RUSTC="$(dpkg -L rustc-web | grep '/bin/rustc$' | head -n1)"
    RUSTDOC="$(dpkg -L rustc-web | grep '/bin/rustdoc$' | head -n1)"
    export RUSTC RUSTDOC
    export RUSTC_BOOTSTRAP=1
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$(rustup run stable rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER
    export CARGO_TARGET_DIR="$HERALD_WASM_TARGET_DIR"
    ;;
  *)
    echo "error: no way to build wasm32 on this machine; run scripts/bootstrap.sh" >&2
    return 1 2>/dev/null || exit 1
    ;;
esac
# wasm-opt 132 from npm (Debian's binaryen is too old for current wasm-bindgen output).
export PATH="$herald_root/node_modules/.bin:$PATH"
