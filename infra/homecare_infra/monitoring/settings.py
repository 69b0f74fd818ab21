"""Typed settings of the cluster's monitoring stack, read once from the ``monitoring:`` config.

Sizing defaults are for the two-node home cluster (msi-master + desktop-worker, ~20 scrape
targets, 30 s interval): Prometheus keeps 15 days in about 2 GiB (≈ 60 k series × 1.5 bytes per
sample × 2,880 samples a day × 15 days), so its 10 GiB volume also caps by size (8 GB) before the
disk fills. Every error names the config key, as :mod:`homecare_infra.settings` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

CONFIG_NAMESPACE = "monitoring"
SECRET_KEYS = ("grafanaAdminPassword", "alertSmtpPassword", "alertWebhookUrl", "alertSlackUrl")
"""Secret config keys: ``pulumi config set --secret monitoring:KEY VALUE``."""

Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")]
Duration = Annotated[str, Field(pattern=r"^[0-9]+(ms|s|m|h|d|w|y)$")]
DnsName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]


class MonitoringSettingsError(ValueError):
    """Invalid ``monitoring:`` configuration; the message names each bad key and the fix."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Resources(_Model):
    cpu_request: Quantity
    memory_request: Quantity
    cpu_limit: Quantity
    memory_limit: Quantity
    ephemeral_storage_limit: Quantity = "256Mi"
    """Logs, writable layer and emptyDirs; a quarter of it is requested."""

    def spec(self) -> dict[str, dict[str, str]]:
        disk = self.ephemeral_storage_limit
        quarter = f"{int(disk.removesuffix('Mi')) // 4}Mi" if disk.endswith("Mi") else disk
        return {
            "requests": {
                "cpu": self.cpu_request,
                "memory": self.memory_request,
                "ephemeral-storage": quarter,
            },
            "limits": {
                "cpu": self.cpu_limit,
                "memory": self.memory_limit,
                "ephemeral-storage": disk,
            },
        }


def _res(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> Resources:
    return Resources(
        cpu_request=cpu, memory_request=memory, cpu_limit=cpu_limit, memory_limit=memory_limit
    )


class Images(_Model):
    """Upstream images by name, pinned (AGPL Grafana/Loki are deployed, never built here).

    Prometheus, Alertmanager and node-exporter match the Go module versions the tests build;
    the other tags could not be checked against a registry from the build machines.
    """

    prometheus: str = "quay.io/prometheus/prometheus:v3.16.0"
    alertmanager: str = "quay.io/prometheus/alertmanager:v0.35.0"
    node_exporter: str = "quay.io/prometheus/node-exporter:v1.12.1"
    pushgateway: str = "quay.io/prometheus/pushgateway:v1.11.1"
    kube_state_metrics: str = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0"
    grafana: str = "docker.io/grafana/grafana:12.2.0"
    loki: str = "docker.io/grafana/loki:3.5.0"
    alloy: str = "docker.io/grafana/alloy:v1.11.0"


class PrometheusSettings(_Model):
    retention_time: Duration = "15d"
    retention_size: str = Field("8GB", pattern=r"^[0-9]+(B|KB|MB|GB|TB)$")
    storage_size: Quantity = "10Gi"
    scrape_interval: Duration = "30s"
    resources: Resources = _res("200m", "768Mi", "1", "1536Mi")


class LokiSettings(_Model):
    """Log retention per app namespace (stack); other namespaces keep ``default_retention``."""

    storage_size: Quantity = "10Gi"
    default_retention: Duration = "168h"
    retention: dict[DnsName, Duration] = {
        "homecare-dev": "72h",
        "homecare-staging": "168h",
        "homecare": "720h",
    }
    resources: Resources = _res("100m", "256Mi", "1", "1Gi")


class AlertingSettings(_Model):
    """Receivers; the credentials (SMTP password, webhook and Slack URLs) are secret config."""

    email_to: str = ""
    email_from: str = "alertmanager@homecare.local"
    smarthost: str = Field("", pattern=r"^$|^[^:\s]+:[0-9]+$")
    smtp_username: str = ""
    slack_channel: str = "#homecare-alerts"
    runbook_base_url: str = Field("", pattern=r"^$|^https?://\S+$")
    """Prefix for the rules' repository-relative ``runbook_url`` in notifications."""


class MonitoringSettings(_Model):
    namespace: DnsName = "monitoring"
    agents_namespace: DnsName = "monitoring-agents"
    """node-exporter and Alloy need host access: a namespace with Pod Security ``privileged``."""
    app_namespaces: tuple[DnsName, ...] = ("homecare-dev", "homecare-staging", "homecare")
    storage_class: str = ""
    textfile_dir: str = Field("/var/lib/node-exporter/textfile", pattern=r"^/")
    """Where the backup jobs write their textfile metrics (``backups.etcd.textfileDir``)."""
    grafana_admin_user: str = "admin"
    kubelet_tls_verify: bool = False
    """Verify the kubelets' serving certificates against the cluster CA: only once the Ansible
    kubeadm config sets ``serverTLSBootstrap: true`` and the serving CSRs are approved (the
    ``control_plane`` role does not set it yet; kubelets then serve self-signed certificates)."""
    images: Images = Images()
    prometheus: PrometheusSettings = PrometheusSettings()
    loki: LokiSettings = LokiSettings()
    alerting: AlertingSettings = AlertingSettings()
    alertmanager_resources: Resources = _res("20m", "64Mi", "200m", "128Mi")
    grafana_resources: Resources = _res("50m", "128Mi", "500m", "384Mi")
    node_exporter_resources: Resources = _res("20m", "32Mi", "200m", "64Mi")
    kube_state_metrics_resources: Resources = _res("20m", "64Mi", "200m", "192Mi")
    pushgateway_resources: Resources = _res("10m", "32Mi", "100m", "64Mi")
    alloy_resources: Resources = _res("50m", "96Mi", "500m", "256Mi")
    placement_role: str = Field("worker", pattern=r"^(worker|control-plane)$")
    """``homecare.io/role`` of the node that holds Prometheus, Loki and their volumes."""

    @model_validator(mode="after")
    def _email_needs_smarthost(self) -> MonitoringSettings:
        if self.alerting.email_to and not self.alerting.smarthost:
            raise ValueError("alerting.smarthost is required when alerting.emailTo is set")
        return self


def _key(loc: tuple[int | str, ...]) -> str:
    return f"{CONFIG_NAMESPACE}:" + ".".join(str(part) for part in loc) if loc else CONFIG_NAMESPACE


def _describe(error: Mapping[str, Any]) -> str:
    key = _key(tuple(error["loc"]))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key; remove it or fix its spelling (keys are camelCase)"
    got = json.dumps(error.get("input"), default=str)
    return f"{key}: {message} (got {got}); fix it with `pulumi config set --path {key} ...`"


def parse_monitoring_settings(raw: Mapping[str, Any]) -> MonitoringSettings:
    """Validate the non-secret ``monitoring:`` values (keys without the prefix)."""
    plain = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    try:
        return MonitoringSettings.model_validate(plain)
    except ValidationError as exc:
        problems = "\n  ".join(_describe(e) for e in exc.errors())
        raise MonitoringSettingsError(f"invalid monitoring config:\n  {problems}") from None
