#!/usr/bin/env bash
# Run `go build -v ARGS...` and print one progress line per 100 compiled packages instead of
# every package name, so a cold build (thousands of packages) shows it is moving.
# Usage: go-build-progress.sh LABEL go-build-args...
set -euo pipefail
label=$1
# One Go build cache for every tool build (the Ansible packages use the same one): Kubernetes is
# compiled for both, and the second build reuses the first one's compiled packages.
export GOCACHE=${GOCACHE:-${HOMECARE_CACHE:-$HOME/.cache/homecare}/go-build}
shift
start=$(date +%s)
nice -n 10 go build -v "$@" 2>&1 | awk -v label="$label" -v start="$start" '
  /^[a-zA-Z0-9_.\/-]+$/ { n++; if (n % 100 == 0) {
      cmd = "date +%s"; cmd | getline now; close(cmd)
      printf "    %s: %d packages compiled (%ds)\n", label, n, now - start; fflush() }
    next }
  { print; fflush() }'
