# Backend (apps/backend). Its tests — including schemathesis over the OpenAPI document — run in
# `make test-python` (apps/backend/tests); this fragment adds the SSE fan-out and booking benchmarks.
.PHONY: bench-backend
BENCH_TARGETS += bench-backend

bench-backend: $(VENV_STAMP) ## SSE fan-out: 5,000 subscribers on one API process, p50/p99 delivery
	$(PY) -m homecare_testing.bench.sse --subscribers 5000 --rounds 3

.PHONY: bench-bookings
BENCH_TARGETS += bench-bookings

bench-bookings: $(VENV_STAMP) ## booking creation: 200 concurrent clients vs a bare Starlette+asyncpg insert; 0 double bookings
	$(PY) -m homecare_testing.bench.bookings --clients 200 --per-client 10
