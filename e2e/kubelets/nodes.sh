#!/usr/bin/env bash
# Node containers for the real-kubelet cluster test: privileged systemd containers (the Debian
# bookworm image of ansible/molecule, built by `make ansible-image`) on their own podman network,
# interface eth0 pinned, fixed IPs, one pid file each (Ansible enters them with nsenter). A node
# NAME is the hostname and inventory name; its container is homecare-e2e-NAME (Molecule's
# containers are called msi-master and desktop-worker and may run at the same time).
#   nodes.sh up NAME=IP...   create and start them, then fix each one's cgroup v1 view
#   nodes.sh down NAME...    remove them and the cgroups their kubelets left on the host
# env: E2E_NODES_DIR (pid files; default build/e2e-kubelets), E2E_NODE_IMAGE, E2E_NODES_NETWORK
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${E2E_NODES_DIR:-$repo/build/e2e-kubelets}
image=${E2E_NODE_IMAGE:-localhost/homecare/bookworm-systemd:2}
network=${E2E_NODES_NETWORK:-homecare-e2e-nodes}
subnet=${E2E_NODES_SUBNET:-10.77.40.0/24}
# crun refuses this machine's hybrid cgroup hierarchy (see ansible/molecule/scripts/podman-runc).
podman() { command podman --runtime runc "$@"; }

# The cgroup v1 fix of kind's node entrypoint, as checked on this machine: a privileged container
# sees the host's hierarchies while /proc/self/cgroup names its own path, so the kubelet would
# create kubepods.slice at the host's root. For every v1 hierarchy that holds the container's own
# path, bind that path over the mount point, and bind the mount point back at the old path (so
# paths read from /proc/self/cgroup still resolve). The hybrid layout's cgroup v2 tree
# (/sys/fs/cgroup/unified, the "0::" line) too: systemd puts the pods' scopes there under the
# container's path, and runc looks for them at the root when it adds an exec'd process (exec
# probes, kubectl exec: "openat2 /sys/fs/cgroup/unified/kubepods.slice/...: no such file").
# Runs once per container start.
fix_cgroups() {
  podman exec "$1" bash -euc '
    # Shared mount propagation, as on a booted host (podman makes the root private): the kubelet
    # relies on it for volume mounts.
    mount --make-rshared /
    while IFS=: read -r _ controllers path; do
      [ "$path" != / ] || continue
      if [ -n "$controllers" ]; then mp=/sys/fs/cgroup/${controllers#name=}; else mp=/sys/fs/cgroup/unified; fi
      [ -d "$mp$path" ] || continue
      mountpoint -q "$mp" || continue
      mount --bind "$mp$path" "$mp"
      mkdir -p "$mp$path"
      mount --bind "$mp" "$mp$path"
      echo "    $HOSTNAME: cgroup $controllers rooted at $path"
    done < /proc/self/cgroup'
}

up() {
  mkdir -p "$dir"
  python3 "$repo/ansible/molecule/scripts/containers_conf.py" /etc/containers/containers.conf >/dev/null
  podman network exists "$network" || podman network create --subnet "$subnet" "$network" >/dev/null
  local spec name ip modules=()
  # Kernel modules for the kernel role's modprobe, where the host has them as files.
  [ -d /lib/modules ] && modules=(--volume /lib/modules:/lib/modules:ro)
  for spec in "$@"; do
    name=${spec%%=*} ip=${spec#*=}
    podman rm -f "homecare-e2e-$name" >/dev/null 2>&1 || true
    podman run -d --name "homecare-e2e-$name" --hostname "$name" --privileged --systemd=always \
      --network "$network:ip=$ip,interface_name=eth0" \
      --volume "homecare-e2e-$name-containerd:/var/lib/containerd" \
      "${modules[@]}" \
      --pidfile "$dir/$name.pid" "$image" /sbin/init >/dev/null
  done
  for spec in "$@"; do
    name=${spec%%=*}
    for _ in $(seq 60); do
      state=$(podman exec "homecare-e2e-$name" systemctl is-system-running 2>/dev/null || true)
      case $state in running|degraded) break ;; esac
      sleep 1
    done
    fix_cgroups "homecare-e2e-$name"
  done
}

down() {
  local name id
  for name in "$@"; do
    id=$(podman inspect -f '{{.Id}}' "homecare-e2e-$name" 2>/dev/null) || continue
    # Stop the kubelet and its containers first, so no process keeps a pod cgroup busy.
    podman exec "homecare-e2e-$name" bash -c 'systemctl stop kubelet; crictl rmp -af; systemctl stop containerd' \
      >/dev/null 2>&1 || true
    podman rm -f -t 10 "homecare-e2e-$name" >/dev/null
    podman volume rm -f "homecare-e2e-$name-containerd" >/dev/null 2>&1 || true
    # Whatever cgroups the container's kubelet and systemd created under its own path.
    find /sys/fs/cgroup -depth -type d -path "*libpod-$id*" -exec rmdir {} + 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

cmd=${1:-}
shift || true
case $cmd in
  up) up "$@" ;;
  down) down "$@" ;;
  *) echo "usage: nodes.sh up NAME=IP... | down NAME..." >&2; exit 2 ;;
esac
