#!/usr/bin/env bash
# Create (once) a tool virtualenv outside the repo, keyed by the hash of its pinned requirements,
# and print its path. Tools with heavy or conflicting pins (checkov, ansible) live here, not in .venv.
# Concurrent callers (parallel make runs, several checkouts sharing the cache) queue on a lock per
# venv, so one creates it and the others reuse it instead of deleting it under each other.
# Usage: scripts/tool-venv.sh NAME requirements/NAME.txt
set -euo pipefail
name=$1 reqs=$2
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
key=$(sha256sum "$reqs" | cut -c1-12)
venv="$cache/venvs/$name-$key"
mkdir -p "$cache/venvs"
exec 9>"$venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "==> creating tool venv $name ($venv)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "uv==$(cat "$(dirname "$0")/../requirements/uv-version")" >&2
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" -r "$reqs" >&2
  touch "$venv/.complete"
fi
echo "$venv"
