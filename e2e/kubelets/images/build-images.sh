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
# With --services, the set also holds the images of the cluster stack's add-ons (local-path with
# its busybox helper, metrics-server, kube-network-policies, Traefik) and the app stacks' database
# image (Debian's PostgreSQL 15 under the postgres image's name): `make
# e2e-cluster-service-images`; the e2e-cluster suite asks for them with E2E_CLUSTER_STACK=1.
# Usage: build-images.sh [--services]   (env: HOMECARE_CACHE; needs go, gcc, podman, debootstrap)
set -euo pipefail
with_services=0
case "${1:-}" in
  "") ;;
  --services) with_services=1 ;;
  *) echo "usage: $0 [--services]" >&2; exit 2 ;;
esac
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
# The cluster stack's add-ons (infra/homecare_infra/cluster/versions.py names the same versions;
# the e2e-cluster suite checks that they agree).
local_path_version=$(modver local-path github.com/rancher/local-path-provisioner)
metrics_server_version=$(modver metrics-server sigs.k8s.io/metrics-server)
netpol_version=$(modver network-policies sigs.k8s.io/kube-network-policies)
traefik_version=$(modver traefik github.com/traefik/traefik/v3)
# local-path-provisioner's helper pod: Debian's busybox-static, under the tag the manifests name.
busybox_tag=1.37.0
# The database image's major version (Debian bookworm's postgresql-15, images/build-base.sh).
postgres_major=15
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

# The cluster stack's add-ons are built in a writable work copy of their module, with upstream's
# own go.mod and go.sum (the versions each release is built with); the tools modules here only
# pin the version.
work_copy() {  # TOOLS-DIR MODULE: a writable copy of the module's source; prints its path
  local src work
  src=$(module_dir "$1" "$2")
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  echo "$work"
}

build_local_path() {  # the module root (a module zip leaves vendor/ out)
  [ -x "$bin/local-path-provisioner-$local_path_version" ] && return
  local work
  work=$(work_copy "$here/local-path" github.com/rancher/local-path-provisioner)
  (cd "$work" && CGO_ENABLED=0 "$progress" local-path-provisioner -mod=readonly -trimpath \
    -ldflags "-s -w -X main.VERSION=$local_path_version" \
    -o "$bin/local-path-provisioner-$local_path_version.tmp" .) >&2
  mv "$bin/local-path-provisioner-$local_path_version.tmp" "$bin/local-path-provisioner-$local_path_version"
  rm -rf "$work"
}

build_metrics_server() {  # flags of upstream's Makefile
  [ -x "$bin/metrics-server-$metrics_server_version" ] && return
  local work
  work=$(work_copy "$here/metrics-server" sigs.k8s.io/metrics-server)
  (cd "$work" && CGO_ENABLED=0 "$progress" metrics-server -mod=readonly -trimpath \
    -ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$metrics_server_version" \
    -o "$bin/metrics-server-$metrics_server_version.tmp" ./cmd/metrics-server) >&2
  mv "$bin/metrics-server-$metrics_server_version.tmp" "$bin/metrics-server-$metrics_server_version"
  rm -rf "$work"
}

# The one change to kube-network-policies (network-policies/patch/nfqueue_compat.go.txt): where
# the kernel has no nftables `queue` statement (no CONFIG_NFT_QUEUE, as on this build machine),
# the xtables NFQUEUE target through nft_compat gives the same verdict; elsewhere upstream's rule.
netpol_patch=$here/network-policies/patch/nfqueue_compat.go.txt
netpol_build="$netpol_version-nfq$(sha256sum "$netpol_patch" | cut -c1-8)"
build_netpol() {  # upstream's Dockerfile: ./cmd as /bin/netpol
  [ -x "$bin/kube-network-policies-$netpol_build" ] && return
  local work controller
  work=$(work_copy "$here/network-policies" sigs.k8s.io/kube-network-policies)
  controller="$work/pkg/networkpolicy/controller.go"
  cp "$netpol_patch" "$work/pkg/networkpolicy/nfqueue_compat.go"
  perl -0pi -e 's/queue := &expr\.Queue\{Num: uint16\(c\.config\.QueueID\)\}\n\tif c\.config\.FailOpen \{\n\t\tqueue\.Flag = expr\.QueueFlagBypass\n\t\}/queue := nfQueueVerdict(uint16(c.config.QueueID), c.config.FailOpen)/g' "$controller"
  [ "$(grep -c 'nfQueueVerdict(' "$controller")" = 2 ] \
    || die "kube-network-policies $netpol_version: the queue rules in controller.go changed; see network-policies/patch/"
  (cd "$work" && CGO_ENABLED=0 "$progress" kube-network-policies -mod=readonly -trimpath \
    -ldflags "-s -w" -o "$bin/kube-network-policies-$netpol_build.tmp" ./cmd) >&2
  mv "$bin/kube-network-policies-$netpol_build.tmp" "$bin/kube-network-policies-$netpol_build"
  rm -rf "$work"
}

build_traefik() {  # cmd/traefik, with the changes traefik/tools.go explains
  [ -x "$bin/traefik-$traefik_version" ] && return
  local work ext acme
  work=$(work_copy "$here/traefik" github.com/traefik/traefik/v3)
  # Not served: the containous/go-http-auth fork (basicAuth/digestAuth): upstream's module instead.
  (cd "$work" && go mod edit -dropreplace github.com/abbot/go-http-auth \
    -require "github.com/abbot/go-http-auth@$(modver traefik github.com/abbot/go-http-auth)")
  # The fork's one addition Traefik calls: a challenge flagged stale=true for a stale nonce.
  grep -q 'd\.auth\.RequireAuthStale(rw, req)' "$work/pkg/middlewares/auth/digest_auth.go" \
    || die "traefik $traefik_version: pkg/middlewares/auth/digest_auth.go changed; see traefik/tools.go"
  sed -i 's/d\.auth\.RequireAuthStale(rw, req)/d.auth.RequireAuth(rw, req)/' \
    "$work/pkg/middlewares/auth/digest_auth.go"
  # Not served: several DNS SDKs that lego's providers/dns imports: no DNS-01 providers.
  acme="$work/pkg/provider/acme"
  grep -q 'dns\.NewDNSChallengeProviderByName(' "$acme/provider.go" \
    || die "traefik $traefik_version: pkg/provider/acme/provider.go changed; see traefik/tools.go"
  grep -v '"github.com/go-acme/lego/v5/providers/dns"' "$acme/provider.go" \
    | sed 's/dns\.NewDNSChallengeProviderByName(/noDNSChallengeProviders(/' > "$acme/provider.go.new"
  mv "$acme/provider.go.new" "$acme/provider.go"
  printf '%s\n' 'package acme' '' 'import (' '	"fmt"' '' '	"github.com/go-acme/lego/v5/challenge"' ')' '' \
    'func noDNSChallengeProviders(name string) (challenge.Provider, error) {' \
    '	return nil, fmt.Errorf("ACME DNS challenge provider %q: not built into this Traefik", name)' \
    '}' > "$acme/no_dns_providers.go"
  ext="$work/pkg/config/dynamic/ext"  # go.mod: replace github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext
  mkdir -p "$ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' > "$ext/go.mod"
  printf '%s\n' '// Package ext: the extension points of dynamic.HTTP and dynamic.Router, empty in Traefik.' \
    'package ext' '' 'type HTTP struct{}' '' 'type Router struct{}' > "$ext/ext.go"
  (cd "$work" && CGO_ENABLED=0 "$progress" traefik -mod=mod -trimpath \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik_version" \
    -o "$bin/traefik-$traefik_version.tmp" ./cmd/traefik) >&2
  mv "$bin/traefik-$traefik_version.tmp" "$bin/traefik-$traefik_version"
  rm -rf "$work"
}

busybox_bin() {  # Debian's static busybox (package busybox-static), keyed by its Debian version
  local version
  version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) \
    || die "busybox-static is needed: scripts/ensure-apt.sh busybox-static"
  [ -x "$bin/busybox-$version" ] || cp /bin/busybox "$bin/busybox-$version"
  echo "$bin/busybox-$version"
}

# ---- images -----------------------------------------------------------------------------------
# Bump when the image layout below changes (forces a rebuild of every image).
IMAGE_REVISION=1
netbase=""
net_base() {  # Debian bookworm with the packet-filter tools kube-proxy and flanneld run
  [ -n "$netbase" ] || netbase=$("$repo/images/build-base.sh" net)
  echo "$netbase"
}

# image NAME:TAG BASE ENTRYPOINT-JSON FILE=DEST|@TARGET=LINK... : build unless its archive is cached
# (with stop_signal set: the image's STOPSIGNAL; unset again after each image)
stop_signal=""
image() {
  local ref=$1 base=$2 entry=$3 spec ctx key archive t0 src dest
  shift 3
  t0=$(date +%s)
  key=$( { echo "$IMAGE_REVISION $ref $base $entry $stop_signal"; for spec in "$@"; do
      case $spec in @*) echo "$spec" ;; *) sha256sum "${spec%%=*}" ;; esac; done; } \
    | sha256sum | cut -c1-12)
  archive="$out/$(echo "${ref#*/}" | tr '/:' '--')-$key.tar"
  if [ -f "$archive" ]; then
    echo "==> $ref: cached" >&2
    archives+=("$archive") binary_seconds=0 binary_cpu=0 stop_signal=""
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
    case $src in
      @*) ln -s "${src#@}" "$ctx/root$dest" ;;  # @TARGET=LINK: a symbolic link
      *) cp "$src" "$ctx/root$dest" ;;
    esac
  done
  {
    echo "FROM $base"
    echo "COPY root/ /"
    echo "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "ENTRYPOINT $entry"
    if [ -n "$stop_signal" ]; then echo "STOPSIGNAL $stop_signal"; fi
    echo "LABEL org.opencontainers.image.description=\"built from source by e2e/kubelets/images/build-images.sh\""
  } > "$ctx/Containerfile"
  podman build -q --network=none -t "$ref" "$ctx" >/dev/null
  rm -f "$archive.tmp"
  podman save -q --format docker-archive -o "$archive.tmp" "$ref"
  mv "$archive.tmp" "$archive"
  rm -rf "$ctx"
  archives+=("$archive")
  local took=$(( $(date +%s) - t0 ))
  echo "==> $ref: built in $(( took + binary_seconds ))s (binaries ${binary_seconds}s, image ${took}s; binaries CPU ${binary_cpu}s, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  binary_seconds=0 binary_cpu=0 stop_signal=""
}

# step FUNCTION: build (or find cached) binaries; their wall and CPU time (user + system of the
# processes it waited for) and the load average at its end go on the next image's line.
binary_seconds=0 binary_cpu=0
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
children_cpu() {  # seconds of CPU used so far by this shell's finished children (`times` here, not
  times > "$times_file"  # in a $(...) subshell, which has no children of its own)
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
    printf "%d\n", s }' "$times_file"
}
step() {
  local t0 c0
  t0=$(date +%s)
  children_cpu > "$times_file.c0"
  "$1"
  binary_seconds=$(( $(date +%s) - t0 ))
  c0=$(cat "$times_file.c0")
  children_cpu > "$times_file.c0"
  binary_cpu=$(( $(cat "$times_file.c0") - c0 ))
  rm -f "$times_file.c0"
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

# The cluster stack's add-ons (infra/cluster, `pulumi up` on these kubelets), under the names
# versions.py gives. Not built: cert-manager's controller (its cmd/controller is a module of its
# own, github.com/cert-manager/cert-manager/controller-binary, that the module proxy does not
# serve: the cluster stack's cert-manager stays out of the real-kubelet test, see e2e/README.md).
if [ "$with_services" = 1 ]; then
  step build_local_path
  image "docker.io/rancher/local-path-provisioner:$local_path_version" scratch '["/usr/bin/local-path-provisioner"]' \
    "$bin/local-path-provisioner-$local_path_version=/usr/bin/local-path-provisioner"
  busybox=$(busybox_bin)
  busybox_links=()
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || busybox_links+=("@busybox=/bin/$applet")
  done
  image "docker.io/library/busybox:$busybox_tag" scratch '["/bin/sh"]' "$busybox=/bin/busybox" "${busybox_links[@]}"
  step build_metrics_server
  image "registry.k8s.io/metrics-server/metrics-server:$metrics_server_version" scratch '["/metrics-server"]' \
    "$bin/metrics-server-$metrics_server_version=/metrics-server"
  step build_netpol
  # No entrypoint: the DaemonSet's args start with /bin/netpol (upstream's image has only a CMD).
  image "registry.k8s.io/networking/kube-network-policies:$netpol_version" scratch '[]' \
    "$bin/kube-network-policies-$netpol_build=/bin/netpol"
  step build_traefik
  image "docker.io/library/traefik:$traefik_version" scratch '["/usr/local/bin/traefik"]' \
    "$bin/traefik-$traefik_version=/usr/local/bin/traefik"
  # The app stacks' database (infra/homecare_infra/settings.py, database.image): Debian's
  # PostgreSQL 15 with an entrypoint that keeps the official image's POSTGRES_* contract, and its
  # stop signal (SIGINT: a fast shutdown that does not wait for the pooled clients to leave).
  pg_links=()
  for cmd in postgres initdb pg_ctl psql pg_isready pg_dump; do
    pg_links+=("@/usr/lib/postgresql/$postgres_major/bin/$cmd=/usr/local/bin/$cmd")
  done
  stop_signal=SIGINT
  image "docker.io/library/postgres:$postgres_major-bookworm" "$("$repo/images/build-base.sh" postgres)" \
    '["/usr/local/bin/docker-entrypoint.sh"]' \
    "$here/postgres/docker-entrypoint.sh=/usr/local/bin/docker-entrypoint.sh" "${pg_links[@]}"
fi

set_key=$(printf '%s\n' "${archives[@]}" | sha256sum | cut -c1-12)
set_dir="$out/set-$set_key"
if [ ! -f "$set_dir/.complete" ]; then
  rm -rf "$set_dir"
  mkdir -p "$set_dir"
  for archive in "${archives[@]}"; do ln "$archive" "$set_dir/"; done
  touch "$set_dir/.complete"
fi
echo "$set_dir"
