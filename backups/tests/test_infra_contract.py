"""The CronJobs infra renders (infra/tests/golden/*.yaml) call this CLI with flags it accepts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from homecare_backups.cli import build_parser

GOLDEN = Path(__file__).resolve().parents[2] / "infra" / "tests" / "golden"


def containers(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("command"), list) and "image" in node:
            yield node
        for value in node.values():
            yield from containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from containers(item)


def backup_commands(stack_file: Path) -> list[list[str]]:
    found = []
    for document in yaml.safe_load_all(stack_file.read_text()):
        for container in containers(document):
            command = [str(part) for part in container["command"]]
            if command[0] == "homecare-backups":
                found.append(command[1:])
    return found


STACKS = sorted(GOLDEN.glob("*.yaml"))


def test_the_backup_cronjobs_exist_in_some_stack() -> None:
    used = {" ".join(c[:2]) for stack in STACKS for c in backup_commands(stack)}
    assert {"etcd finalize", "db backup"} <= used, f"rendered backup commands: {sorted(used)}"


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_rendered_backup_commands_parse(stack: Path) -> None:
    parser = build_parser()
    for args in backup_commands(stack):
        try:
            parser.parse_args(args)
        except SystemExit:
            pytest.fail(f"{stack.name}: `homecare-backups {' '.join(args)}` does not parse")
