#!/usr/bin/env bash
# Build prometheus + promtool (github.com/prometheus/prometheus), amtool
# (github.com/prometheus/alertmanager; its server embeds UI files the module lacks) and
# node_exporter (for the textfile collector the backups write to) from their Go modules and
# cache them as $HOMECARE_CACHE/bin/<name>-<version>; a no-op when all are cached. Debian
# bookworm only packages Prometheus 2.42 / Alertmanager 0.25, far behind the Prometheus 3 the
# cluster runs. Prints the bin directory.
#
# None of the go.mod files has replace directives, so `go install module/cmd@version` builds them as
# published. Service discovery is trimmed to Kubernetes (the only SD our config uses; promtool
# check config needs it) with the upstream build tags remove_all_sd + enable_kubernetes_sd.
set -euo pipefail
PROMETHEUS_VERSION=v0.316.0    # Go module version of Prometheus 3.16.0
ALERTMANAGER_VERSION=v0.35.0
NODE_EXPORTER_VERSION=v1.12.1
bin="${HOMECARE_CACHE:-$HOME/.cache/homecare}/bin"
declare -A pkg=(
  [promtool]="github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
  [prometheus]="github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION"
  [amtool]="github.com/prometheus/alertmanager/cmd/amtool@$ALERTMANAGER_VERSION"
  [node_exporter]="github.com/prometheus/node_exporter@$NODE_EXPORTER_VERSION"
)
declare -A ver=([promtool]=$PROMETHEUS_VERSION [prometheus]=$PROMETHEUS_VERSION
  [amtool]=$ALERTMANAGER_VERSION
  [node_exporter]=$NODE_EXPORTER_VERSION)
missing=()
for name in promtool prometheus amtool node_exporter; do
  [ -x "$bin/$name-${ver[$name]}" ] || missing+=("$name")
done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "error: Go >= 1.26 is needed to build ${missing[*]}" >&2; exit 1; }
mkdir -p "$bin"
# One builder at a time (several make targets may ask at once); re-check after the lock.
exec 9>"$bin/.prometheus-build.lock"
flock 9
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in "${missing[@]}"; do
  [ -x "$bin/$name-${ver[$name]}" ] && continue
  t0=$(date +%s)
  echo "==> building $name ${ver[$name]} from its Go module (cold: several minutes on 2 cores)" >&2
  GOBIN="$work" CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n 10 go install -trimpath \
    -tags remove_all_sd,enable_kubernetes_sd -ldflags "-s -w" "${pkg[$name]}" >&2
  mv "$work/$name" "$bin/$name-${ver[$name]}"
  echo "==> built $name ${ver[$name]} in $(($(date +%s) - t0))s" >&2
done
echo "$bin"
