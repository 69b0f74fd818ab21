"""Helpers shared by the drill tests (importable: conftest puts this directory on sys.path)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AgeKeys:
    identity: Path
    recipients: Path


def make_age_keys(directory: Path, name: str = "backup-key") -> AgeKeys:
    directory.mkdir(parents=True, exist_ok=True)
    identity = directory / f"{name}.txt"
    recipients = directory / f"{name}.pub"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    public = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout
    recipients.write_text(public)
    return AgeKeys(identity, recipients)
