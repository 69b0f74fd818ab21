"""Read the cluster stack's config (``homecare-cluster:*`` and ``kubernetes:context``) once."""

from __future__ import annotations

import pulumi

from homecare_infra.cluster.settings import (
    CLUSTER_NAMESPACE,
    ClusterSettings,
    parse_cluster_settings,
    require_context,
)
from homecare_infra.config_source import raw_config


def load() -> ClusterSettings:
    require_context(pulumi.Config("kubernetes").get("context"))
    return parse_cluster_settings(raw_config(CLUSTER_NAMESPACE))
