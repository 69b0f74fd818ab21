# Frontend (apps/frontend): the React + TypeScript PWA. npm installs only from the committed
# package-lock.json (`npm ci`), never a browser download: the Playwright e2e tests and Lighthouse
# drive Debian's Chromium (/usr/bin/chromium). See apps/frontend/README.md.
.PHONY: frontend-deps frontend-api frontend-build test-frontend lint-frontend bench-frontend

FRONTEND := apps/frontend
FRONTEND_STAMP := $(FRONTEND)/node_modules/.package-lock.json
FRONTEND_DIST := $(FRONTEND)/dist/index.html
FRONTEND_OPENAPI := build/frontend/openapi.json
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
  $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json $(FRONTEND_STAMP)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

$(FRONTEND_STAMP): $(FRONTEND)/package-lock.json $(FRONTEND)/package.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20.19+ (apt-get install nodejs npm)" >&2; exit 1; }
	@echo "==> npm ci ($(FRONTEND))"
	@cd $(FRONTEND) && nice npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend-deps: $(FRONTEND_STAMP)

$(FRONTEND_DIST): $(FRONTEND_SOURCES)
	@echo "==> vite build ($(FRONTEND))"
	@cd $(FRONTEND) && nice npx vite build --logLevel warn

frontend-build: $(FRONTEND_STAMP) $(FRONTEND_DIST) ## production build of the SPA into apps/frontend/dist

# The backend's OpenAPI document from its app factory (no database), always fresh.
$(FRONTEND_OPENAPI): FORCE_OPENAPI $(VENV_STAMP)
	@$(PY) -m homecare_devtools.frontend --write-openapi $@
.PHONY: FORCE_OPENAPI
FORCE_OPENAPI:

frontend-api: $(FRONTEND_STAMP) $(FRONTEND_OPENAPI) ## regenerate the typed API client (src/api/schema.d.ts) from the backend
	@cd $(FRONTEND) && node scripts/gen-api.mjs $(CURDIR)/$(FRONTEND_OPENAPI)

lint-frontend: $(FRONTEND_STAMP) ## ESLint and tsc --noEmit on apps/frontend
	cd $(FRONTEND) && nice npx eslint . --max-warnings 0
	cd $(FRONTEND) && nice npx tsc --noEmit

# Vitest (unit, incl. the stale-client check), then Playwright in headless Debian Chromium
# against the real stack (backend + matching + embedded PostgreSQL, started by e2e/stack.ts).
test-frontend: $(VENV_STAMP) $(FRONTEND_STAMP) $(FRONTEND_OPENAPI) $(FRONTEND_DIST) ## Vitest + Playwright e2e (axe, screenshots) in Debian Chromium
	@scripts/ensure-apt.sh chromium fonts-noto-cjk
	cd $(FRONTEND) && HOMECARE_OPENAPI=$(CURDIR)/$(FRONTEND_OPENAPI) nice npx vitest run
	cd $(FRONTEND) && HOMECARE_PYTHON=$(CURDIR)/$(PY) nice npx playwright test

bench-frontend: $(VENV_STAMP) $(FRONTEND_STAMP) $(FRONTEND_DIST) ## Lighthouse + installability + bundle size -> build/bench/frontend.json
	@scripts/ensure-apt.sh chromium fonts-noto-cjk
	@mkdir -p build/bench
	cd $(FRONTEND) && HOMECARE_PYTHON=$(CURDIR)/$(PY) node scripts/bench.mjs $(CURDIR)/build/bench/frontend.json

TEST_TARGETS += test-frontend
LINT_TARGETS += lint-frontend
BENCH_TARGETS += bench-frontend
