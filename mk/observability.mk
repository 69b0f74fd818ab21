# Observability (observability/): alert rules + promtool unit tests, Alertmanager config + amtool
# routing tests, dashboards as code (grafana-foundation-sdk), and a real Prometheus scraping the
# running apps. promtool, prometheus, amtool and node_exporter are built from their Go modules
# (observability/tools/build-prometheus.sh, cached in ~/.cache/homecare/bin).
.PHONY: observability-tools dashboards test-observability

TEST_TARGETS += test-observability
PREBUILD_TARGETS += observability-tools
LATE_TEST_TARGETS += test-observability

observability-tools: ## build promtool, prometheus, amtool, node_exporter from Go modules (cached)
	@observability/tools/build-prometheus.sh >/dev/null

dashboards: $(VENV_STAMP) ## regenerate observability/dashboards/*.json from the Python code
	$(PY) -m homecare_observability.dashboards --out observability/dashboards

test-observability: $(VENV_STAMP) observability-tools ## promtool/amtool checks, dashboard freshness, live Prometheus
	@rm -f build/observability/not-run.txt
	$(PY) -m pytest -p no:cacheprovider observability/tests
	@cat build/observability/not-run.txt 2>/dev/null || true
