"""The Alertmanager configuration, rendered from the settings and the secret receiver values.

Routing: every ``severity: critical`` alert goes to the ``paging`` receiver (Slack-compatible
webhook, generic webhook and e-mail, whichever are configured); everything else to ``tickets``
(e-mail, else the webhook). A critical alert silences the warning of the same name and namespace.
The same function renders the Secret that Pulumi deploys and the file the tests feed to
``amtool check-config`` and ``amtool config routes test``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from homecare_infra.monitoring.settings import MonitoringSettings

PAGING = "paging"
TICKETS = "tickets"


@dataclass(frozen=True)
class ReceiverSecrets:
    """Plain values of the secret config keys (resolved inside ``Output.apply``)."""

    smtp_password: str | None = None
    webhook_url: str | None = None
    slack_url: str | None = None


def _title() -> str:
    return "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.namespace }})"


def _text(runbook_base_url: str) -> str:
    base = runbook_base_url.rstrip("/")
    prefix = f"{base}/" if base else ""
    return (
        "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n"
        f"Runbook: {prefix}{{{{ .Annotations.runbook_url }}}}\n{{{{ end }}}}"
    )


def render(settings: MonitoringSettings, secrets: ReceiverSecrets) -> dict[str, Any]:
    alerting = settings.alerting
    text = _text(alerting.runbook_base_url)
    email: list[dict[str, Any]] = []
    if alerting.email_to:
        mail: dict[str, Any] = {
            "to": alerting.email_to,
            "headers": {"Subject": _title()},
            "text": text,
            "send_resolved": True,
        }
        email.append(mail)
    slack = (
        [
            {
                "api_url": secrets.slack_url,
                "channel": alerting.slack_channel,
                "title": _title(),
                "text": text,
                "send_resolved": True,
            }
        ]
        if secrets.slack_url
        else []
    )
    webhook = [{"url": secrets.webhook_url, "send_resolved": True}] if secrets.webhook_url else []
    paging: dict[str, Any] = {"name": PAGING}
    tickets: dict[str, Any] = {"name": TICKETS}
    for key, configs in (("slack_configs", slack), ("webhook_configs", webhook)):
        if configs:
            paging[key] = configs
    if email:
        paging["email_configs"] = email
        tickets["email_configs"] = email
    elif webhook:
        tickets["webhook_configs"] = webhook
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if alerting.smarthost:
        global_ |= {
            "smtp_smarthost": alerting.smarthost,
            "smtp_from": alerting.email_from,
            "smtp_require_tls": True,
        }
        if alerting.smtp_username:
            global_["smtp_auth_username"] = alerting.smtp_username
        if secrets.smtp_password:
            global_["smtp_auth_password"] = secrets.smtp_password
    return {
        "global": global_,
        "route": {
            "receiver": TICKETS,
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "receiver": PAGING,
                    "matchers": ['severity="critical"'],
                    "repeat_interval": "1h",
                }
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": [paging, tickets],
    }


def render_yaml(settings: MonitoringSettings, secrets: ReceiverSecrets) -> str:
    return yaml.safe_dump(render(settings, secrets), sort_keys=False, allow_unicode=True)
