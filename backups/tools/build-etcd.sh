#!/usr/bin/env bash
# Build etcd, etcdctl and etcdutl (one etcd release, from the Go module proxy) and cache them as
# $HOMECARE_CACHE/bin/{etcd,etcdctl,etcdutl}-<version>; a no-op when all three are cached.
# Debian bookworm only packages etcd 3.4, which has no etcdutl. Prints the bin directory.
# Usage: backups/tools/build-etcd.sh [VERSION]   (default v3.6.5)
set -euo pipefail
version=${1:-v3.6.5}
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
bin="$cache/bin"
if [ -x "$bin/etcd-$version" ] && [ -x "$bin/etcdctl-$version" ] && [ -x "$bin/etcdutl-$version" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "error: Go is needed to build etcd $version (install Go >= 1.24)" >&2; exit 1; }
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> building etcd $version (etcd, etcdctl, etcdutl) into $bin" >&2
cd "$work"
# The etcd modules carry replace directives, so `go install mod@version` refuses them; a wrapper
# module that requires all three at the same version resolves them from the proxy instead.
go mod init homecare.local/etcd-build >/dev/null 2>&1
cat > tools.go <<GO
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
GO
go get "go.etcd.io/etcd/server/v3@$version" "go.etcd.io/etcd/etcdctl/v3@$version" \
  "go.etcd.io/etcd/etcdutl/v3@$version" >&2
export CGO_ENABLED=0
for pair in etcd:go.etcd.io/etcd/server/v3 etcdctl:go.etcd.io/etcd/etcdctl/v3 \
  etcdutl:go.etcd.io/etcd/etcdutl/v3; do
  name=${pair%%:*} pkg=${pair#*:}
  nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/.$name-$version.tmp" "$pkg" >&2
  mv "$bin/.$name-$version.tmp" "$bin/$name-$version"
done
echo "$bin"
