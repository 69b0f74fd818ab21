"""The Alertmanager config Pulumi deploys: amtool check-config and routing of critical alerts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from obs_support import Tools

from homecare_infra.monitoring.alertmanager import PAGING, TICKETS, ReceiverSecrets, render_yaml
from homecare_infra.monitoring.settings import parse_monitoring_settings

ALL_RECEIVERS = ReceiverSecrets(
    smtp_password="smtp-password",
    webhook_url="http://127.0.0.1:9/hook",
    slack_url="http://127.0.0.1:9/slack",
)
SETTINGS = parse_monitoring_settings(
    {
        "alerting": {
            "emailTo": "oncall@example.org",
            "smarthost": "smtp.example.org:587",
            "smtpUsername": "alerts",
            "runbookBaseUrl": "https://git.example.org/homecare/blob/main",
        }
    }
)


def _write(tmp_path: Path, secrets: ReceiverSecrets, settings=SETTINGS) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_yaml(settings, secrets))
    return path


def _amtool(tools: Tools, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools.path("amtool")), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "secrets",
    [ALL_RECEIVERS, ReceiverSecrets(webhook_url="http://127.0.0.1:9/hook")],
    ids=["all-receivers", "webhook-only"],
)
def test_amtool_check_config_accepts_the_rendered_config(
    tools: Tools, tmp_path: Path, secrets: ReceiverSecrets
) -> None:
    settings = SETTINGS if secrets.smtp_password else parse_monitoring_settings({})
    result = _amtool(tools, "check-config", str(_write(tmp_path, secrets, settings)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_amtool_check_config_rejects_a_broken_config(tools: Tools, tmp_path: Path) -> None:
    path = _write(tmp_path, ALL_RECEIVERS)
    path.write_text(path.read_text().replace(f"receiver: {PAGING}", "receiver: nobody"))
    result = _amtool(tools, "check-config", str(path))
    assert result.returncode != 0
    assert "nobody" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=EtcdNoLeader"], PAGING),
        (
            ["severity=critical", "alertname=BackendAvailabilityBurnFast", "namespace=homecare"],
            PAGING,
        ),
        (["severity=warning", "alertname=NodeMemoryLow"], TICKETS),
        (["alertname=Unlabelled"], TICKETS),
    ],
)
def test_routes(tools: Tools, tmp_path: Path, labels: list[str], receiver: str) -> None:
    path = _write(tmp_path, ALL_RECEIVERS)
    result = _amtool(
        tools,
        "config",
        "routes",
        "test",
        f"--config.file={path}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_paging_reaches_every_configured_channel(tmp_path: Path) -> None:
    config = yaml.safe_load(render_yaml(SETTINGS, ALL_RECEIVERS))
    paging = next(r for r in config["receivers"] if r["name"] == PAGING)
    assert {"slack_configs", "webhook_configs", "email_configs"} <= set(paging)
    text = paging["slack_configs"][0]["text"]
    assert "https://git.example.org/homecare/blob/main/{{ .Annotations.runbook_url }}" in text
