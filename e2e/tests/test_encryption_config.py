"""The e2e apiserver's EncryptionConfiguration is the Ansible control_plane template, rendered."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
import yaml
from kube import REPO

SCRIPT = REPO / "e2e" / "cluster" / "encryption_config.py"
NEW = "key-new=" + base64.b64encode(b"n" * 32).decode()
OLD = "key-old=" + base64.b64encode(b"o" * 32).decode()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_renders_secretbox_keys_newest_first_and_identity_last() -> None:
    proc = run(NEW, OLD)
    assert proc.returncode == 0, proc.stderr
    config = yaml.safe_load(proc.stdout)
    assert config["kind"] == "EncryptionConfiguration"
    (rule,) = config["resources"]
    assert rule["resources"] == ["secrets"]
    first, last = rule["providers"]
    assert first["secretbox"]["keys"] == [
        {"name": "key-new", "secret": NEW.split("=", 1)[1]},
        {"name": "key-old", "secret": OLD.split("=", 1)[1]},
    ]
    assert last == {"identity": {}}


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("short=" + base64.b64encode(b"x" * 16).decode(), "16 bytes, not 32"),
        ("bad=***", "not valid base64"),
        ("no-equals-sign", "expected NAME=BASE64_KEY"),
    ],
)
def test_rejects_keys_the_ansible_role_would_reject(arg: str, message: str) -> None:
    proc = run(arg)
    assert proc.returncode == 1
    assert message in proc.stderr
