#!/usr/bin/env bash
# Build etcd, etcdctl and etcdutl (version pinned in e2e/tools/etcd/go.mod) and cache them as
# $HOMECARE_CACHE/bin/{etcd,etcdctl,etcdutl}-<version>; a no-op when all three are cached.
# Debian only packages etcd 3.4 (no etcdutl). Prints the bin directory; others may call it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod="$here/etcd"
version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2}' "$mod/go.mod")
[ -n "$version" ] || { echo "error: no go.etcd.io/etcd/server/v3 requirement in $mod/go.mod" >&2; exit 1; }
bin="${HOMECARE_CACHE:-$HOME/.cache/homecare}/bin"
declare -A pkgs=([etcd]=go.etcd.io/etcd/server/v3 [etcdctl]=go.etcd.io/etcd/etcdctl/v3
  [etcdutl]=go.etcd.io/etcd/etcdutl/v3)
missing=()
for name in etcd etcdctl etcdutl; do [ -x "$bin/$name-$version" ] || missing+=("$name"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "error: Go >= 1.24 is needed to build etcd $version" >&2; exit 1; }
mkdir -p "$bin"
# One builder at a time (make test's prebuild lane and a suite may ask at once): wait for the
# lock, then look at the cache again.
exec 9>"$bin/.etcd-build.lock"
flock 9
missing=()
for name in etcd etcdctl etcdutl; do [ -x "$bin/$name-$version" ] || missing+=("$name"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
echo "==> building ${missing[*]} $version (cold: ~3-5 min on 2 cores)" >&2
for name in "${missing[@]}"; do
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$here/go-build-progress.sh" "$name" \
    -trimpath -ldflags "-s -w" -o "$work/$name" "${pkgs[$name]}") >&2
  mv "$work/$name" "$bin/$name-$version"
done
echo "==> built ${missing[*]} $version in $(($(date +%s) - t0))s" >&2
echo "$bin"
