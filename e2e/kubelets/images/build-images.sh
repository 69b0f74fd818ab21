#!/usr/bin/env bash
# Build, from source, every image a kubeadm cluster of the control_plane role needs before any
# registry exists: the images kubeadm v1.37.2 deploys under its default imageRepository
# (registry.k8s.io: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd,
# coredns, pause) and the two of the CNI manifest (flannel, flannel CNI plugin), each under the
# exact name and tag its manifest names. Nothing is pulled: Go modules come from the module proxy,
# pause is compiled from its C source in the k8s.io/kubernetes module, the Debian layer of
# kube-proxy/flannel (iptables, nftables, conntrack) from debootstrap (images/build-base.sh).
#
# Each image is saved as a docker-archive in $HOMECARE_CACHE/node-images/<name>-<tag>-<key>.tar
# (key: its recipe revision and the inputs it is built from); binaries are cached as
# $HOMECARE_CACHE/bin/<name>-<version>, and every Go build shares $HOMECARE_CACHE/go-build.
# Kubernetes' four commands come from one `go build` (e2e/tools/build-kubernetes.sh). One
# progress line per image with its elapsed time. Prints a directory of hard links to the
# archives: the containerd role imports them on every node (containerd_image_archives_dir,
# HOMECARE_IMAGE_ARCHIVES), the offline install path of docs/runbooks/bootstrap.md.
# Usage: build-images.sh      (env: HOMECARE_CACHE; needs go, gcc, podman, debootstrap)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
bin="$cache/bin"
out="$cache/node-images"
export GOCACHE="$cache/go-build" GOFLAGS=-mod=mod
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/images/containers.conf}
progress="$repo/e2e/tools/go-build-progress.sh"
mkdir -p "$bin" "$out"
die() { echo "error: $*" >&2; exit 1; }
# One builder at a time (make test's prebuild lane and the e2e-cluster suite may ask at once; two
# would build the same binaries into the same .tmp files): wait for the lock, then find the cache.
exec 9>"$out/.build.lock"
flock -n 9 || { echo "==> waiting for another build-images.sh ($out/.build.lock)" >&2; flock 9; }

k8s_version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$repo/e2e/tools/kubernetes/go.mod")
modver() { awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) {print $NF; exit}' "$here/$1/go.mod"; }
etcd_version=$(modver etcd go.etcd.io/etcd/server/v3)
coredns_version=$(modver coredns github.com/coredns/coredns)
flannel_version=$(modver flannel github.com/flannel-io/flannel)
cni_version=$(modver flannel-cni github.com/containernetworking/plugins)
pause_version=3.10.2
# The tags kubeadm derives: etcd's image tag is its version with a "-0" revision.
etcd_tag="${etcd_version#v}-0"

# ---- binaries ---------------------------------------------------------------------------------
module_dir() {  # TOOLS-DIR MODULE: the module's source directory, downloaded first if needed
  local dir
  # `go list -m` prints an empty Dir for a module not yet in the module cache (a cold machine).
  dir=$(cd "$1" && go mod download "$2" && go list -m -f '{{.Dir}}' "$2")
  [ -n "$dir" ] && [ -d "$dir" ] || die "no source directory for Go module $2 (from $1)"
  echo "$dir"
}

build_kubernetes() {  # kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy
  "$repo/e2e/tools/build-kubernetes.sh" kube-apiserver kube-controller-manager kube-scheduler kube-proxy >/dev/null
}

build_etcd() {  # etcd, etcdctl, etcdutl in one go build
  local work
  [ -x "$bin/etcdutl-$etcd_version" ] && [ -x "$bin/etcd-$etcd_version" ] && [ -x "$bin/etcdctl-$etcd_version" ] && return
  work=$(mktemp -d)
  (cd "$here/etcd" && CGO_ENABLED=0 "$progress" etcd -trimpath -ldflags "-s -w" -o "$work/" \
    go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3) >&2
  # `go build -o DIR` names a .../server/v3 main package "server".
  mv "$work/server" "$bin/etcd-$etcd_version"
  mv "$work/etcdctl" "$bin/etcdctl-$etcd_version"
  mv "$work/etcdutl" "$bin/etcdutl-$etcd_version"
  rm -rf "$work"
}

build_coredns() {
  [ -x "$bin/coredns-$coredns_version" ] && return
  (cd "$here/coredns" && CGO_ENABLED=0 "$progress" coredns -trimpath -ldflags "-s -w" \
    -o "$bin/coredns-$coredns_version.tmp" .) >&2
  mv "$bin/coredns-$coredns_version.tmp" "$bin/coredns-$coredns_version"
}

build_flannel() {  # flanneld from a work copy of the tools module (see flannel/tools.go)
  [ -x "$bin/flanneld-$flannel_version" ] && return
  local work src
  work=$(mktemp -d)
  cp "$here/flannel/go.mod" "$here/flannel/go.sum" "$work/"
  src=$(module_dir "$here/flannel" github.com/flannel-io/flannel)
  grep -v '"github.com/flannel-io/flannel/pkg/backend/tencentvpc"' "$src/main.go" > "$work/main.go"
  # cgo: the udp backend is C (flannel's own build uses cgo too); the image is this host's Debian.
  (cd "$work" && CGO_ENABLED=1 "$progress" flanneld -trimpath \
    -ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$flannel_version" \
    -o "$bin/flanneld-$flannel_version" .) >&2
  rm -rf "$work"
}

build_flannel_cni() {
  [ -x "$bin/flannel-cni-$cni_version" ] && return
  (cd "$here/flannel-cni" && CGO_ENABLED=0 "$progress" flannel-cni -trimpath -ldflags "-s -w" \
    -o "$bin/flannel-cni-$cni_version" github.com/containernetworking/plugins/plugins/meta/flannel) >&2
}

build_pause() {  # the C source in the k8s.io/kubernetes module, flags of its build/pause/Makefile
  [ -x "$bin/pause-$pause_version" ] && return
  local src
  command -v gcc >/dev/null || die "gcc is needed for pause: scripts/ensure-apt.sh gcc libc6-dev"
  src=$(module_dir "$repo/e2e/tools/kubernetes" k8s.io/kubernetes)
  grep -q "^TAG ?= $pause_version\$" "$src/build/pause/Makefile" \
    || die "k8s.io/kubernetes $k8s_version does not build pause $pause_version (see its build/pause/Makefile)"
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_version-homecare" -o "$bin/pause-$pause_version.tmp" \
    "$src/build/pause/linux/pause.c"
  mv "$bin/pause-$pause_version.tmp" "$bin/pause-$pause_version"
}

# ---- images -----------------------------------------------------------------------------------
# Bump when the image layout below changes (forces a rebuild of every image).
IMAGE_REVISION=1
netbase=""
net_base() {  # Debian bookworm with the packet-filter tools kube-proxy and flanneld run
  [ -n "$netbase" ] || netbase=$("$repo/images/build-base.sh" net)
  echo "$netbase"
}

# image NAME:TAG BASE ENTRYPOINT-JSON FILE=DEST... : build unless its archive is cached
image() {
  local ref=$1 base=$2 entry=$3 spec ctx key archive t0 src dest
  shift 3
  t0=$(date +%s)
  key=$( { echo "$IMAGE_REVISION $ref $base $entry"; for spec in "$@"; do sha256sum "${spec%%=*}"; done; } \
    | sha256sum | cut -c1-12)
  archive="$out/$(echo "${ref#*/}" | tr '/:' '--')-$key.tar"
  if [ -f "$archive" ]; then
    echo "==> $ref: cached" >&2
    archives+=("$archive") binary_seconds=0
    return
  fi
  ctx=$(mktemp -d)
  mkdir -p "$ctx/root/tmp" "$ctx/root/etc"
  chmod 1777 "$ctx/root/tmp"
  if [ "$base" = scratch ]; then
    # distroless-like: root and nonroot (65532) users, CA bundle, nothing else
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$ctx/root/etc/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' > "$ctx/root/etc/group"
    mkdir -p "$ctx/root/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/"
  fi
  for spec in "$@"; do
    src=${spec%%=*} dest=${spec#*=}
    mkdir -p "$ctx/root$(dirname "$dest")"
    cp "$src" "$ctx/root$dest"
  done
  {
    echo "FROM $base"
    echo "COPY root/ /"
    echo "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "ENTRYPOINT $entry"
    echo "LABEL org.opencontainers.image.description=\"built from source by e2e/kubelets/images/build-images.sh\""
  } > "$ctx/Containerfile"
  podman build -q --network=none -t "$ref" "$ctx" >/dev/null
  rm -f "$archive.tmp"
  podman save -q --format docker-archive -o "$archive.tmp" "$ref"
  mv "$archive.tmp" "$archive"
  rm -rf "$ctx"
  archives+=("$archive")
  local took=$(( $(date +%s) - t0 ))
  echo "==> $ref: built in $(( took + binary_seconds ))s (binaries ${binary_seconds}s, image ${took}s)" >&2
  binary_seconds=0
}

# step FUNCTION: build (or find cached) binaries; their time is added to the next image's line
binary_seconds=0
step() {
  local t0
  t0=$(date +%s)
  "$1"
  binary_seconds=$(( $(date +%s) - t0 ))
}

archives=()
step build_pause
image "registry.k8s.io/pause:$pause_version" scratch '["/pause"]' "$bin/pause-$pause_version=/pause"

step build_kubernetes
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  image "registry.k8s.io/$cmd:$k8s_version" scratch "[\"/usr/local/bin/$cmd\"]" \
    "$bin/$cmd-$k8s_version=/usr/local/bin/$cmd"
done
image "registry.k8s.io/kube-proxy:$k8s_version" "$(net_base)" '["/usr/local/bin/kube-proxy"]' \
  "$bin/kube-proxy-$k8s_version=/usr/local/bin/kube-proxy"

step build_etcd
image "registry.k8s.io/etcd:$etcd_tag" scratch '["/usr/local/bin/etcd"]' \
  "$bin/etcd-$etcd_version=/usr/local/bin/etcd" "$bin/etcdctl-$etcd_version=/usr/local/bin/etcdctl" \
  "$bin/etcdutl-$etcd_version=/usr/local/bin/etcdutl"

step build_coredns
image "registry.k8s.io/coredns/coredns:$coredns_version" scratch '["/coredns"]' \
  "$bin/coredns-$coredns_version=/coredns"

step build_flannel
image "ghcr.io/flannel-io/flannel:$flannel_version" "$(net_base)" '["/opt/bin/flanneld"]' \
  "$bin/flanneld-$flannel_version=/opt/bin/flanneld"
step build_flannel_cni
# Not under flannel's name: it is not flannel-io/cni-plugin (see flannel-cni/tools.go).
image "localhost/homecare/flannel-cni-plugin:cni-plugins-$cni_version" "$(net_base)" '["/flannel"]' \
  "$bin/flannel-cni-$cni_version=/flannel"

set_key=$(printf '%s\n' "${archives[@]}" | sha256sum | cut -c1-12)
set_dir="$out/set-$set_key"
if [ ! -f "$set_dir/.complete" ]; then
  rm -rf "$set_dir"
  mkdir -p "$set_dir"
  for archive in "${archives[@]}"; do ln "$archive" "$set_dir/"; done
  touch "$set_dir/.complete"
fi
echo "$set_dir"
