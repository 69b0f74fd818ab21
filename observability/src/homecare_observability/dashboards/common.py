"""Shared pieces: datasources (provisioned with these uids), panels, variables."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.models.dashboard import DataSourceRef

PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
LOKI = DataSourceRef(type_val="loki", uid="loki")
APP_NAMESPACES = ("homecare-dev", "homecare-staging", "homecare")


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(expr).datasource(PROMETHEUS)
    return target.legend_format(legend) if legend else target


def graph(
    title: str, targets: list[prometheus.Dataquery], unit: str, description: str = ""
) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(8).span(12)
    for ref_id, target in zip("ABCDEFGH", targets, strict=False):
        panel = panel.with_target(target.ref_id(ref_id))
    return panel.description(description) if description else panel


def single(
    title: str, target: prometheus.Dataquery, unit: str, description: str = ""
) -> stat.Panel:
    panel = stat.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(4).span(6)
    panel = panel.with_target(target.instant().ref_id("A"))
    return panel.description(description) if description else panel


def namespace_variable() -> dash.CustomVariable:
    """The app namespace (stack); a fixed list so the dashboard works before any data exists."""
    return (
        dash.CustomVariable("namespace").label("Stack namespace").values(",".join(APP_NAMESPACES))
    )


def base(uid: str, title: str, description: str) -> dash.Dashboard:
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["homecare"])
        .refresh("1m")
        .time("now-6h", "now")
        .timezone("browser")
        .editable()
    )
