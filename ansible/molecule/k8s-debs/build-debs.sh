#!/usr/bin/env bash
# Build kubeadm, kubelet and kubectl from the upstream Go module k8s.io/kubernetes (version pinned in
# go.mod) and wrap them in .deb packages named like pkgs.k8s.io's (kubeadm_1.34.4-1.1_amd64.deb).
# The Molecule scenario installs them through the offline mode of the kubernetes_packages role,
# because pkgs.k8s.io is not reachable from the test machine. Cached; prints the package directory.
# Usage: build-debs.sh   (env: HOMECARE_CACHE, default ~/.cache/homecare)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$here/go.mod")
[ -n "$version" ] || { echo "error: no 'require k8s.io/kubernetes vX.Y.Z' line in $here/go.mod" >&2; exit 1; }
semver=${version#v}
major=${semver%%.*}
minor=$(echo "$semver" | cut -d. -f2)
deb_version="$semver-1.1"
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}
# Bump when the packaging below changes; the inputs are hashed too.
packaging_revision=1
key=$( (echo "$packaging_revision"; cat "$here/go.mod" "$here/go.sum" "$here/kubelet.service" "$here/10-kubeadm.conf") \
  | sha256sum | cut -c1-12)
out="$cache/k8s-debs/$version-$key"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { echo "error: Go is not installed; the offline .deb build needs go >= 1.24" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "error: dpkg-deb missing: scripts/ensure-apt.sh dpkg" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
declare -A depends=(
  [kubeadm]="kubelet (>= $semver), kubectl (>= $semver)"
  [kubelet]="iptables, iproute2, mount, ethtool, conntrack, socat, util-linux"
  [kubectl]=""
)
for cmd in kubectl kubeadm kubelet; do
  echo "==> go build $cmd $version (cold: several minutes)" >&2
  (cd "$here" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 go build -trimpath -ldflags "$ldflags" \
     -o "$work/$cmd/usr/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  mkdir -p "$work/$cmd/DEBIAN"
  {
    echo "Package: $cmd"
    echo "Version: $deb_version"
    echo "Architecture: $(dpkg --print-architecture)"
    echo "Maintainer: homecare platform <ops@homecare.invalid>"
    [ -z "${depends[$cmd]}" ] || echo "Depends: ${depends[$cmd]}"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Description: Kubernetes $cmd $version built from the upstream Go module"
    echo " Built by ansible/molecule/k8s-debs/build-debs.sh for offline installs."
  } > "$work/$cmd/DEBIAN/control"
  if [ "$cmd" = kubelet ]; then
    mkdir -p "$work/$cmd/usr/lib/systemd/system/kubelet.service.d" "$work/$cmd/etc/kubernetes/manifests"
    cp "$here/kubelet.service" "$work/$cmd/usr/lib/systemd/system/kubelet.service"
    cp "$here/10-kubeadm.conf" "$work/$cmd/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
  fi
  dpkg-deb --root-owner-group -Zxz --build "$work/$cmd" "$out/${cmd}_${deb_version}_$(dpkg --print-architecture).deb" >&2
done
touch "$out/.complete"
echo "$out"
