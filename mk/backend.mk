# Backend (apps/backend). Its tests — including schemathesis over the OpenAPI document — run in
# `make test-python` (apps/backend/tests); this fragment adds the Debian packages those tests need
# and the SSE fan-out and booking benchmarks.

# Monthly statements render PDFs with WeasyPrint (Pango, HarfBuzz's subsetter) in Noto Sans CJK
# KR; the tests read them back with pdftotext (poppler-utils). The backend image's base has the
# same libraries and font (images/build-base.sh backend).
BACKEND_APT := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils
.PHONY: backend-apt
backend-apt:
	scripts/ensure-apt.sh $(BACKEND_APT)

test-python: backend-apt
.PHONY: bench-backend
BENCH_TARGETS += bench-backend

bench-backend: $(VENV_STAMP) ## SSE fan-out: 5,000 subscribers on one API process, p50/p99 delivery
	$(PY) -m homecare_testing.bench.sse --subscribers 5000 --rounds 3

.PHONY: bench-bookings
BENCH_TARGETS += bench-bookings

bench-bookings: $(VENV_STAMP) ## booking creation: 200 concurrent clients vs a bare Starlette+asyncpg insert; 0 double bookings
	$(PY) -m homecare_testing.bench.bookings --clients 200 --per-client 10
