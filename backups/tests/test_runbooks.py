"""The runbooks only use commands that exist and that a drill in this directory runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from homecare_backups.cli import build_parser

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
OWNED = (
    "etcd-restore.md",
    "lost-control-plane.md",
    "lost-worker.md",
    "database-restore.md",
    "backup-key-rotation.md",
)
FENCE = re.compile(r"```(?:sh|bash)?\n(.*?)```", re.DOTALL)
DRILLED = re.compile(r'"(etcd|db)",\s*"([a-z-]+)"|"(rekey)"')


def commands(runbook: Path) -> list[list[str]]:
    found = []
    for block in FENCE.findall(runbook.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("homecare-backups "):
                found.append(shlex.split(line.strip())[1:])
    return found


def drilled_commands() -> set[str]:
    source = "\n".join(
        p.read_text()
        for p in Path(__file__).parent.glob("test_*.py")
        if p.name != Path(__file__).name
    )
    return {" ".join(filter(None, m)) for m in DRILLED.findall(source)}


@pytest.mark.parametrize("name", OWNED)
def test_runbook_states_rpo_and_rto_and_uses_only_drilled_commands(name: str) -> None:
    runbook = RUNBOOKS / name
    text = runbook.read_text()
    assert "**RPO**" in text
    assert "**RTO**" in text
    used = commands(runbook)
    assert used, f"{name} shows no homecare-backups command"
    drilled = drilled_commands()
    parser = build_parser()
    for args in used:
        try:
            parsed = parser.parse_args(args)
        except SystemExit:
            pytest.fail(f"{name}: `homecare-backups {' '.join(args)}` does not parse")
        command = " ".join(filter(None, [parsed.area, getattr(parsed, "command", None)]))
        assert command in drilled, f"{name}: `{command}` is not run by any drill"


def test_every_cli_command_is_drilled() -> None:
    parser = build_parser()
    areas = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    expected = set()
    for area, sub in areas.items():
        nested = [a for a in sub._actions if a.dest == "command"]
        expected |= {f"{area} {c}" for c in nested[0].choices} if nested else {area}
    assert expected <= drilled_commands()
