#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (or the commands named
# as arguments, e.g. kube-proxy) from the Go module k8s.io/kubernetes (version pinned in
# e2e/tools/kubernetes/go.mod), all missing ones in one `go build`, and cache them as
# $HOMECARE_CACHE/bin/<name>-<version>; a no-op when all are cached. Prints the bin directory.
# Usage: build-kubernetes.sh [CMD...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod="$here/kubernetes"
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$mod/go.mod")
[ -n "$version" ] || { echo "error: no 'require k8s.io/kubernetes vX.Y.Z' line in $mod/go.mod" >&2; exit 1; }
bin="${HOMECARE_CACHE:-$HOME/.cache/homecare}/bin"
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
[ $# -eq 0 ] || cmds=("$@")
missing=()
for cmd in "${cmds[@]}"; do [ -x "$bin/$cmd-$version" ] || missing+=("$cmd"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "error: Go >= 1.24 is needed to build Kubernetes $version" >&2; exit 1; }
mkdir -p "$bin"
# One builder at a time (make test's prebuild lane and a suite may ask at once): wait for the
# lock, then look at the cache again.
exec 9>"$bin/.kubernetes-build.lock"
flock 9
missing=()
for cmd in "${cmds[@]}"; do [ -x "$bin/$cmd-$version" ] || missing+=("$cmd"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
semver=${version#v}
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=${semver%%.*}"
ldflags+=" -X $pkg.gitMinor=$(echo "$semver" | cut -d. -f2) -X $pkg.gitTreeState=clean"
ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
echo "==> building ${missing[*]} $version from k8s.io/kubernetes (cold: ~15-25 min on 2 cores)" >&2
t0=$(date +%s)
pkgs=()
for cmd in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
(cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$here/go-build-progress.sh" kubernetes \
  -trimpath -ldflags "$ldflags" -o "$work/" "${pkgs[@]}") >&2
for cmd in "${missing[@]}"; do mv "$work/$cmd" "$bin/$cmd-$version"; done
echo "==> built ${missing[*]} $version in $(( $(date +%s) - t0 ))s" >&2
echo "$bin"
