#!/usr/bin/env bash
# A real Kubernetes control plane on loopback with simulated nodes, for e2e tests and local trials.
#   cluster.sh up       start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok,
#                       register the kwok nodes msi-master and desktop-worker, write a kubeconfig
#   cluster.sh down     stop every process this cluster started (by pid) and keep the logs
#   cluster.sh status   print the pids and the kubeconfig path
# Environment: E2E_CLUSTER_DIR (state, default build/e2e/cluster), E2E_PORT_BASE (default 26000,
# below the ephemeral port range 32768+: etcd BASE+379/380, apiserver BASE+443, controller-manager
# BASE+257, scheduler BASE+259),
# E2E_ENCRYPTION_CONFIG (an EncryptionConfiguration to use instead of a generated secretbox one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$(realpath -m "${E2E_CLUSTER_DIR:-$repo/build/e2e/cluster}")
base=${E2E_PORT_BASE:-26000}
etcd_port=$((base + 379)) etcd_peer_port=$((base + 380)) api_port=$((base + 443))
kcm_port=$((base + 257)) sched_port=$((base + 259))
components=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

die() { echo "error: $*" >&2; exit 1; }

stop_all() {
  local name pid
  for name in "${components[@]}"; do
    [ -f "$dir/pids/$name" ] || continue
    pid=$(cat "$dir/pids/$name")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for name in "${components[@]}"; do
    [ -f "$dir/pids/$name" ] || continue
    pid=$(cat "$dir/pids/$name")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/pids/$name"
  done
}

# Wait until CMD succeeds; on timeout show the component's log tail and fail.
wait_for() {
  local what=$1 log=$2 timeout=$3
  shift 3
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "error: $what not ready after ${timeout}s; last lines of $log:" >&2
      tail -n 25 "$log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

start() {
  local name=$1
  shift
  setsid "$@" >"$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$dir/pids/$name"
}

cert() { # name CN O [extfile-lines]
  local name=$1 cn=$2 org=$3 ext=$4 subj="/CN=$2"
  [ -z "$org" ] || subj="/O=$org/CN=$cn"
  openssl ecparam -genkey -name prime256v1 -noout -out "$dir/pki/$name.key" 2>/dev/null
  openssl req -new -key "$dir/pki/$name.key" -subj "$subj" -out "$dir/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/pki/$name.csr" -CA "$dir/pki/ca.crt" -CAkey "$dir/pki/ca.key" \
    -CAcreateserial -days 2 -out "$dir/pki/$name.crt" -extfile <(printf '%b' "$ext") 2>/dev/null
}

make_pki() {
  mkdir -p "$dir/pki"
  openssl ecparam -genkey -name prime256v1 -noout -out "$dir/pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/pki/ca.key" -subj "/CN=homecare-e2e-ca" -days 2 \
    -out "$dir/pki/ca.crt" 2>/dev/null
  local client='basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n'
  local san="DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  san+=",DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
  cert apiserver kube-apiserver "" \
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=$san\n"
  cert admin kubernetes-admin system:masters "$client"
  cert controller-manager system:kube-controller-manager "" "$client"
  cert scheduler system:kube-scheduler "" "$client"
  openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
}

kubeconfig() { # file user
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: homecare-e2e
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority: $dir/pki/ca.crt
users:
  - name: $2
    user:
      client-certificate: $dir/pki/$2.crt
      client-key: $dir/pki/$2.key
contexts:
  - name: homecare-e2e
    context: {cluster: homecare-e2e, user: $2}
current-context: homecare-e2e
EOF
}

encryption_config() {
  if [ -n "${E2E_ENCRYPTION_CONFIG:-}" ]; then
    cp "$E2E_ENCRYPTION_CONFIG" "$dir/encryption-config.yaml"
  else
    [ -x "$repo/.venv/bin/python" ] || die "the dev virtualenv is missing: run make venv"
    "$repo/.venv/bin/python" "$here/encryption_config.py" "key-e2e=$(head -c 32 /dev/urandom | base64)" \
      >"$dir/encryption-config.yaml"
  fi
  chmod 600 "$dir/encryption-config.yaml"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

up() {
  local tools
  tools=$("$repo/e2e/tools/build-all.sh" layer1) || die "building the control-plane binaries failed"
  eval "$tools"
  if [ -f "$dir/pids/kube-apiserver" ] && kill -0 "$(cat "$dir/pids/kube-apiserver")" 2>/dev/null; then
    die "a cluster is already running from $dir (stop it with: make cluster-down)"
  fi
  for port in $etcd_port $etcd_peer_port $api_port $kcm_port $sched_port; do
    port_free "$port" || die "port $port on 127.0.0.1 is in use; pick other ports with E2E_PORT_BASE=<n>"
  done
  local t0
  t0=$(date +%s)
  rm -rf "$dir"
  mkdir -p "$dir/logs" "$dir/pids"
  trap 'echo "cluster start failed; stopping what was started (logs in $dir/logs)" >&2; stop_all' ERR
  make_pki
  encryption_config
  kubeconfig "$dir/kubeconfig" admin
  kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
  kubeconfig "$dir/scheduler.kubeconfig" scheduler
  local kubectl=("$KUBECTL" --kubeconfig "$dir/kubeconfig")

  start etcd "$ETCD" --name e2e --data-dir "$dir/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer_port"
  wait_for etcd "$dir/logs/etcd.log" 20 curl -sf "http://127.0.0.1:$etcd_port/health"

  start kube-apiserver "$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --allow-privileged=true \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 --encryption-provider-config "$dir/encryption-config.yaml" \
    --profiling=false --endpoint-reconciler-type none
  wait_for kube-apiserver "$dir/logs/kube-apiserver.log" 40 "${kubectl[@]}" get --raw /readyz

  start kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
    --kubeconfig "$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --leader-elect=false \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
    --use-service-account-credentials=true --controllers '*' \
    --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key"
  start kube-scheduler "$KUBE_SCHEDULER" --kubeconfig "$dir/scheduler.kubeconfig" \
    --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" --leader-elect=false
  start kwok "$KWOK" --kubeconfig "$dir/kubeconfig" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 --cidr 10.244.0.1/16 --node-ip 127.0.0.1
  wait_for kube-controller-manager "$dir/logs/kube-controller-manager.log" 30 \
    curl -skf "https://127.0.0.1:$kcm_port/healthz"
  wait_for kube-scheduler "$dir/logs/kube-scheduler.log" 30 \
    curl -skf "https://127.0.0.1:$sched_port/healthz"

  "${kubectl[@]}" create -f "$here/nodes.yaml" >/dev/null
  wait_for "kwok nodes" "$dir/logs/kwok.log" 30 \
    "${kubectl[@]}" wait --for=condition=Ready node/msi-master node/desktop-worker --timeout=1s
  wait_for "default service account" "$dir/logs/kube-controller-manager.log" 30 \
    "${kubectl[@]}" get serviceaccount default -n default
  trap - ERR
  echo "==> cluster up in $(($(date +%s) - t0))s: Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION"
  echo "    export KUBECONFIG=$dir/kubeconfig    (stop with: make cluster-down)"
}

case "${1:-}" in
  up) up ;;
  down)
    [ -d "$dir/pids" ] || { echo "no cluster state in $dir: nothing to stop"; exit 0; }
    stop_all
    echo "==> cluster stopped (logs kept in $dir/logs)"
    ;;
  status)
    for name in "${components[@]}"; do
      pid=$(cat "$dir/pids/$name" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
    done
    echo "kubeconfig: $dir/kubeconfig"
    ;;
  *) die "usage: $0 up|down|status" ;;
esac
