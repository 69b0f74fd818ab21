"""Alert rules: promtool check + unit tests, and every alert is tested, annotated and runbooked."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from obs_support import REPO, RULE_FILES, RULE_TESTS, Tools, alerting_rules

from homecare_infra.monitoring.prometheus_config import prometheus_config
from homecare_infra.monitoring.settings import parse_monitoring_settings

# Labels that tell one input series (node, namespace, instance, ...) from another.
IDENTITY = ("node", "namespace", "instance", "kind", "job_name", "pod", "deployment", "mountpoint")


def test_promtool_check_rules(tools: Tools) -> None:
    result = subprocess.run(
        [str(tools.path("promtool")), "check", "rules", *map(str, RULE_FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules(tools: Tools) -> None:
    result = subprocess.run(
        [str(tools.path("promtool")), "test", "rules", *map(str, RULE_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=RULE_TESTS[0].parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_promtool_test_rules_fails_on_a_wrong_expectation(tools: Tools, tmp_path: Path) -> None:
    """The unit tests can fail: an alert expected on the healthy node is reported."""
    source = (RULE_TESTS[0].parent / "kubernetes.test.yml").read_text()
    broken = source.replace(
        "exp_labels: {severity: critical, job: node-exporter, "
        'instance: "192.168.0.10:9100", node: msi-master}',
        "exp_labels: {severity: critical, job: node-exporter, "
        'instance: "192.168.0.11:9100", node: desktop-worker}',
    )
    assert broken != source
    test_file = tmp_path / "broken.test.yml"
    test_file.write_text(broken.replace("../../rules/", f"{REPO}/observability/rules/"))
    result = subprocess.run(
        [str(tools.path("promtool")), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "NodeExporterDown" in result.stdout + result.stderr


def _unit_cases() -> dict[str, list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]]:
    """alertname -> [(expected alerts, input series of the test group)]."""
    cases: dict[str, list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]] = defaultdict(list)
    for path in RULE_TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                cases[case["alertname"]].append(
                    (case.get("exp_alerts") or [], group["input_series"])
                )
    return cases


def _identity(series: str) -> set[str]:
    return {value for key, value in re.findall(r'(\w+)="([^"]*)"', series) if key in IDENTITY}


def test_every_alert_fires_in_a_test_and_stays_silent_on_a_healthy_series() -> None:
    cases = _unit_cases()
    problems: list[str] = []
    for rule in alerting_rules():
        name = rule["alert"]
        firing = [(exp, series) for exp, series in cases.get(name, []) if exp]
        if not firing:
            problems.append(f"{name}: no promtool test where it fires")
            continue
        silent_case = any(not exp for exp, _ in cases[name])
        # Or: the firing test group also holds a series (another node, namespace, ...) that
        # promtool's exact comparison proves did not fire.
        for exp, series in firing:
            fired = {str(v) for alert in exp for v in alert["exp_labels"].values()}
            inputs = set().union(*(_identity(s["series"]) for s in series))
            silent_case = silent_case or bool(inputs - fired)
        if not silent_case:
            problems.append(f"{name}: no test shows it silent on a series that should not fire")
    assert not problems, "\n".join(problems)


def _anchors(markdown: str) -> set[str]:
    """GitHub-style heading anchors."""
    anchors = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_every_alert_has_summary_description_and_an_existing_runbook() -> None:
    problems: list[str] = []
    for rule in alerting_rules():
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not str(annotations.get(key, "")).strip():
                problems.append(f"{rule['alert']}: missing {key}")
        if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
            problems.append(f"{rule['alert']}: severity must be critical or warning")
        url = str(annotations.get("runbook_url", ""))
        path, _, anchor = url.partition("#")
        runbook = REPO / path
        if not path.startswith("docs/runbooks/") or not runbook.is_file():
            problems.append(f"{rule['alert']}: runbook {path} does not exist")
        elif anchor not in _anchors(runbook.read_text()):
            problems.append(f"{rule['alert']}: {path} has no heading for #{anchor}")
    assert not problems, "\n".join(problems)


def test_the_deployed_prometheus_config_passes_promtool(tools: Tools, tmp_path: Path) -> None:
    """The prometheus.yml the Monitoring component deploys (Kubernetes SD, kubeadm jobs)."""
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(prometheus_config(parse_monitoring_settings({}))))
    result = subprocess.run(
        [str(tools.path("promtool")), "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
