"""What an app stack adds to the cluster's monitoring: labels on the Services to scrape.

Prometheus (declared once per cluster) discovers Service endpoints in the app namespaces and
keeps those labelled ``homecare.io/scrape: "true"``; ``homecare.io/env`` becomes the ``env``
label of every series. Nothing else in an app stack configures Prometheus.
"""

from __future__ import annotations

SCRAPE_LABEL = "homecare.io/scrape"
ENV_LABEL = "homecare.io/env"
PUSHGATEWAY_URL = "http://pushgateway.monitoring.svc.cluster.local:9091"
"""Where the PostgreSQL backup job pushes its metrics (``backups.postgres.pushgatewayUrl``)."""


def scrape_labels(env: str) -> dict[str, str]:
    return {SCRAPE_LABEL: "true", ENV_LABEL: env}
