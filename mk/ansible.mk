# Ansible (ansible/): lint and a Molecule test of the kubeadm bootstrap on two systemd containers.
# Tools live in their own venv (requirements/ansible.txt); the container image, the offline
# Kubernetes .deb packages and the venv are cached in $(HOMECARE_CACHE). Concurrent runs queue
# on a lock: the two containers have fixed names (msi-master, desktop-worker).
ANSIBLE_VENV = $(shell scripts/tool-venv.sh ansible requirements/ansible.txt)
ANSIBLE_IMAGE_VERSION := 2
ANSIBLE_IMAGE := localhost/homecare/bookworm-systemd:$(ANSIBLE_IMAGE_VERSION)
ANSIBLE_APT := podman runc debootstrap dpkg-dev xz-utils uidmap slirp4netns containernetworking-plugins
ANSIBLE_NETWORKS := homecare-mol-wifi=10.77.20.0/24 homecare-mol-lan=10.77.10.0/24

.PHONY: test-ansible ansible-molecule lint-ansible ansible-prereqs ansible-image ansible-k8s-debs

ansible-prereqs:
	@scripts/ensure-apt.sh $(ANSIBLE_APT)
	@python3 ansible/molecule/scripts/containers_conf.py /etc/containers/containers.conf >/dev/null
	@for net in $(ANSIBLE_NETWORKS); do \
	  podman network exists $${net%%=*} || podman network create --subnet $${net#*=} $${net%%=*} >/dev/null; \
	done

ansible-image: ansible-prereqs ## build (once) the Debian bookworm systemd image for Molecule
	@ansible/molecule/scripts/build-image.sh $(ANSIBLE_IMAGE_VERSION) >/dev/null

ansible-k8s-debs: ## build (once) kubeadm/kubelet/kubectl .deb packages for the offline install test
	@ansible/molecule/k8s-debs/build-debs.sh >/dev/null

lint-ansible: ## ansible-lint (production profile) and yamllint on ansible/
	@venv="$(ANSIBLE_VENV)"; test -x "$$venv/bin/ansible-lint" || \
	  { echo "error: no ansible tool venv; run scripts/tool-venv.sh ansible requirements/ansible.txt and fix what it reports" >&2; exit 1; }; \
	cd ansible && \
	  PATH="$$venv/bin:$$PATH" yamllint -s -c .yamllint . && \
	  PATH="$$venv/bin:$$PATH" ansible-lint --project-dir . --profile production

test-ansible: lint-ansible ansible-molecule ## lint, then molecule test on two systemd containers

# In `make test` the lint gate has already run lint-ansible, so the suite is the Molecule test alone.
ansible-molecule: ansible-image ansible-k8s-debs
	@venv="$(ANSIBLE_VENV)"; debs=$$(ansible/molecule/k8s-debs/build-debs.sh); cd ansible && \
	  PATH="$$venv/bin:$$PATH" HOMECARE_K8S_DEBS="$$debs" HOMECARE_MOLECULE_IMAGE="$(ANSIBLE_IMAGE)" \
	  MOLECULE_PODMAN_EXECUTABLE="$(CURDIR)/ansible/molecule/scripts/podman-runc" \
	  nice -n 10 flock /tmp/homecare-molecule.lock molecule test --scenario-name default

TEST_TARGETS += ansible-molecule
LINT_TARGETS += lint-ansible
