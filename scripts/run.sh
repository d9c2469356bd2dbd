#!/usr/bin/env bash
# Runs Herald: bootstraps if needed, builds, starts the reference server with embedded SQLite
# and demo data, and opens the desktop app connected to it. Ctrl-C (or quitting the app)
# stops both.
#
# Env: HERALD_PORT (default 8787), HERALD_DATA_DIR (default ~/.local/share/herald-demo).
# Without a display (no $DISPLAY / $WAYLAND_DISPLAY) the app runs under Xvfb (xvfb-run).
set -euo pipefail
herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$herald_root"
source scripts/lib.sh

port="${HERALD_PORT:-8787}"
data="${HERALD_DATA_DIR:-$HOME/.local/share/herald-demo}"
# The data dir holds the secrets and a log: readable by this user only.
mkdir -p "$data"
chmod 700 "$data"

step "bootstrap"
bash scripts/bootstrap.sh | grep -E '^(==>|  [a-z0-9-]+: (installing|cargo install|npm ci))' || true

step "build the UI"
bash scripts/build-ui.sh

step "build the server and the desktop app"
build_app

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

# Secrets persist beside the database so a restarted demo server still accepts the token the
# app stored (a fresh secret would sign everyone out on every run).
for f in jwt-secret service-key; do
  [ -s "$data/$f" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '=+/\n' > "$data/$f")
done
export HERALD_JWT_SECRET HERALD_SERVICE_KEY
HERALD_JWT_SECRET="$(cat "$data/jwt-secret")"
HERALD_SERVICE_KEY="$(cat "$data/service-key")"

step "start the demo server on 127.0.0.1:$port (database: $data/demo.db)"
(umask 077 && touch "$data/server.log") && chmod 600 "$data/server.log"
"$CARGO_TARGET_DIR/debug/herald-server" demo --bind "127.0.0.1:$port" --database "$data/demo.db" \
  > >(tee "$data/server.log") 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited; see $data/server.log" >&2; exit 1; }
  sleep 0.2
done
say "server up: http://127.0.0.1:$port — sign in as alice / herald (also bob, carol)"
say "publish a notification: herald-server publish --server http://127.0.0.1:$port --service-key \$(cat $data/service-key) --all --kind low_stock --title 'Low stock'"

step "open Herald"
export HERALD_SERVER_URL="http://127.0.0.1:$port"
app="$CARGO_TARGET_DIR/debug/herald-desktop"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$app"
else
  say "no display found: running the app under Xvfb (screenshot: import -display <xvfb display> -window root shot.png)"
  xvfb-run -a -s "-screen 0 1280x800x24" "$app"
fi
