#!/usr/bin/env bash
# Creates (or reuses) the venv of the compat backends and prints its path.
#
#   bash tests/compat/setup.sh        # venv at ${HERALD_COMPAT_VENV:-$HOME/.cache/herald/compat-venv}
#
# Idempotent: pip runs only when requirements.txt changed since the last successful install
# (a stamp file holds its sha256). Packages come from the configured PyPI index (and
# PIP_FIND_LINKS when set).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${HERALD_COMPAT_VENV:-$HOME/.cache/herald/compat-venv}"
req="$here/requirements.txt"
stamp="$venv/.herald-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ]; then
  echo "compat: creating venv at $venv" >&2
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  rm -f "$stamp"
fi

if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "compat: installing $req" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
else
  echo "compat: requirements already installed" >&2
fi

echo "$venv"
