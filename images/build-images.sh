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
# etcdutl/etcdctl: the release the e2e cluster and the backup drills use (one builder, cached).
ETCD_VERSION=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2}' e2e/tools/etcd/go.mod)
PIP_VERSION=26.3
PLATFORMS=(manylinux_2_36_x86_64 manylinux_2_34_x86_64 manylinux_2_28_x86_64
  manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64
  manylinux_2_5_x86_64 manylinux1_x86_64)

# One build at a time on this machine: the image tags are shared by every checkout, and a
# successful build prunes the other tags of the four images.
exec 9>/tmp/homecare-images.lock
flock 9

step() { echo "==> $*" >&2; }
elapsed() { echo $(($(date +%s) - $1)); }

scripts/ensure-apt.sh podman runc debootstrap containernetworking-plugins iptables

# Same commit, clean inputs, images already built: only re-run the checks.
inputs=(apps backups images requirements e2e/tools/etcd)
if [ -z "$(git status --porcelain -- "${inputs[@]}" 2>/dev/null)" ] && [ "$tag" = "$(git rev-parse --short=12 HEAD)" ] \
  && podman image exists "localhost/homecare/backend:$tag" && podman image exists "localhost/homecare/matching:$tag" \
  && podman image exists "localhost/homecare/frontend:$tag" && podman image exists "localhost/homecare/backups:$tag"; then
  step "images for $tag are up to date (clean tree): checking them"
  "$py" images/check_images.py --tag "$tag"
  echo "$tag"
  exit 0
fi
base_python=$(images/build-base.sh python)
base_backend=$(images/build-base.sh backend)
base_backups=$(images/build-base.sh backups)
base_frontend=$(images/build-base.sh frontend)

rm -rf "$ctx" && mkdir -p "$ctx/local-wheels"
step "building first-party wheels"
# Reproducible wheels (fixed zip timestamps): unchanged code keeps podman's layer cache valid.
export SOURCE_DATE_EPOCH=315532800
for project in apps/shared apps/backend apps/matching backups; do
  "$uv" build -q --wheel -o "$ctx/local-wheels" "$project" >&2
done

# Pin an image's dependencies to exactly what the dev venv tests, and download the wheels for
# the image's platform (Debian bookworm: glibc 2.36, CPython 3.11).
stage_python() {
  local name=$1 package=$2 dir=$ctx/$1
  mkdir -p "$dir/wheels" "$dir/tools"
  echo "$package" > "$dir/requirements.in"
  if [ -f "images/$name.extra.in" ]; then grep -v '^#' "images/$name.extra.in" >> "$dir/requirements.in"; fi
  "$uv" pip compile -q --python-version 3.11 --python-platform x86_64-manylinux_2_36 \
    --find-links "$ctx/local-wheels" --constraint requirements/dev.txt --no-header \
    --no-annotate --no-emit-index-url "$dir/requirements.in" -o "$dir/requirements.txt" >&2
  local platform_args=()
  for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
  local sdist_only
  sdist_only=$(grep -v '^#' images/sdist-only.txt | sed 's/$/==/' | paste -sd'|')
  grep -Ev "^($sdist_only)" "$dir/requirements.txt" > "$dir/binary.txt" || true
  grep -E "^($sdist_only)" "$dir/requirements.txt" > "$dir/source.txt" || true
  "$py" -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
    --python-version 3.11 --implementation cp "${platform_args[@]}" \
    --find-links "$ctx/local-wheels" -r "$dir/binary.txt" -d "$dir/wheels" >&2
  if [ -s "$dir/source.txt" ]; then
    "$py" -m pip wheel -q --disable-pip-version-check --no-deps --no-binary=:all: \
      -r "$dir/source.txt" -w "$dir/wheels" >&2
  fi
  rm -f "$dir/binary.txt" "$dir/source.txt"
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
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  # Into the image's build context, never apps/frontend/dist: `make test` serves that directory
  # to Playwright meanwhile (test-frontend), and vite empties its output directory first. npm
  # appends the arguments to the script's last command, `vite build`.
  npm run --silent build -- --emptyOutDir --outDir "$ctx/frontend/dist" >&2
)
cp apps/frontend/nginx/nginx.conf apps/frontend/nginx/security-headers.conf \
  apps/frontend/nginx/security-headers-toss.conf apps/frontend/nginx/homecare-frontend "$ctx/frontend/"

step "staging etcdutl/etcdctl $ETCD_VERSION"
etcd_bin=$(e2e/tools/build-etcd.sh)
mkdir -p "$ctx/backups/bin"
cp "$etcd_bin/etcdutl-$ETCD_VERSION" "$ctx/backups/bin/etcdutl"
cp "$etcd_bin/etcdctl-$ETCD_VERSION" "$ctx/backups/bin/etcdctl"

# build NAME CONTAINERFILE BASE [ARG=VALUE ...]: the extra arguments become --build-arg.
build() {
  local name=$1 containerfile=$2 base=$3 start arg build_args=()
  shift 3
  for arg in "$@"; do build_args+=(--build-arg "$arg"); done
  start=$(date +%s)
  nice -n 10 podman build -q --network=none --pull=never --build-arg "BASE=$base" "${build_args[@]}" \
    -f "$containerfile" -t "localhost/homecare/$name:$tag" "$ctx/$name" >/dev/null
  step "built localhost/homecare/$name:$tag in $(elapsed "$start") s"
}
# weasyprint is imported too: it loads Pango when imported, so a base without it fails the build.
build backend images/python-service.Containerfile "$base_backend" \
  APP=homecare_backend.main:create_app PORT=8000 \
  CHECK_IMPORTS=homecare_backend.main,homecare_backend.worker,weasyprint
build matching images/python-service.Containerfile "$base_python" \
  APP=homecare_matching.main:create_app PORT=8001 CHECK_IMPORTS=homecare_matching.main
build frontend apps/frontend/Containerfile "$base_frontend"
build backups backups/Containerfile "$base_backups"

"$py" images/check_images.py --tag "$tag"

# Keep only this tag of our four images (each commit would otherwise add ~1 GB).
for name in backend matching frontend backups; do
  podman images --format '{{.Repository}}:{{.Tag}}' "localhost/homecare/$name" \
    | grep -vx "localhost/homecare/$name:$tag" | xargs -r podman rmi -f >/dev/null 2>&1 || true
done
echo "$tag"
