# End-to-end (e2e/): every stack's rendered manifests on a real control plane built from Go modules
# (kube-apiserver, controller-manager, scheduler, etcd) with kwok nodes; see e2e/README.md.
.PHONY: e2e e2e-tools cluster-up cluster-down cluster-status lint-e2e

# Rendered manifests to apply: build/manifests (from `make manifests`) unless E2E_MANIFESTS is set.
E2E_MANIFESTS ?=

e2e-tools: ## build (or reuse the cached) control-plane binaries in ~/.cache/homecare/bin
	@e2e/tools/build-all.sh layer1 >/dev/null

cluster-up: e2e-tools ## start a local control plane with kwok nodes msi-master/desktop-worker
	@e2e/cluster/cluster.sh up

cluster-down: ## stop the control plane started by cluster-up
	@e2e/cluster/cluster.sh down

cluster-status: ## show which control-plane processes run and the kubeconfig path
	@e2e/cluster/cluster.sh status

# Each stack gets its own cluster (build/e2e/test-<stack>); the trap stops any of them that a
# failed or interrupted run left behind.
e2e: $(VENV_STAMP) e2e-tools $(if $(E2E_MANIFESTS),,manifests) ## apply every stack to a real control plane and check it deploys
	@trap 'for d in $$(ls -d build/e2e/test-* 2>/dev/null); do \
	    E2E_CLUSTER_DIR=$$d e2e/cluster/cluster.sh down >/dev/null; done' EXIT; \
	  $(if $(E2E_MANIFESTS),E2E_MANIFESTS=$(E2E_MANIFESTS)) \
	  $(PY) -m pytest -p no:cacheprovider e2e/tests

lint-e2e: $(VENV_STAMP)
	$(VENV)/bin/ruff check e2e
	$(VENV)/bin/ruff format --check e2e
	MYPYPATH=e2e/tests $(VENV)/bin/mypy --strict e2e/tests/*.py e2e/cluster/*.py
	bash -n e2e/cluster/cluster.sh $(wildcard e2e/tools/*.sh)

LINT_TARGETS += lint-e2e
