"""Every `homecare-backups` command in the runbooks is one that a drill in this session ran.

The runbooks' fenced shell blocks are parsed for `homecare-backups ...` lines. Each must parse
with the real CLI parser, and a drill must have run the same command (area and subcommand) with
at least the same options and succeeded (exit 0) — the `run_cli` fixture records every
invocation, and conftest orders this module after the drills. Host commands (systemctl, kubectl,
crictl) are operator steps the drills cannot run and are not checked here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from drill_support import RAN_COMMANDS, RanCommand

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


def runbook_commands(runbook: Path) -> list[list[str]]:
    """The arguments of every `homecare-backups` line in the runbook's fenced blocks."""
    found = []
    for block in FENCE.findall(runbook.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("homecare-backups "):
                found.append(shlex.split(line.strip())[1:])
    return found


def command_name(args: list[str] | tuple[str, ...]) -> str:
    """`etcd restore`, `db drill`, `rekey`: the CLI command that ARGS select."""
    parsed = build_parser().parse_args(list(args))
    return " ".join(filter(None, [parsed.area, getattr(parsed, "command", None)]))


def option_names(args: list[str] | tuple[str, ...]) -> set[str]:
    return {a.split("=", 1)[0] for a in args if a.startswith("--")}


def successful_runs() -> list[RanCommand]:
    if not RAN_COMMANDS:
        pytest.fail(
            "no drill ran the CLI in this session: this test checks what the drills ran, "
            "so run backups/tests as a whole (make test-backups)"
        )
    return [ran for ran in RAN_COMMANDS if ran.code == 0]


def drill_running(args: list[str]) -> RanCommand | None:
    """A successful drill invocation of the same command with at least the runbook's options."""
    wanted, options = command_name(args), option_names(args)
    for ran in successful_runs():
        if command_name(ran.args) == wanted and options <= option_names(ran.args):
            return ran
    return None


@pytest.mark.parametrize("name", OWNED)
def test_runbook_states_rpo_and_rto_and_its_commands_parse(name: str) -> None:
    runbook = RUNBOOKS / name
    text = runbook.read_text()
    assert "**RPO**" in text
    assert "**RTO**" in text
    used = runbook_commands(runbook)
    assert used, f"{name} shows no homecare-backups command"
    for args in used:
        try:
            build_parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"{name}: `homecare-backups {' '.join(args)}` does not parse")


@pytest.mark.parametrize("name", OWNED)
def test_every_runbook_command_was_run_by_a_drill(name: str) -> None:
    for args in runbook_commands(RUNBOOKS / name):
        if drill_running(args) is None:
            same = [
                " ".join(r.args)
                for r in successful_runs()
                if command_name(r.args) == command_name(args)
            ]
            pytest.fail(
                f"{name}: no drill ran `homecare-backups {' '.join(args)}` successfully with these "
                f"options; successful drill runs of `{command_name(args)}`: {same or 'none'}"
            )


def test_every_cli_command_was_run_by_a_drill() -> None:
    parser = build_parser()
    areas = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert isinstance(areas, dict)
    expected = set()
    for area, sub in areas.items():
        nested = [a for a in sub._actions if a.dest == "command"]
        expected |= {f"{area} {c}" for c in nested[0].choices} if nested else {area}
    ran = {command_name(r.args) for r in successful_runs()}
    assert expected <= ran, f"never run successfully by a drill: {sorted(expected - ran)}"
