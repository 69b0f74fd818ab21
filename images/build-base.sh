#!/usr/bin/env bash
# Build (once) a Debian bookworm base image with debootstrap + podman import; no registry needed.
# The root filesystem tarball is cached in $HOMECARE_CACHE/images, keyed by the variant, the
# version below and the package list, so a warm run only checks that the image exists.
# Usage: images/build-base.sh python|backend|backups|frontend|net|postgres   (prints the image name)
set -euo pipefail
variant=${1:?usage: build-base.sh python|backend|backups|frontend|net|postgres}
BASE_VERSION=1
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
case $variant in
  python) packages=python3,ca-certificates,tzdata,libpython3.11-stdlib ;;
  # The backend renders monthly statements as PDF with WeasyPrint: Pango (with fontconfig and
  # HarfBuzz's subsetter) and a Korean font, Noto Sans CJK (fonts-noto-cjk, ~90 MB installed).
  backend) packages=python3,ca-certificates,tzdata,libpython3.11-stdlib,libpango-1.0-0,libpangoft2-1.0-0,libharfbuzz-subset0,fonts-noto-cjk ;;
  # PostgreSQL 15 client (matches the postgres:15 server image), age for encryption.
  backups) packages=python3,ca-certificates,tzdata,postgresql-client-15,age ;;
  # Debian's nginx for the SPA (no Python: the image serves static files only).
  frontend) packages=nginx,ca-certificates,tzdata ;;
  # Packet-filter tools for kube-proxy and flanneld (e2e/kubelets/images/build-images.sh).
  net) packages=ca-certificates,iptables,nftables,conntrack,ipset,iproute2,kmod ;;
  # Debian's PostgreSQL 15 server for the database image the stacks name
  # (docker.io/library/postgres:15-bookworm, built offline by e2e/kubelets/images/build-images.sh).
  postgres) packages=postgresql-15,ca-certificates,tzdata ;;
  *) echo "error: unknown base variant '$variant' (use python, backend, backups, frontend, net or postgres)" >&2; exit 2 ;;
esac
key=$(printf '%s %s %s' "$BASE_VERSION" "$packages" "$mirror" | sha256sum | cut -c1-10)
image="localhost/homecare/base-$variant:$BASE_VERSION-$key"
cache=${HOMECARE_CACHE:-$HOME/.cache/homecare}/images
tarball="$cache/base-$variant-$BASE_VERSION-$key.tar"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/containers.conf}
if podman image exists "$image"; then echo "$image"; exit 0; fi
if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null || {
    echo "error: debootstrap is missing: run scripts/ensure-apt.sh debootstrap" >&2; exit 1; }
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs-$variant.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "==> debootstrap bookworm ($packages) into $rootfs (cold: a few minutes)" >&2
  nice -n 10 debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >&2
  # Images are immutable: no package lists, no apt caches, no docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  # postgresql-common's postinst creates a cluster "main": the image's entrypoint runs initdb in
  # PGDATA instead, so the package's cluster and its config are dropped.
  # The socket directory is writable by any uid, as in the official image (the stacks run the
  # server as 10001 and mount an emptyDir there anyway).
  if [ "$variant" = postgres ]; then
    rm -rf "$rootfs"/var/lib/postgresql/15 "$rootfs"/etc/postgresql/15
    chmod 3777 "$rootfs"/run/postgresql
  fi
  chroot "$rootfs" useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin homecare
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
echo "==> podman import $tarball as $image" >&2
podman import --change 'ENV LANG=C.UTF-8' "$tarball" "$image" >&2
echo "$image"
