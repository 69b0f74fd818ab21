#!/usr/bin/env bash
# Build the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3, pinned in e2e/tools/pulumi/go.mod) and the
# Kubernetes provider pulumi-resource-kubernetes (e2e/tools/pulumi-kubernetes/provider.env) and
# cache them as $HOMECARE_CACHE/bin/<name>-<version>. Prints shell assignments PULUMI=... etc.
# With --check: build nothing, exit 0 when both are cached and 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin="${HOMECARE_CACHE:-$HOME/.cache/homecare}/bin"
# One Go build cache for every tool build (go-build-progress.sh uses it too; `go run generate.go`
# below needs it exported).
export GOCACHE=${GOCACHE:-${HOMECARE_CACHE:-$HOME/.cache/homecare}/go-build}

# --- the CLI: a tools module that requires pkg/v3 and repeats its replace directives.
cli_version=$(awk -v m=github.com/pulumi/pulumi/pkg/v3 '($1 == m) {print $2} ($1 == "require" && $2 == m) {print $3}' "$here/pulumi/go.mod" | head -1)
[ -n "$cli_version" ] || { echo "error: no pkg/v3 requirement in $here/pulumi/go.mod" >&2; exit 1; }
# shellcheck source=pulumi-kubernetes/provider.env
source "$here/pulumi-kubernetes/provider.env"
if [ "${1:-}" = --check ]; then
  [ -x "$bin/pulumi-$cli_version" ] && [ -x "$bin/pulumi-resource-kubernetes-v$PROVIDER_VERSION" ]
  exit
fi
mkdir -p "$bin"
command -v go >/dev/null || { echo "error: Go >= 1.26 is needed to build the Pulumi CLI" >&2; exit 1; }
# One builder at a time (make test's prebuild lane, a suite, another checkout may ask at once):
# wait for the lock; each step below looks at the cache again after it.
exec 9>"$bin/.pulumi-build.lock"
flock 9
if [ ! -x "$bin/pulumi-$cli_version" ]; then
  work=$(mktemp -d)
  t0=$(date +%s)
  echo "==> building the Pulumi CLI $cli_version (cold: ~15-25 min on 2 cores)" >&2
  (cd "$here/pulumi" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$here/go-build-progress.sh" pulumi \
    -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
    -o "$work/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
  mv "$work/pulumi" "$bin/pulumi-$cli_version"
  rm -rf "$work"
  echo "==> built pulumi $cli_version in $(($(date +%s) - t0))s" >&2
fi

# --- the provider: its module is copied out of the module cache (read-only) so that the schema
# files that main.go embeds can be generated beside it (upstream `go generate` = generate.go),
# and its go.mod/go.sum are replaced by ours (the sdk/v4 replace points at a published version).
if [ ! -x "$bin/pulumi-resource-kubernetes-v$PROVIDER_VERSION" ]; then
  work=$(mktemp -d)
  t0=$(date +%s)
  echo "==> building pulumi-resource-kubernetes $PROVIDER_VERSION (module $PROVIDER_MODULE_VERSION; cold: ~10-20 min)" >&2
  src=$(cd "$here/pulumi-kubernetes" && GOFLAGS=-mod=mod go mod download -json \
    "github.com/pulumi/pulumi-kubernetes/provider/v4@$PROVIDER_MODULE_VERSION" | awk -F'"' '$2 == "Dir" {print $4}')
  [ -d "$src" ] || { echo "error: could not download the provider module $PROVIDER_MODULE_VERSION" >&2; exit 1; }
  cp -r "$src" "$work/provider"
  chmod -R u+w "$work/provider"
  cp "$here/pulumi-kubernetes/go.mod" "$here/pulumi-kubernetes/go.sum" "$work/provider/"
  (cd "$work/provider/cmd/pulumi-resource-kubernetes" && VERSION="$PROVIDER_VERSION" GOFLAGS=-mod=mod \
    nice -n 10 go run generate.go) >&2
  (cd "$work/provider" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$here/go-build-progress.sh" provider \
    -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_VERSION" \
    -o "$work/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes) >&2
  mv "$work/pulumi-resource-kubernetes" "$bin/pulumi-resource-kubernetes-v$PROVIDER_VERSION"
  rm -rf "$work"
  echo "==> built pulumi-resource-kubernetes $PROVIDER_VERSION in $(($(date +%s) - t0))s" >&2
fi
cat <<ENV
PULUMI_VERSION=$cli_version
PULUMI=$bin/pulumi-$cli_version
PULUMI_KUBERNETES_VERSION=$PROVIDER_VERSION
PULUMI_RESOURCE_KUBERNETES=$bin/pulumi-resource-kubernetes-v$PROVIDER_VERSION
ENV
