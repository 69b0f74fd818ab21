"""Helpers of the observability suite: the Go-built Prometheus tools and the rule files."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "observability"
RULE_FILES = sorted((OBSERVABILITY / "rules").glob("*.yml"))
RULE_TESTS = sorted((OBSERVABILITY / "tests" / "rules").glob("*.test.yml"))
NOT_RUN_FILE = REPO / "build" / "observability" / "not-run.txt"


class Tools:
    """Paths of the binaries built by observability/tools/build-prometheus.sh."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir

    def path(self, name: str) -> Path:
        found = sorted(self.bin_dir.glob(f"{name}-v*"))
        if not found:
            raise FileNotFoundError(f"{name} not built: run `make observability-tools`")
        return found[-1]


def build_tools() -> Tools:
    script = OBSERVABILITY / "tools" / "build-prometheus.sh"
    out = subprocess.run([str(script)], check=True, capture_output=True, text=True).stdout
    return Tools(Path(out.strip().splitlines()[-1]))


def alerting_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += [rule for rule in group["rules"] if "alert" in rule]
    return rules


def recorded_names() -> set[str]:
    names: set[str] = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def note_not_run(line: str) -> None:
    """Append a `NOT RUN:` line that `make test-observability` prints after pytest."""
    NOT_RUN_FILE.parent.mkdir(parents=True, exist_ok=True)
    with NOT_RUN_FILE.open("a") as out:
        out.write(f"NOT RUN: {line}\n")
