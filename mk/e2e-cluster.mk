# Real kubelets (e2e/kubelets/): the Ansible playbooks, whole, on privileged systemd containers —
# site.yml (kubeadm init, CNI, join, labels, kubeconfig merge), add-worker.yml with a third node,
# reset.yml — with every image kubeadm and the CNI deploy built from source and imported by the
# containerd role (the offline install path). The integration level above Molecule's role-level
# scenario; figures in build/bench/cluster.json. Needs the node packages (`make ansible-debs`)
# and the Molecule node image; builds what is missing (cold: see e2e/README.md).
.PHONY: e2e-cluster e2e-cluster-images e2e-cluster-platform

E2E_CLUSTER_APT := $(ANSIBLE_APT) $(ANSIBLE_DEBS_APT) libc6-dev

e2e-cluster-images: ## build (or reuse) the node images kubeadm and the CNI deploy; prints their directory
	@scripts/ensure-apt.sh $(E2E_CLUSTER_APT) >&2
	@e2e/kubelets/images/build-images.sh

# One run at a time on this machine (fixed container names and addresses).
e2e-cluster: $(VENV_STAMP) ansible-image ## the real playbooks on real kubelets in containers: site.yml, add-worker.yml, reset.yml
	@scripts/ensure-apt.sh $(E2E_CLUSTER_APT)
	@flock /tmp/homecare-e2e-cluster.lock $(PY) -m pytest -p no:cacheprovider -s -v e2e/kubelets/tests

# The parts of the platform run on those kubelets that do not exist yet: each says why.
e2e-cluster-platform:
	@echo "NOT RUN: cluster services and app stacks on real kubelets (local-path, Traefik + Gateway API, cert-manager, metrics-server, kube-network-policies, registry images built from source; pulumi up): not built yet. What runs on real kubelets is the e2e-cluster suite (site.yml with kubeadm init, flannel, join, CoreDNS; add-worker.yml; reset.yml), see e2e/README.md"
	@echo "NOT RUN: live platform assertions on real kubelets (PVC bound, HTTPS through the gateway, login + booking, SSE, NetworkPolicy by traffic, kubectl top/HPA, backups, rolling update and pod deletion without failed requests, lost worker): they need the cluster services above"

# In make test: the node images are built in the background prebuild lane (one lock with the
# suite's own build-images.sh call, so nothing is built twice); the suite runs late, after the
# build-free suites, and one cluster at a time (the lock above).
TEST_TARGETS += e2e-cluster e2e-cluster-platform
PREBUILD_TARGETS += e2e-cluster-images
LATE_TEST_TARGETS += e2e-cluster
