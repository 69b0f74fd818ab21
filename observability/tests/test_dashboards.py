"""Dashboards as code: the checked-in JSON is what the code generates, and every query parses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from obs_support import OBSERVABILITY, Tools

from homecare_observability.dashboards import DASHBOARDS
from homecare_observability.dashboards.__main__ import main as generate

JSON_DIR = OBSERVABILITY / "dashboards"
# Concrete values for the dashboard variables when a query is parsed or run.
VARIABLES = {"$namespace": "homecare-dev", "$service": "backend", "$request_id": "x"}


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL with variables substituted) for every panel target."""
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets") or []:
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            found.append((panel["title"], expr))
    return found


def checked_in() -> dict[str, dict[str, Any]]:
    return {name: json.loads((JSON_DIR / f"{name}.json").read_text()) for name in DASHBOARDS}


def test_checked_in_json_is_current() -> None:
    assert generate(["--out", str(JSON_DIR), "--check"]) == 0, "run `make dashboards` and commit"


def test_stale_json_is_detected(tmp_path: Path) -> None:
    assert generate(["--out", str(tmp_path)]) == 0
    first = tmp_path / "service-red.json"
    first.write_text(first.read_text().replace("Requests by route", "Requests per route"))
    assert generate(["--out", str(tmp_path), "--check"]) == 1


def test_generation_is_reproducible(tmp_path: Path) -> None:
    generate(["--out", str(tmp_path / "a")])
    generate(["--out", str(tmp_path / "b")])
    for name in DASHBOARDS:
        assert (tmp_path / "a" / f"{name}.json").read_bytes() == (
            tmp_path / "b" / f"{name}.json"
        ).read_bytes()


def test_every_panel_has_a_query_and_the_provisioned_datasource() -> None:
    for name, dashboard in checked_in().items():
        assert dashboard["uid"].startswith("homecare-"), name
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel.get("targets"), f"{name}: panel {panel['title']} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_every_panel_query_parses_with_promtool(tools: Tools, tmp_path: Path) -> None:
    """Each query becomes a recording rule; `promtool check rules` parses its PromQL."""
    rules = []
    for name, dashboard in checked_in().items():
        for index, (title, expr) in enumerate(panel_queries(dashboard)):
            rules.append({"record": f"dashboard:{name.replace('-', '_')}:{index}", "expr": expr})
            assert expr, f"{name}: {title}"
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [str(tools.path("promtool")), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_a_broken_query_does_not_parse(tools: Tools, tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        yaml.safe_dump(
            {"groups": [{"name": "x", "rules": [{"record": "x", "expr": "sum(rate(up[5m])"}]}]}
        )
    )
    result = subprocess.run(
        [str(tools.path("promtool")), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
