"""Homecare observability as code: Grafana dashboards generated with grafana-foundation-sdk."""
