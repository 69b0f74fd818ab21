"""Cluster services, declared once per cluster (not per app stack): storage, Gateway API with
Traefik, cert-manager, metrics-server, NetworkPolicy enforcement.

The three app stacks (namespaces ``homecare-dev``, ``homecare-staging``, ``homecare``) share the
cluster and add only their own routes, certificates and policies.
"""

from __future__ import annotations

from typing import Any

import pulumi

from homecare_infra import node_readiness
from homecare_infra.cluster import config as cluster_config
from homecare_infra.cluster.gateway import GatewayApiCrds, Traefik
from homecare_infra.cluster.metrics import MetricsServer
from homecare_infra.cluster.netpol import NetworkPolicyEnforcer
from homecare_infra.cluster.settings import CLUSTER_NAMESPACE, ClusterSettings
from homecare_infra.cluster.storage import LocalPathStorage
from homecare_infra.cluster.tls import CertManager
from homecare_infra.cluster.versions import versions
from homecare_infra.monitoring import config as monitoring_config
from homecare_infra.monitoring.component import Monitoring


def build(settings: ClusterSettings) -> dict[str, Any]:
    """Declare every add-on; returns the stack outputs."""
    storage = LocalPathStorage(settings.storage)
    gateway_crds = GatewayApiCrds()
    traefik = Traefik(settings.gateway, gateway_crds)
    cert_manager = CertManager(settings, gateway_crds)
    metrics = MetricsServer()
    netpol = NetworkPolicyEnforcer()
    monitoring = Monitoring(
        "monitoring", *monitoring_config.load(), opts=pulumi.ResourceOptions(depends_on=[storage])
    )
    return {
        "addonVersions": versions(),
        "storageClass": settings.storage.class_name,
        "gatewayClass": settings.gateway.class_name,
        "gatewayNamespace": settings.gateway.namespace,
        "clusterIssuers": [name for name, _ in cert_manager.issuers],
        "prometheusUrl": monitoring.prometheus_url,
        "grafanaAdminPassword": monitoring.grafana_admin_password,
        "_components": [storage, gateway_crds, traefik, cert_manager, metrics, netpol, monitoring],
    }


def main() -> None:
    """Entry point of ``pulumi up`` in infra/cluster/."""
    settings = cluster_config.load()
    node_readiness.check_before_changes(
        settings.node_ready_timeout_seconds, f"{CLUSTER_NAMESPACE}:nodeReadyTimeoutSeconds"
    )
    for key, value in build(settings).items():
        if not key.startswith("_"):
            pulumi.export(key, value)
