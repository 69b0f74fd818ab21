#!/usr/bin/env python3
"""Ensure `default_ulimits = []` in the [containers] table of a containers.conf, keeping the rest.

Podman's default ulimits (nofile 1048576) exceed what this sandbox allows, so containers fail to
start until the list is emptied. Idempotent: prints "changed" or "unchanged".
Usage: containers_conf.py [/etc/containers/containers.conf]
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

SETTING = "default_ulimits = []"
TABLE = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
KEY = re.compile(r"^\s*default_ulimits\s*=")


def ensure_setting(text: str) -> str:
    """Return `text` with default_ulimits = [] set in [containers], other lines untouched."""
    lines = text.splitlines()
    table: str | None = None
    header_at: int | None = None
    for index, line in enumerate(lines):
        match = TABLE.match(line)
        if match:
            table = match.group(1).strip()
            if table == "containers":
                header_at = index
            continue
        if table == "containers" and KEY.match(line):
            if "]" not in line:
                raise SystemExit(f"error: multi-line default_ulimits at line {index + 1}: edit it")
            lines[index] = SETTING
            return "\n".join(lines) + "\n"
    if header_at is None:
        lines += (["", "[containers]"] if lines else ["[containers]"]) + [SETTING]
    else:
        lines.insert(header_at + 1, SETTING)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "/etc/containers/containers.conf")
    before = path.read_text() if path.exists() else ""
    after = ensure_setting(before)
    parsed = tomllib.loads(after)
    if parsed.get("containers", {}).get("default_ulimits") != []:
        raise SystemExit(f"error: could not set default_ulimits in {path}; fix the file by hand")
    if after == before:
        print("unchanged")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(after)
    print("changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
