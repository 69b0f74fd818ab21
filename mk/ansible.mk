# Ansible (ansible/): lint, role docs, node packages, and a Molecule test of the kubeadm bootstrap on
# two systemd containers. Tools live in their own venv (requirements/ansible.txt); the container
# image, the node .deb packages (built from Go modules) and the venv are cached in $(HOMECARE_CACHE).
# Concurrent Molecule runs queue on a lock: the two containers have fixed names.
ANSIBLE_VENV = $(shell scripts/tool-venv.sh ansible requirements/ansible.txt)
ANSIBLE_IMAGE_VERSION := 2
ANSIBLE_IMAGE := localhost/homecare/bookworm-systemd:$(ANSIBLE_IMAGE_VERSION)
ANSIBLE_APT := podman runc debootstrap dpkg-dev xz-utils uidmap slirp4netns containernetworking-plugins
# runc is built with cgo against libseccomp (ansible/debs/build-debs.sh).
ANSIBLE_DEBS_APT := dpkg-dev gcc pkg-config libseccomp-dev
ANSIBLE_NETWORKS := homecare-mol-wifi=10.77.20.0/24 homecare-mol-lan=10.77.10.0/24

.PHONY: test-ansible ansible-molecule lint-ansible ansible-prereqs ansible-image ansible-debs ansible-docs

ansible-prereqs:
	@scripts/ensure-apt.sh $(ANSIBLE_APT)
	@python3 ansible/molecule/scripts/containers_conf.py /etc/containers/containers.conf >/dev/null
	@for net in $(ANSIBLE_NETWORKS); do \
	  podman network exists $${net%%=*} || podman network create --subnet $${net#*=} $${net%%=*} >/dev/null; \
	done

ansible-image: ansible-prereqs ## build (once) the Debian bookworm systemd image for Molecule
	@ansible/molecule/scripts/build-image.sh $(ANSIBLE_IMAGE_VERSION) >/dev/null

ansible-debs: ## build (once, cached) the node .deb packages; prints their directory (HOMECARE_DEBS)
	@scripts/ensure-apt.sh $(ANSIBLE_DEBS_APT) >&2
	@ansible/debs/build-debs.sh

ansible-docs: ## regenerate ansible/roles/*/README.md from meta/argument_specs.yml
	@venv="$(ANSIBLE_VENV)"; "$$venv/bin/python" ansible/tools/role_docs.py ansible/roles

lint-ansible: ## argument specs and role READMEs in sync, ansible-lint (production profile), yamllint
	@venv="$(ANSIBLE_VENV)"; test -x "$$venv/bin/ansible-lint" || \
	  { echo "error: no ansible tool venv; run scripts/tool-venv.sh ansible requirements/ansible.txt and fix what it reports" >&2; exit 1; }; \
	"$$venv/bin/python" ansible/tools/role_docs.py --check ansible/roles && \
	cd ansible && \
	  PATH="$$venv/bin:$$PATH" yamllint -s -c .yamllint . && \
	  PATH="$$venv/bin:$$PATH" ansible-lint --project-dir . --profile production

test-ansible: lint-ansible ansible-molecule ## lint, then role-docs tests and molecule test on two systemd containers

# In `make test` the lint gate has already run lint-ansible, so the suite is the tests alone.
ansible-molecule: ansible-image $(VENV_STAMP)
	@$(PY) -m pytest -q ansible/tools/tests
	@scripts/ensure-apt.sh $(ANSIBLE_DEBS_APT)
	@venv="$(ANSIBLE_VENV)"; debs=$$(ansible/debs/build-debs.sh); cd ansible && \
	  PATH="$$venv/bin:$$PATH" HOMECARE_DEBS="$$debs" HOMECARE_MOLECULE_IMAGE="$(ANSIBLE_IMAGE)" \
	  MOLECULE_PODMAN_EXECUTABLE="$(CURDIR)/ansible/molecule/scripts/podman-runc" \
	  nice -n 10 flock /tmp/homecare-molecule.lock molecule test --scenario-name default

TEST_TARGETS += ansible-molecule
PREBUILD_TARGETS += ansible-debs
LATE_TEST_TARGETS += ansible-molecule
LINT_TARGETS += lint-ansible
