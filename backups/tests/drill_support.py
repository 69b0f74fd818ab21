"""Helpers shared by the drill tests (importable: conftest puts this directory on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from homecare_testing.age import age_key_pair


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


# The `run_cli` fixture: `run_cli("etcd", "verify", path)` runs the CLI in-process.
CliRunner = Callable[..., CliResult]


@dataclass(frozen=True)
class RanCommand:
    """One `homecare-backups` invocation made by a drill (recorded by the `run_cli` fixture)."""

    args: tuple[str, ...]
    code: int
    test: str


# Every CLI invocation of this pytest session, in order; test_runbooks checks the runbooks
# against it (conftest runs test_runbooks last).
RAN_COMMANDS: list[RanCommand] = []


@dataclass(frozen=True)
class AgeKeys:
    identity: Path
    recipients: Path


def make_age_keys(directory: Path, name: str = "backup-key") -> AgeKeys:
    directory.mkdir(parents=True, exist_ok=True)
    identity = directory / f"{name}.txt"
    recipients = directory / f"{name}.pub"
    recipients.write_text(age_key_pair(identity) + "\n")
    return AgeKeys(identity, recipients)


def metric_values(path: Path, kind: str) -> dict[str, float]:
    """The samples of one backup kind in a node-exporter textfile, parsed by prometheus_client."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
        if sample.labels.get("kind") == kind
    }
