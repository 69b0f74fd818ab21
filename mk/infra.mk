# Pulumi program (infra/): unit tests with mocks, rendered manifests, schema + policy checks,
# golden files, and the offline container images (see infra/README.md).
.PHONY: manifests infra-golden test-infra infra-unit infra-validate infra-checkov images \
  cluster-upstream push stack-image-tag test-push

INFRA_STACKS := dev staging prod
# The cluster-services stack (infra/cluster/Pulumi.home.yaml) renders to build/manifests/cluster.
CLUSTER_STACK := home
MANIFEST_DIR := build/manifests
K8S_SCHEMA_VERSION := 1.37.0
# Optional: render with another image tag than the stacks' imageTag (e.g. the git SHA).
MANIFEST_IMAGE_TAG ?=

manifests: $(VENV_STAMP) ## render build/manifests/{cluster,dev,staging,prod}/*.yaml from the mocked programs
	@$(PY) -m homecare_infra.render --stack $(CLUSTER_STACK) --out $(MANIFEST_DIR)/cluster
	@for stack in $(INFRA_STACKS); do \
	  $(PY) -m homecare_infra.render --stack $$stack --out $(MANIFEST_DIR)/$$stack \
	    $(if $(MANIFEST_IMAGE_TAG),--image-tag $(MANIFEST_IMAGE_TAG)); \
	done

infra-golden: $(VENV_STAMP) ## re-write infra/tests/golden/<stack>.yaml (review the diff, then commit)
	@for stack in $(CLUSTER_STACK) $(INFRA_STACKS); do \
	  $(PY) -m homecare_infra.render --stack $$stack --golden infra/tests/golden/$$stack.yaml; \
	done

infra-unit: $(VENV_STAMP)
	$(PY) -m pytest -p no:cacheprovider infra/tests --ignore=infra/tests/registry

infra-validate: manifests
	@echo "==> kubernetes-validate --strict (Kubernetes $(K8S_SCHEMA_VERSION))"
	@$(VENV)/bin/kubernetes-validate -k $(K8S_SCHEMA_VERSION) --strict --quiet \
		  $(foreach s,cluster $(INFRA_STACKS),$(MANIFEST_DIR)/$(s)/*.yaml)
	@echo "==> custom resources against the vendored CRD schemas (kubernetes-validate has none)"
	@$(PY) -m homecare_infra.cluster.crd_validate $(foreach s,cluster $(INFRA_STACKS),$(MANIFEST_DIR)/$(s))
	@echo "==> all manifests valid"

infra-checkov: manifests
	@ck=$$(scripts/tool-venv.sh checkov requirements/checkov.txt); \
	  echo "==> checkov --framework kubernetes $(MANIFEST_DIR)"; \
	  "$$ck/bin/checkov" --framework kubernetes -d $(MANIFEST_DIR) --compact --quiet \
	    --skip-download --output cli

test-infra: infra-unit infra-validate infra-checkov ## Pulumi unit tests, golden diff, kubernetes-validate, checkov

stack-image-tag: $(VENV_STAMP) ## print the imageTag of STACK (the one version the images are built and pushed with)
	@$(PY) -m homecare_infra.push --stack $(STACK) --print-tag

push: $(VENV_STAMP) ## push the images under STACK's imageTag to its registry (refuses a tag taken by other content)
	@test -n "$(STACK)" || { echo "usage: make push STACK=dev|staging|prod" >&2; exit 2; }
	@$(PY) -m homecare_infra.push --stack $(STACK)

# `make push` against a real registry: distribution v3 from the `registry` node package
# (ansible/debs/build-debs.sh, cached and shared with test-ansible's package build; cold: 37 min
# at load ~30, once) on loopback with TLS from a test CA, podman with its own vfs storage.
test-push: $(VENV_STAMP) ## make push against a real local registry: push, pull by digest, a taken tag refused
	@scripts/ensure-apt.sh podman dpkg
	$(PY) -m pytest -p no:cacheprovider infra/tests/registry

cluster-upstream: $(VENV_STAMP) ## refresh the vendored add-on manifests from their Go modules (versions.py)
	$(PY) -m homecare_infra.cluster.upstream refresh

images: $(VENV_STAMP) ## build homecare/{backend,matching,frontend,backups} offline with podman; run each and check its health
	@images/build-images.sh $(if $(IMAGE_TAG),$(IMAGE_TAG))

TEST_TARGETS += test-infra test-push images
# test-push needs the registry package that the prebuild lane's ansible-debs builds.
LATE_TEST_TARGETS += test-push
