"""Cluster services, declared once per cluster (not per app stack): storage, Gateway API with
Traefik, cert-manager, metrics-server, NetworkPolicy enforcement.

The three app stacks (namespaces ``homecare-dev``, ``homecare-staging``, ``homecare``) share the
cluster and add only their own routes, certificates and policies.
"""

from __future__ import annotations

from typing import Any

import pulumi

from homecare_infra.cluster import config as cluster_config
from homecare_infra.cluster.settings import ClusterSettings
from homecare_infra.cluster.storage import LocalPathStorage
from homecare_infra.cluster.versions import LOCAL_PATH, Addon


def build(settings: ClusterSettings) -> dict[str, Any]:
    """Declare every add-on; returns the stack outputs."""
    deployed: list[Addon] = []
    storage = LocalPathStorage(settings.storage)
    deployed.append(LOCAL_PATH)
    return {
        "addonVersions": {addon.name: addon.version for addon in deployed},
        "storageClass": settings.storage.class_name,
        "_components": [storage],
    }


def main() -> None:
    """Entry point of ``pulumi up`` in infra/cluster/."""
    settings = cluster_config.load()
    for key, value in build(settings).items():
        if not key.startswith("_"):
            pulumi.export(key, value)
