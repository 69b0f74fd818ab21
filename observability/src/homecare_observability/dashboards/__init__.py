"""The Grafana dashboards, one module each; :data:`DASHBOARDS` maps file stem to builder."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.models.dashboard import Dashboard

from homecare_observability.dashboards import backups, business, cluster, red

DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "cluster-overview": cluster.build,
    "service-red": red.build,
    "business": business.build,
    "backups": backups.build,
}
