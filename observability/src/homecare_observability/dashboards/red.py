"""RED per service (rate, errors, duration) from the shared HTTP middleware, with log links."""

from __future__ import annotations

import json
from urllib.parse import quote

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.dashboard import Dashboard, DashboardLinkType

from homecare_observability.dashboards.common import base, graph, namespace_variable, query

SERVICES = ("backend", "worker", "matching")
SELECTOR = 'namespace="$namespace",service="$service"'
NOT_PROBES = 'route!~"/healthz|/readyz|/metrics"'


def explore_url(logql: str) -> str:
    """A Grafana Explore link into Loki (Alloy labels log lines with namespace and service)."""
    state = {"datasource": "loki", "queries": [{"refId": "A", "expr": logql}], "range": {}}
    return "/explore?orgId=1&left=" + quote(json.dumps(state, separators=(",", ":")), safe="")


def log_links() -> list[cogbuilder.Builder[model.DashboardLink]]:
    errors = '{namespace="$namespace",service="$service"} | json | level=~"error|warning"'
    by_request = '{namespace="$namespace"} | json | request_id="$request_id"'
    return [
        dash.DashboardLink("Error and warning logs of $service")
        .type(DashboardLinkType.LINK)
        .url(explore_url(errors))
        .target_blank(True),
        dash.DashboardLink("Logs of request $request_id (all services)")
        .type(DashboardLinkType.LINK)
        .url(explore_url(by_request))
        .target_blank(True),
    ]


def build() -> Dashboard:
    latency = (
        "histogram_quantile({q}, sum by (le) "
        "(rate(http_request_duration_seconds_bucket{{{sel},{ops}}}[5m])))"
    )
    return (
        base(
            "homecare-red",
            "Homecare / Service RED",
            "Rate, errors and duration of backend, worker and matching; links to their logs",
        )
        .with_variable(namespace_variable())
        .with_variable(dash.CustomVariable("service").label("Service").values(",".join(SERVICES)))
        .with_variable(
            dash.TextBoxVariable("request_id")
            .label("Request id (for the log link)")
            .default_value("")
        )
        .links(log_links())
        .with_row(Row("Rate"))
        .with_panel(
            graph(
                "Requests by route",
                [
                    query(
                        "sum by (route) "
                        f"(rate(http_requests_total{{{SELECTOR},{NOT_PROBES}}}[5m]))",
                        "{{route}}",
                    )
                ],
                "reqps",
            )
        )
        .with_panel(
            graph(
                "Requests by status",
                [
                    query(
                        f"sum by (status) (rate(http_requests_total{{{SELECTOR}}}[5m]))",
                        "{{status}}",
                    )
                ],
                "reqps",
            )
        )
        .with_row(Row("Errors"))
        .with_panel(
            graph(
                "5xx ratio (SLO: 99.5% without 5xx)",
                [
                    query(f"homecare:http_errors:ratio_rate5m{{{SELECTOR}}}", "5 m"),
                    query(f"homecare:http_errors:ratio_rate1h{{{SELECTOR}}}", "1 h"),
                ],
                "percentunit",
                "Recording rules from observability/rules/slo.yml; probes excluded.",
            )
        )
        .with_panel(
            graph(
                "4xx by route",
                [
                    query(
                        "sum by (route, status) "
                        f'(rate(http_requests_total{{{SELECTOR},status=~"4.."}}[5m]))',
                        "{{status}} {{route}}",
                    )
                ],
                "reqps",
            )
        )
        .with_row(Row("Duration"))
        .with_panel(
            graph(
                "Latency (response start)",
                [
                    query(latency.format(q=q, sel=SELECTOR, ops=NOT_PROBES), f"p{int(q * 100)}")
                    for q in (0.5, 0.95, 0.99)
                ],
                "s",
            )
        )
        .with_panel(
            graph(
                "p99 by route",
                [
                    query(
                        "histogram_quantile(0.99, sum by (route, le) (rate("
                        f"http_request_duration_seconds_bucket{{{SELECTOR},{NOT_PROBES}}}[5m])))",
                        "{{route}}",
                    )
                ],
                "s",
            )
        )
        .with_panel(
            graph(
                "Requests slower than 1 s (SLO: under 1%)",
                [query(f"homecare:http_slow:ratio_rate5m{{{SELECTOR}}}", "5 m")],
                "percentunit",
            )
        )
        .build()
    )
