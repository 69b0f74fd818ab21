# Backups and disaster recovery (backups/, docs/runbooks/): the homecare-backups CLI and its drills
# against a real etcd 3.6 (built from Go modules, cached) and a real embedded PostgreSQL.
# Linted by the root lint gate (ruff, mypy: pyproject.toml).

TEST_TARGETS += test-backups
PREBUILD_TARGETS += backups-tools
LATE_TEST_TARGETS += test-backups

.PHONY: test-backups backups-tools

backups-tools: ## age + openssl (Debian) and etcd/etcdctl/etcdutl 3.6 for the backup drills
	@scripts/ensure-apt.sh age openssl
	@e2e/tools/build-etcd.sh >/dev/null

test-backups: $(VENV_STAMP) backups-tools ## backup/restore drills: etcd, PostgreSQL, retention, metrics, runbooks
	$(PY) -m pytest backups/tests
