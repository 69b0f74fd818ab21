#!/usr/bin/env bash
# Install Debian packages that are not installed yet; a no-op when all are present.
# Usage: scripts/ensure-apt.sh pkg [pkg ...]
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "==> apt-get install ${missing[*]}"
# Serialize concurrent callers (parallel make targets) on one lock.
exec 9>/tmp/homecare-apt.lock
flock 9
# Another caller may have installed some of them while we waited.
still=()
for pkg in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || still+=("$pkg")
done
[ ${#still[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# Wait for dpkg's own lock too (an apt run outside this script), instead of failing at once.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${still[@]}" >/dev/null
