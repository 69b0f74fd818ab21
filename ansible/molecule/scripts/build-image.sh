#!/usr/bin/env bash
# Build (once) the Debian bookworm systemd image that Molecule boots as msi-master and
# desktop-worker: debootstrap a root filesystem, keep it as a tarball in the cache, podman import it.
# No container registry is needed. Bump the version when the package list changes.
# Usage: build-image.sh VERSION     (prints the image name; env: HOMECARE_CACHE, DEBIAN_MIRROR)
set -euo pipefail
version=${1:?usage: build-image.sh VERSION}
image="localhost/homecare/bookworm-systemd:$version"
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}/images
tarball="$cache/bookworm-systemd-$version.tar"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,kmod,sudo,gnupg
if podman image exists "$image"; then echo "$image"; exit 0; fi
if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "error: debootstrap missing: scripts/ensure-apt.sh debootstrap" >&2; exit 1; }
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "==> debootstrap bookworm into $rootfs (cold: a few minutes)" >&2
  nice -n 10 debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >&2
  cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  # Package lists as of the build, so apt's cache_valid_time logic in the roles sees a real cache.
  chroot "$rootfs" apt-get update -qq >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  : > "$rootfs/etc/machine-id"
  # Consoles and udev make no sense in a container and slow the boot down.
  for unit in getty@tty1.service console-getty.service systemd-udevd.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
echo "==> podman import $tarball as $image" >&2
podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'ENV container=podman' "$tarball" "$image" >&2
echo "$image"
