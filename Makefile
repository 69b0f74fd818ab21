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

# Editable first-party packages installed into the one dev virtualenv.
PY_PACKAGES := apps/shared apps/devtools apps/backend apps/matching $(wildcard infra/pyproject.toml backups/pyproject.toml)
PY_PACKAGE_DIRS := $(patsubst %/pyproject.toml,%,$(PY_PACKAGES))
VENV_STAMP := $(VENV)/.installed

TEST_TARGETS := test-python
LINT_TARGETS := lint-python
BENCH_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help up test lint fmt bench clean lock venv test-python lint-python

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

test: $(VENV_STAMP) ## set up everything and run every test
	@$(MAKE) --no-print-directory $(TEST_TARGETS)
	@echo "==> all test suites passed"

test-python: $(VENV_STAMP)
	$(PY) -m pytest apps/shared/tests apps/devtools/tests apps/backend/tests apps/matching/tests

lint: $(VENV_STAMP) ## ruff, mypy, yamllint and the area linters
	@$(MAKE) --no-print-directory $(LINT_TARGETS)

lint-python: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/yamllint -s .

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
