#!/usr/bin/env bash
# Build the node packages the homecare roles install, from the upstream Go modules pinned in the
# go.mod files beside this script, and wrap them in .deb files:
#   kubernetes   kubeadm, kubelet, kubectl (k8s.io/kubernetes; named like pkgs.k8s.io's: 1.37.2-1.1)
#   containerd   containerd, containerd-shim-runc-v2, ctr (github.com/containerd/containerd/v2)
#   runc         runc (github.com/opencontainers/runc; cgo with libseccomp)
#   cni-plugins  kubernetes-cni: bridge, host-local, loopback, portmap in /opt/cni/bin
#   cri-tools    crictl (sigs.k8s.io/cri-tools)
#   registry     distribution-registry: the OCI registry (github.com/distribution/distribution/v3)
# Debian ships containerd 1.6 (end of life; Kubernetes after 1.35 needs containerd 2) and no
# pkgs.k8s.io or registry package is reachable from every machine, so these are built here.
#
# Each package is cached in $HOMECARE_CACHE/debs/<name>-<version>-<hash of its inputs>; all Go
# builds share one build cache ($HOMECARE_CACHE/go-build). One progress line per package on stderr
# with its elapsed time. Prints a directory holding every requested .deb (hard links into the cache).
# Usage: build-debs.sh [PACKAGE...]   (default: all; env: HOMECARE_CACHE, default ~/.cache/homecare)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
export GOCACHE="$cache/go-build" GOFLAGS=-mod=mod
arch=$(dpkg --print-architecture)
all=(kubernetes containerd runc cni-plugins cri-tools registry)
requested=("$@")
[ ${#requested[@]} -gt 0 ] || requested=("${all[@]}")

# Bump a package's revision when its packaging below changes; its input files are hashed too.
declare -A packaging_revision=([kubernetes]=2 [containerd]=1 [runc]=1 [cni-plugins]=1 [cri-tools]=1 [registry]=1)
declare -A module=(
  [kubernetes]=k8s.io/kubernetes
  [containerd]=github.com/containerd/containerd/v2
  [runc]=github.com/opencontainers/runc
  [cni-plugins]=github.com/containernetworking/plugins
  [cri-tools]=sigs.k8s.io/cri-tools
  [registry]=github.com/distribution/distribution/v3
)

die() { echo "error: $*" >&2; exit 1; }
command -v go >/dev/null || die "Go is not installed; building the node packages needs go >= 1.26"
command -v dpkg-deb >/dev/null || die "dpkg-deb missing: scripts/ensure-apt.sh dpkg"

modversion() { awk -v m="${module[$1]}" '$1 == "require" && $2 == m {print $3} $1 == m && $2 ~ /^v/ {print $2}' "$here/$1/go.mod" | head -1; }

# control NAME VERSION DEPENDS DESCRIPTION DIR [CONFLICTS]
control() {
  mkdir -p "$5/DEBIAN"
  {
    echo "Package: $1"
    echo "Version: $2"
    echo "Architecture: $arch"
    echo "Maintainer: homecare platform <ops@homecare.invalid>"
    [ -z "$3" ] || echo "Depends: $3"
    [ -z "${6:-}" ] || { echo "Conflicts: $6"; echo "Replaces: $6"; }
    echo "Section: admin"
    echo "Priority: optional"
    echo "Description: $4"
    echo " Built from the upstream Go module by ansible/debs/build-debs.sh."
  } > "$5/DEBIAN/control"
}

# gobuild PKGDIR OUTPUT GO-PACKAGE [go build flags...]
gobuild() {
  local dir=$1 out=$2 pkg=$3
  shift 3
  (cd "$here/$dir" && nice -n 10 go build -trimpath "$@" -o "$out" "$pkg")
}

deb() { dpkg-deb --root-owner-group -Zxz --build "$1" "$2" >/dev/null; }

build_kubernetes() {
  local version=$1 out=$2 work=$3 semver=${1#v} pkg=k8s.io/component-base/version cmd
  local deb_version="$semver-1.1"
  local ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=${semver%%.*}"
  ldflags+=" -X $pkg.gitMinor=$(echo "$semver" | cut -d. -f2) -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  declare -A depends=(
    [kubeadm]="kubelet (>= $semver), kubectl (>= $semver), cri-tools (>= 1.30.0)"
    [kubelet]="iptables, iproute2, mount, ethtool, conntrack, socat, util-linux, kubernetes-cni (>= 1.2.0)"
    [kubectl]=""
  )
  for cmd in kubectl kubeadm kubelet; do
    CGO_ENABLED=0 gobuild kubernetes "$work/$cmd/usr/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd" -ldflags "$ldflags"
    control "$cmd" "$deb_version" "${depends[$cmd]}" "Kubernetes $cmd $version" "$work/$cmd"
    if [ "$cmd" = kubelet ]; then
      mkdir -p "$work/$cmd/usr/lib/systemd/system/kubelet.service.d" "$work/$cmd/etc/kubernetes/manifests"
      cp "$here/kubernetes/kubelet.service" "$work/$cmd/usr/lib/systemd/system/kubelet.service"
      cp "$here/kubernetes/10-kubeadm.conf" "$work/$cmd/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
    fi
    deb "$work/$cmd" "$out/${cmd}_${deb_version}_$arch.deb"
  done
}

build_containerd() {
  local version=$1 out=$2 work=$3 root=$3/containerd pkg=github.com/containerd/containerd/v2 src cmd
  local ldflags="-s -w -X $pkg/version.Version=$version -X $pkg/version.Package=$pkg"
  # No cgo: the btrfs snapshotter (the only cgo part) is left out; overlayfs is the default.
  for cmd in containerd containerd-shim-runc-v2 ctr; do
    CGO_ENABLED=0 gobuild containerd "$root/usr/bin/$cmd" "$pkg/cmd/$cmd" -tags urfave_cli_no_docs -ldflags "$ldflags"
  done
  src=$(cd "$here/containerd" && go list -m -f '{{.Dir}}' "$pkg")
  mkdir -p "$root/usr/lib/systemd/system"
  sed 's#^ExecStart=/usr/local/bin/containerd#ExecStart=/usr/bin/containerd#' "$src/containerd.service" \
    > "$root/usr/lib/systemd/system/containerd.service"
  control containerd "${version#v}-1homecare" "runc (>= 1.2.0)" "containerd $version container runtime" "$root" "containerd.io"
  deb "$root" "$out/containerd_${version#v}-1homecare_$arch.deb"
}

build_runc() {
  local version=$1 out=$2 work=$3 root=$3/runc
  command -v pkg-config >/dev/null && pkg-config --exists libseccomp \
    || die "runc needs libseccomp headers: scripts/ensure-apt.sh libseccomp-dev pkg-config gcc"
  CGO_ENABLED=1 gobuild runc "$root/usr/sbin/runc" github.com/opencontainers/runc \
    -tags "seccomp urfave_cli_no_docs" -ldflags "-s -w -X main.version=${version#v}"
  control runc "${version#v}-1homecare" "libseccomp2 (>= 2.5.0)" "runc $version OCI runtime" "$root"
  deb "$root" "$out/runc_${version#v}-1homecare_$arch.deb"
}

build_cni-plugins() {
  local version=$1 out=$2 work=$3 root=$3/cni p
  local ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$version"
  for p in main/bridge main/loopback ipam/host-local meta/portmap; do
    CGO_ENABLED=0 gobuild cni-plugins "$root/opt/cni/bin/${p#*/}" "github.com/containernetworking/plugins/plugins/$p" -ldflags "$ldflags"
  done
  control kubernetes-cni "${version#v}-1.1" "" "CNI plugins $version (bridge, host-local, loopback, portmap)" "$root"
  deb "$root" "$out/kubernetes-cni_${version#v}-1.1_$arch.deb"
}

build_cri-tools() {
  local version=$1 out=$2 work=$3 root=$3/cri-tools
  CGO_ENABLED=0 gobuild cri-tools "$root/usr/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl \
    -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$version"
  control cri-tools "${version#v}-1.1" "" "crictl $version, CLI for CRI runtimes" "$root"
  deb "$root" "$out/cri-tools_${version#v}-1.1_$arch.deb"
}

build_registry() {
  local version=$1 out=$2 work=$3 root=$3/registry pkg=github.com/distribution/distribution/v3
  CGO_ENABLED=0 gobuild registry "$root/usr/bin/distribution-registry" "$pkg/cmd/registry" \
    -ldflags "-s -w -X $pkg/version.version=$version"
  control distribution-registry "${version#v}-1homecare" "" "OCI distribution registry $version" "$root"
  deb "$root" "$out/distribution-registry_${version#v}-1homecare_$arch.deb"
}

# One builder at a time (make test's prebuild lane and Molecule may ask at once; a second
# builder would wipe the first one's half-built directory): wait for the lock, then check.
mkdir -p "$cache/debs"
exec 9>"$cache/debs/.build.lock"
flock 9
dirs=()
for name in "${requested[@]}"; do
  [ -n "${module[$name]:-}" ] || die "unknown package '$name' (known: ${all[*]})"
  version=$(modversion "$name")
  [ -n "$version" ] || die "no 'require ${module[$name]} vX.Y.Z' line in $here/$name/go.mod"
  key=$( (echo "${packaging_revision[$name]}"; cat "$here/$name"/*) | sha256sum | cut -c1-12)
  dir="$cache/debs/$name-$version-$key"
  dirs+=("$dir")
  if [ -f "$dir/.complete" ]; then echo "==> $name $version: cached" >&2; continue; fi
  t0=$(date +%s)
  echo "==> $name $version: building (cold builds take minutes, kubernetes much longer)" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  work=$(mktemp -d)
  "build_$name" "$version" "$dir" "$work" || { rm -rf "$work" "$dir"; die "building $name $version failed (output above)"; }
  rm -rf "$work"
  touch "$dir/.complete"
  echo "==> $name $version: built in $(( $(date +%s) - t0 ))s" >&2
done

set_key=$(printf '%s\n' "${dirs[@]}" | sha256sum | cut -c1-12)
set_dir="$cache/debs/set-$set_key"
if [ ! -f "$set_dir/.complete" ]; then
  rm -rf "$set_dir"
  mkdir -p "$set_dir"
  for dir in "${dirs[@]}"; do ln "$dir"/*.deb "$set_dir/"; done
  touch "$set_dir/.complete"
fi
echo "$set_dir"
