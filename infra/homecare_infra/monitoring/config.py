"""Read the ``monitoring:`` config of the cluster stack once (settings + secret receivers)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from homecare_infra.config_source import raw_config
from homecare_infra.monitoring.settings import (
    CONFIG_NAMESPACE,
    MonitoringSettings,
    parse_monitoring_settings,
)


@dataclass(frozen=True)
class MonitoringSecrets:
    """``pulumi config set --secret monitoring:KEY``; ``None`` where unset.

    Without ``grafanaAdminPassword`` a random one is generated and exported (secret) as the
    cluster stack output ``grafanaAdminPassword``.
    """

    grafana_admin_password: pulumi.Output[str] | None = None
    smtp_password: pulumi.Output[str] | None = None
    webhook_url: pulumi.Output[str] | None = None
    slack_url: pulumi.Output[str] | None = None


def load() -> tuple[MonitoringSettings, MonitoringSecrets]:
    config = pulumi.Config(CONFIG_NAMESPACE)
    settings = parse_monitoring_settings(raw_config(CONFIG_NAMESPACE))
    secrets = MonitoringSecrets(
        grafana_admin_password=config.get_secret("grafanaAdminPassword"),
        smtp_password=config.get_secret("alertSmtpPassword"),
        webhook_url=config.get_secret("alertWebhookUrl"),
        slack_url=config.get_secret("alertSlackUrl"),
    )
    return settings, secrets
