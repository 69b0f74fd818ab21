#!/usr/bin/env bash
# Build kwok (version pinned in e2e/tools/kwok/go.mod) and cache it as
# $HOMECARE_CACHE/bin/kwok-<version>; a no-op when cached. Prints the bin directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod="$here/kwok"
version=$(awk '$1 == "require" && $2 == "sigs.k8s.io/kwok" {print $3}' "$mod/go.mod")
[ -n "$version" ] || { echo "error: no 'require sigs.k8s.io/kwok vX.Y.Z' line in $mod/go.mod" >&2; exit 1; }
bin="${HOMECARE_CACHE:-$HOME/.cache/homecare}/bin"
if [ -x "$bin/kwok-$version" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "error: Go >= 1.24 is needed to build kwok $version" >&2; exit 1; }
mkdir -p "$bin"
# One builder at a time (make test's prebuild lane and a suite may ask at once): wait for the
# lock, then look at the cache again.
exec 9>"$bin/.kwok-build.lock"
flock 9
if [ -x "$bin/kwok-$version" ]; then echo "$bin"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
echo "==> building kwok $version (cold: ~3-5 min on 2 cores)" >&2
(cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$here/go-build-progress.sh" kwok -trimpath \
  -ldflags "-s -w" -o "$work/kwok" \
  sigs.k8s.io/kwok/cmd/kwok) >&2
mv "$work/kwok" "$bin/kwok-$version"
echo "==> built kwok $version in $(($(date +%s) - t0))s" >&2
echo "$bin"
