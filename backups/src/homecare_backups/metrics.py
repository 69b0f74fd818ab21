"""Prometheus metrics for the staleness alert: a node-exporter textfile or a Pushgateway push.

Each backup kind (`etcd`, `postgres`) owns its own textfile or Pushgateway group, so jobs never
overwrite each other. A failed run updates only the `last_attempt_*` samples; the success
samples keep their previous values (read back from the textfile, or left in the group by POST).
"""

from __future__ import annotations

import os
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from homecare_backups.artifacts import BackupSet
from homecare_backups.errors import BackupError

HELP = {
    "homecare_backup_last_success_timestamp_seconds": "Unix time the last successful backup ended.",
    "homecare_backup_last_size_bytes": "Bytes of the last successful (encrypted) backup set.",
    "homecare_backup_last_duration_seconds": "Seconds the last successful backup run took.",
    "homecare_backup_last_attempt_timestamp_seconds": "Unix time the last backup attempt ended.",
    "homecare_backup_last_attempt_success": "1 if the last backup attempt succeeded, else 0.",
    "homecare_backup_drill_rto_seconds": "Measured restore time (RTO) of the last restore drill.",
    "homecare_backup_drill_success_timestamp_seconds": "Unix time the last restore drill passed.",
}
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{[^}]*\})?\s+(?P<value>\S+)$")


@dataclass(frozen=True)
class MetricsTarget:
    """Where metrics go: a textfile path or a Pushgateway base URL (or nowhere)."""

    textfile: Path | None = None
    pushgateway_url: str | None = None


def _labels(extra: dict[str, str]) -> str:
    if not extra:
        return ""
    return "{" + ",".join(f'{key}="{value}"' for key, value in sorted(extra.items())) + "}"


def _render(samples: dict[tuple[str, str], float]) -> str:
    lines: list[str] = []
    for name in sorted({name for name, _ in samples}):
        lines.append(f"# HELP {name} {HELP.get(name, name)}")
        lines.append(f"# TYPE {name} gauge")
        for (sample_name, labels), value in sorted(samples.items()):
            if sample_name == name:
                lines.append(f"{name}{labels} {value!r}")
    return "\n".join(lines) + "\n"


def _read_textfile(path: Path) -> dict[tuple[str, str], float]:
    samples: dict[tuple[str, str], float] = {}
    if not path.is_file():
        return samples
    for line in path.read_text().splitlines():
        match = SAMPLE.match(line.strip())
        if match:
            samples[(match["name"], match["labels"] or "")] = float(match["value"])
    return samples


Extra = dict[str, dict[str, str]]


def write_textfile(path: Path, kind: str, values: dict[str, float], extra: Extra) -> None:
    """Merge `values` into the textfile (atomic rename, as node-exporter requires)."""
    samples = _read_textfile(path)
    for name, value in values.items():
        samples[(name, _labels({"kind": kind, **extra.get(name, {})}))] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(_render(samples))
    os.replace(partial, path)


def push(url: str, kind: str, values: dict[str, float], extra: Extra) -> None:
    """POST to a Pushgateway group `job=homecare_backup,kind=<kind>`.

    POST replaces only the metric names sent, so a failed attempt keeps the last success samples.
    """
    if not url.startswith(("http://", "https://")):
        raise BackupError(f"--pushgateway-url must be http(s)://..., got {url!r}")
    samples = {(name, _labels(extra.get(name, {}))): value for name, value in values.items()}
    target = f"{url.rstrip('/')}/metrics/job/homecare_backup/kind/{quote(kind, safe='')}"
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        target,
        data=_render(samples).encode(),
        method="POST",
        headers={"Content-Type": "text/plain; version=0.0.4"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
    except OSError as exc:
        raise BackupError(
            f"pushing metrics to {target} failed: {exc}",
            "check --pushgateway-url and that the Pushgateway is reachable from the job",
        ) from exc


def export(
    target: MetricsTarget, kind: str, values: dict[str, float], extra: Extra | None = None
) -> None:
    """Export one run's metrics to the configured target(s)."""
    if target.textfile is not None:
        write_textfile(target.textfile, kind, values, extra or {})
    if target.pushgateway_url is not None:
        push(target.pushgateway_url, kind, values, extra or {})


def _attempt(success: bool) -> dict[str, float]:
    return {
        "homecare_backup_last_attempt_timestamp_seconds": time.time(),
        "homecare_backup_last_attempt_success": 1.0 if success else 0.0,
    }


def record_backup(target: MetricsTarget, kind: str, make: Callable[[], BackupSet]) -> BackupSet:
    """Run one backup and export its metrics; a failure only updates the attempt samples."""
    began = time.monotonic()
    try:
        backup = make()
    except BackupError:
        export(target, kind, _attempt(success=False))
        raise
    duration = time.monotonic() - began
    export(
        target,
        kind,
        {
            **_attempt(success=True),
            "homecare_backup_last_success_timestamp_seconds": time.time(),
            "homecare_backup_last_size_bytes": float(backup.size_bytes()),
            "homecare_backup_last_duration_seconds": duration,
        },
    )
    print(f"==> backup {backup.base} complete in {duration:.2f} s", flush=True)
    return backup
