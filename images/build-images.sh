#!/usr/bin/env bash
# Build homecare/{backend,matching,frontend,backups}:<tag> with podman, offline (--network=none):
# every input is staged on the host first (wheels pinned to requirements/dev.txt, the SPA build,
# the etcd binaries), then each image is started and must answer its health check.
# Usage: images/build-images.sh [TAG]     (default: the git SHA; env: HOMECARE_CACHE)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tag=${1:-$(git rev-parse --short=12 HEAD)}
ctx=$root/build/images
py=$root/.venv/bin/python
uv=$root/.venv/bin/uv
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/images/containers.conf}
ETCD_VERSION=v3.6.5
PIP_VERSION=26.3
PLATFORMS=(manylinux_2_36_x86_64 manylinux_2_34_x86_64 manylinux_2_28_x86_64
  manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64
  manylinux_2_5_x86_64 manylinux1_x86_64)

step() { echo "==> $*" >&2; }
elapsed() { echo $(($(date +%s) - $1)); }

scripts/ensure-apt.sh podman debootstrap containernetworking-plugins iptables
base_python=$(images/build-base.sh python)
base_backups=$(images/build-base.sh backups)

rm -rf "$ctx" && mkdir -p "$ctx/local-wheels"
step "building first-party wheels"
for project in apps/shared apps/backend apps/matching backups; do
  "$uv" build -q --wheel -o "$ctx/local-wheels" "$project" >&2
done

# Pin an image's dependencies to exactly what the dev venv tests, and download the wheels for
# the image's platform (Debian bookworm: glibc 2.36, CPython 3.11).
stage_python() {
  local name=$1 package=$2 dir=$ctx/$1
  mkdir -p "$dir/wheels" "$dir/tools"
  echo "$package" > "$dir/requirements.in"
  "$uv" pip compile -q --python-version 3.11 --python-platform x86_64-manylinux_2_36 \
    --find-links "$ctx/local-wheels" --constraint requirements/dev.txt --no-header \
    --no-annotate --no-emit-index-url "$dir/requirements.in" -o "$dir/requirements.txt" >&2
  local platform_args=()
  for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
  "$py" -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
    --python-version 3.11 --implementation cp "${platform_args[@]}" \
    --find-links "$ctx/local-wheels" -r "$dir/requirements.txt" -d "$dir/wheels" >&2
  "$py" -m pip download -q --disable-pip-version-check --no-deps "pip==$PIP_VERSION" \
    -d "$dir/tools" >&2
  mv "$dir"/tools/pip-*.whl "$dir/tools/pip.whl"
}

step "staging wheels for backend, matching, backups"
stage_python backend homecare-backend
stage_python matching homecare-matching
stage_python backups homecare-backups

step "building the SPA (apps/frontend)"
(
  cd apps/frontend
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  npm run --silent build >&2
)
mkdir -p "$ctx/frontend"
cp -r apps/frontend/dist "$ctx/frontend/dist"
cp images/static-server/static_server.py "$ctx/frontend/"

step "staging etcdutl/etcdctl $ETCD_VERSION"
etcd_bin=$(backups/tools/build-etcd.sh "$ETCD_VERSION")
mkdir -p "$ctx/backups/bin"
cp "$etcd_bin/etcdutl-$ETCD_VERSION" "$ctx/backups/bin/etcdutl"
cp "$etcd_bin/etcdctl-$ETCD_VERSION" "$ctx/backups/bin/etcdctl"

build() {
  local name=$1 containerfile=$2 base=$3 start
  start=$(date +%s)
  nice -n 10 podman build -q --network=none --pull=never --build-arg "BASE=$base" \
    -f "$containerfile" -t "localhost/homecare/$name:$tag" "$ctx/$name" >/dev/null
  step "built localhost/homecare/$name:$tag in $(elapsed "$start") s"
}
build backend apps/backend/Containerfile "$base_python"
build matching apps/matching/Containerfile "$base_python"
build frontend apps/frontend/Containerfile "$base_python"
build backups backups/Containerfile "$base_backups"

"$py" images/check_images.py --tag "$tag"
echo "$tag"
