#!/usr/bin/env python3
"""Print the kube-apiserver EncryptionConfiguration for the e2e control plane.

It is rendered from the Ansible control_plane role's own template
(ansible/roles/control_plane/templates/encryption-config.yaml.j2), so the test API server runs
with exactly what the real control plane gets. Usage: encryption_config.py NAME=BASE64_KEY ...
(newest key first; each key is 32 random bytes, e.g. `openssl rand -base64 32`).
"""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path

import jinja2

TEMPLATE = (
    Path(__file__).resolve().parents[2]
    / "ansible/roles/control_plane/templates/encryption-config.yaml.j2"
)
KEY_BYTES = 32


def parse_key(arg: str) -> dict[str, str]:
    """NAME=BASE64 -> {"name": NAME, "secret": BASE64}, checked like the Ansible role does."""
    name, sep, secret = arg.partition("=")
    if not sep or not name:
        raise ValueError(f"expected NAME=BASE64_KEY, got {arg!r}")
    try:
        raw = base64.b64decode(secret, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"key {name} is not valid base64: {exc}") from exc
    if len(raw) != KEY_BYTES:
        raise ValueError(
            f"key {name} is {len(raw)} bytes, not {KEY_BYTES}: create one with "
            "`openssl rand -base64 32`"
        )
    return {"name": name, "secret": secret}


def render(keys: list[dict[str, str]], template: Path = TEMPLATE) -> str:
    """Render the Ansible template with ``control_plane_encryption_keys = keys``."""
    if not template.is_file():
        raise FileNotFoundError(f"the Ansible encryption template is missing: {template}")
    # YAML, not HTML: escaping would corrupt the keys.
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )
    return env.from_string(template.read_text()).render(control_plane_encryption_keys=keys)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: encryption_config.py NAME=BASE64_KEY [NAME=BASE64_KEY ...]", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render([parse_key(arg) for arg in argv[1:]]))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
