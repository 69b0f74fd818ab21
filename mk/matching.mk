# Matching service (apps/matching). Its tests run in `make test-python` (apps/matching/tests).
# `make bench-matching`: 100,000 caregivers, match latency in-process and over HTTP against a
# PostGIS baseline on the same data (Debian postgresql + postgis, started by the bench itself as
# the unprivileged postgres user in a temp dir), and batch assignment 2,000 x 5,000.
# Not niced on purpose: it measures latency. Takes ~10-15 min on 2 shared cores.
.PHONY: bench-matching matching-bench-deps

BENCH_TARGETS += bench-matching

matching-bench-deps:
	@scripts/ensure-apt.sh postgresql postgis postgresql-15-postgis-3

bench-matching: $(VENV_STAMP) matching-bench-deps ## matching latency vs PostGIS, batch assignment
	$(PY) -m homecare_testing.bench.matching --out build/bench/matching.json
