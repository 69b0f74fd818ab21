# Homecare platform: the two commands are `make up` and `make test`; `make help` lists the rest.
# Each area (ansible, infra, e2e, backups, ...) adds its own targets in mk/<area>.mk and
# registers them with TEST_TARGETS / LINT_TARGETS / BENCH_TARGETS.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOMECARE_CACHE ?= $(HOME)/.cache/homecare
export HOMECARE_CACHE
UV_VERSION := $(shell cat requirements/uv-version)

# Editable first-party packages installed into the one dev virtualenv (apps/devtools, with
# homecare_devtools and homecare_testing, is dev-only: never built into an image).
PY_PACKAGES := apps/shared apps/devtools apps/backend apps/matching $(wildcard infra/pyproject.toml backups/pyproject.toml observability/pyproject.toml)
PY_PACKAGE_DIRS := $(patsubst %/pyproject.toml,%,$(PY_PACKAGES))
VENV_STAMP := $(VENV)/.installed

# `make test` runs the lint gate (every LINT_TARGETS entry), then every TEST_TARGETS suite, each as
# its own `make TARGET` (scripts/run_suites.py), and ends with one summary table; logs go to
# build/test-logs/. A suite that cannot run here prints a line starting with `NOT RUN:` and
# exits 0: the table shows it as NOT RUN with that reason. If the lint gate fails the suites are
# not started (TEST_AFTER_LINT_FAILURE=1 starts them anyway); after it, a failing suite does not
# stop the others. TEST_TIME_BUDGET=SECONDS stops the run when the time is up (the running suite
# fails, the rest are NOT RUN) and still prints the table.
TEST_TARGETS := test-python test-scripts
# Heavy cached builds (Go toolchains' worth of Kubernetes, node packages, Prometheus, ...) that
# `make test` starts in the background at once, one after another under `nice`, while the lint
# gate and the suites that need no build run: on a cold cache the build time overlaps test time.
# Areas add theirs in the order their suites need them. Suites that wait for one of these builds
# go in LATE_TEST_TARGETS too: they run after the others, so the builds get a head start.
PREBUILD_TARGETS :=
LATE_TEST_TARGETS :=
LINT_TARGETS := lint-ruff lint-format lint-mypy lint-yamllint lint-shell
BENCH_TARGETS :=
RUN_SUITES = $(PY) scripts/run_suites.py --make "$(MAKE)"

include $(sort $(wildcard mk/*.mk))

# Suites of TEST_TARGETS that mostly wait (containers booting, apt and kubeadm inside them,
# kubelets converging) rather than compute: after the lint gate they run one after another, in
# this order, in a second lane beside the other suites, output in their logs only. They share no
# port, file or fixed name with a suite outside the lane (their nodes have their own podman
# networks). Measured warm (2026-12-07): this lane ~23 min (e2e-cluster ~19), the foreground ~25
# with kwok's two layers (6 min, one after the other: they share 127.0.0.1:27xxx and build/e2e)
# at its end, where they run instead of here so that the two lanes end close together.
SIDE_TEST_TARGETS := ansible-molecule e2e-cluster

.PHONY: help up up-toss test lint fmt bench clean lock venv test-python test-scripts \
  lint-ruff lint-format lint-mypy lint-yamllint lint-shell

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV_STAMP): requirements/dev.txt requirements/uv-version $(foreach d,$(PY_PACKAGE_DIRS),$(d)/pyproject.toml)
	@test -x $(PY) || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@echo "==> installing pinned dependencies into $(VENV)"
	@$(UV) pip install -q --python $(PY) -r requirements/dev.txt
	@$(UV) pip install -q --python $(PY) --no-deps $(foreach d,$(PY_PACKAGE_DIRS),-e $(d))
	@touch $@

venv: $(VENV_STAMP) ## create/update the dev virtualenv .venv

lock: ## re-pin requirements/*.txt from requirements/*.in (no URLs, no machine paths)
	@test -x $(UV) || $(MAKE) --no-print-directory venv
	@for in in requirements/*.in; do \
	  out=$${in%.in}.txt; echo "==> $$out"; \
	  (cd requirements && ../$(UV) pip compile -q --python-version 3.11 --no-emit-index-url \
	     --no-header --annotation-style line $$(basename $$in) -o $$(basename $$out)); \
	done

up: $(VENV_STAMP) ## run the platform locally on an embedded PostgreSQL (Ctrl-C stops it)
	@$(PY) -m homecare_devtools.up

up-toss: $(VENV_STAMP) ## make up plus the Toss path: local Toss contract server, a backend on provider toss, a frontend with the Toss CSP
	@HOMECARE_TOSS_STACK=1 $(PY) -m homecare_devtools.up

test: $(VENV_STAMP) ## lint gate, then set up everything and run every suite; ends with a summary table
	@$(RUN_SUITES) --log-dir build/test-logs --lint $(LINT_TARGETS) --prebuild $(PREBUILD_TARGETS) \
	  --suites $(filter-out $(LATE_TEST_TARGETS) $(SIDE_TEST_TARGETS),$(TEST_TARGETS)) \
	  $(filter-out $(SIDE_TEST_TARGETS),$(filter $(LATE_TEST_TARGETS),$(TEST_TARGETS))) \
	  --side-suites $(filter $(TEST_TARGETS),$(SIDE_TEST_TARGETS)) \
	  $(if $(TEST_AFTER_LINT_FAILURE),--suites-after-lint-failure) \
	  $(if $(TEST_TIME_BUDGET),--time-budget $(TEST_TIME_BUDGET))

test-python: $(VENV_STAMP)
	$(PY) -m pytest apps/shared/tests apps/devtools/tests apps/backend/tests apps/matching/tests

test-scripts: $(VENV_STAMP) ## the test runner, the lint gate on a broken copy, docs index/links/no issue numbers
	$(PY) -m pytest -p no:cacheprovider scripts/tests

lint: $(VENV_STAMP) ## the lint gate of `make test`: ruff, format, mypy --strict, yamllint and the area linters
	@$(RUN_SUITES) --log-dir build/lint-logs --lint $(LINT_TARGETS)

# One configuration each (pyproject.toml, .yamllint) covers the whole tree; no area re-runs them.
lint-ruff: $(VENV_STAMP)
	$(VENV)/bin/ruff check .

lint-format: $(VENV_STAMP)
	$(VENV)/bin/ruff format --check .

# Test folders whose helpers are imported by bare name (conftest puts the folder on sys.path) get
# one more run each, with the folder on MYPYPATH: in one run, two such folders would both define
# a module `conftest`. Add a folder here once `MYPYPATH=DIR .venv/bin/mypy DIR` is clean.
MYPY_TEST_DIRS := backups/tests infra/tests observability/tests

lint-mypy: $(VENV_STAMP)
	@status=0; echo "$(VENV)/bin/mypy"; $(VENV)/bin/mypy || status=1; \
	for dir in $(MYPY_TEST_DIRS); do \
	  echo "MYPYPATH=$$dir $(VENV)/bin/mypy $$dir"; MYPYPATH=$$dir $(VENV)/bin/mypy $$dir || status=1; \
	done; exit $$status

lint-yamllint: $(VENV_STAMP)
	$(VENV)/bin/yamllint -s .

lint-shell: ## bash -n on every shell script
	@find . \( -name .venv -o -name node_modules -o -name build -o -name .data -o -name .git \) -prune \
	  -o -name '*.sh' -print0 | sort -z | xargs -0 -n1 bash -n

fmt: $(VENV_STAMP) ## format and auto-fix Python
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV_STAMP) ## run benchmarks: results in build/bench/*.json and one table
	@rm -rf build/bench && mkdir -p build/bench
	@$(PY) -m homecare_devtools.bench shell
	@$(if $(BENCH_TARGETS),$(MAKE) --no-print-directory $(BENCH_TARGETS))
	@$(PY) -m homecare_devtools.bench report

clean: ## remove local state (.venv, .data, build); the tool cache in ~/.cache/homecare stays
	rm -rf $(VENV) .data build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
