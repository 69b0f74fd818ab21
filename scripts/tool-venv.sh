#!/usr/bin/env bash
# Create (once) a tool virtualenv outside the repo, keyed by the hash of its pinned requirements,
# and print its path. Tools with heavy or conflicting pins (checkov, ansible) live here, not in .venv.
# Usage: scripts/tool-venv.sh NAME requirements/NAME.txt
set -euo pipefail
name=$1 reqs=$2
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
key=$(sha256sum "$reqs" | cut -c1-12)
venv="$cache/venvs/$name-$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "==> creating tool venv $name ($venv)" >&2
  rm -rf "$venv"
  mkdir -p "$cache/venvs"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "uv==$(cat "$(dirname "$0")/../requirements/uv-version")" >&2
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" -r "$reqs" >&2
  touch "$venv/.complete"
fi
echo "$venv"
