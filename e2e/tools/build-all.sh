#!/usr/bin/env bash
# Build (or find cached) every binary the e2e suite needs and print shell assignments for them:
#   eval "$(e2e/tools/build-all.sh layer1)"   -> KUBE_APISERVER=... ETCD=... KWOK=... *_VERSION=...
# layer1: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, etcdctl, kwok.
# layer2: layer1 plus the Pulumi CLI and the pulumi-kubernetes provider.
# Build progress goes to stderr; binaries are cached in $HOMECARE_CACHE/bin/<name>-<version>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
layer=${1:-layer1}
case "$layer" in layer1 | layer2) ;; *) echo "usage: $0 layer1|layer2" >&2; exit 2 ;; esac
modversion() { awk -v m="$2" '($1 == m) {print $2} ($1 == "require" && $2 == m) {print $3}' "$here/$1/go.mod" | head -1; }
k8s=$(modversion kubernetes k8s.io/kubernetes)
etcd=$(modversion etcd go.etcd.io/etcd/server/v3)
kwok=$(modversion kwok sigs.k8s.io/kwok)
bin=$("$here/build-kubernetes.sh")
"$here/build-etcd.sh" >/dev/null
"$here/build-kwok.sh" >/dev/null
cat <<ENV
K8S_VERSION=$k8s
ETCD_VERSION=$etcd
KWOK_VERSION=$kwok
KUBE_APISERVER=$bin/kube-apiserver-$k8s
KUBE_CONTROLLER_MANAGER=$bin/kube-controller-manager-$k8s
KUBE_SCHEDULER=$bin/kube-scheduler-$k8s
KUBECTL=$bin/kubectl-$k8s
ETCD=$bin/etcd-$etcd
ETCDCTL=$bin/etcdctl-$etcd
KWOK=$bin/kwok-$kwok
ENV
if [ "$layer" = layer2 ]; then
  "$here/build-pulumi.sh"
fi
