# Real kubelets (e2e/kubelets/): the Ansible playbooks, whole, on privileged systemd containers —
# site.yml (kubeadm init, CNI, join, labels, kubeconfig merge), add-worker.yml with a third node,
# reset.yml — with every image kubeadm and the CNI deploy built from source and imported by the
# containerd role (the offline install path). The integration level above Molecule's role-level
# scenario; figures in build/bench/cluster.json. Needs the node packages (`make ansible-debs`)
# and the Molecule node image; builds what is missing (cold: see e2e/README.md).
.PHONY: e2e-cluster e2e-cluster-images e2e-cluster-service-images e2e-cluster-platform

E2E_CLUSTER_APT := $(ANSIBLE_APT) $(ANSIBLE_DEBS_APT) libc6-dev busybox-static curl age

e2e-cluster-images: ## build (or reuse) the node images kubeadm and the CNI deploy; prints their directory
	@scripts/ensure-apt.sh $(E2E_CLUSTER_APT) >&2
	@e2e/kubelets/images/build-images.sh

e2e-cluster-service-images: ## also build the images of the cluster stack's add-ons (local-path, busybox, metrics-server, kube-network-policies, Traefik); prints the set's directory
	@scripts/ensure-apt.sh $(E2E_CLUSTER_APT) >&2
	@e2e/kubelets/images/build-images.sh --services

# One run at a time on this machine (fixed container names and addresses).
e2e-cluster: $(VENV_STAMP) ansible-image ## the real playbooks on real kubelets in containers: site.yml, add-worker.yml, reset.yml
	@scripts/ensure-apt.sh $(E2E_CLUSTER_APT)
	@flock /tmp/homecare-e2e-cluster.lock $(PY) -m pytest -p no:cacheprovider -s -v e2e/kubelets/tests

# The parts of the platform on those kubelets that do not run here: each says why.
e2e-cluster-platform:
	@echo "NOT RUN: the cluster-services stack 'home' on real kubelets (pulumi up of local-path, Gateway API + Traefik, metrics-server, kube-network-policies; then every pod Ready, a PVC Bound and written, kubectl top, a Gateway Programmed and routing HTTP): written (steps in e2e/kubelets/tests/test_kubelets.py, images by 'make e2e-cluster-service-images') but not passed here yet (Traefik's image has not compiled through yet), so off by default; run with 'E2E_CLUSTER_STACK=1 make e2e-cluster' once 'make e2e-pulumi-tools' has built the Pulumi binaries"
	@echo "NOT RUN: cert-manager on real kubelets (and so HTTPS through the gateway): its controller's module, github.com/cert-manager/cert-manager/controller-binary, is not served by the module proxy (v1.21.2 and v1.21.1: 404), so no image is built; the stack steps leave it out of pulumi up"
	@echo "NOT RUN: the cluster stack's monitoring on real kubelets (Prometheus, Alertmanager, node-exporter, kube-state-metrics, Pushgateway, Grafana, Loki, Alloy): no image built (Grafana and Loki are AGPL and are not built here; the others not yet); the stack steps leave it out of pulumi up"
	@echo "NOT RUN: app stacks on real kubelets (dev/staging/prod pulumi up) and the live assertions that need them (login + booking, SSE, NetworkPolicy by traffic, HPA, backups, rolling update and pod deletion without failed requests, lost worker): not built yet"

# In make test: the node images are built in the background prebuild lane (one lock with the
# suite's own build-images.sh call, so nothing is built twice); the suite runs late, after the
# build-free suites, and one cluster at a time (the lock above).
TEST_TARGETS += e2e-cluster e2e-cluster-platform
PREBUILD_TARGETS += e2e-cluster-images
LATE_TEST_TARGETS += e2e-cluster
