"""Encryption at rest with age (https://age-encryption.org): X25519 recipients, identity files."""

from __future__ import annotations

import os
from pathlib import Path

from homecare_backups.errors import BackupError
from homecare_backups.proc import find_tool, run

RECIPIENTS_HINT = (
    "pass --age-recipients-file with one age public key (age1...) per line; "
    "create a key pair with `age-keygen -o backup-key.txt`"
)
IDENTITY_HINT = "pass --identity-file with the age private key (AGE-SECRET-KEY-1...) that matches"


def check_recipients_file(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"age recipients file {path} does not exist", RECIPIENTS_HINT)
    keys = [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if not keys:
        raise BackupError(f"age recipients file {path} contains no public key", RECIPIENTS_HINT)


def encrypt_file(source: Path, target: Path, recipients_file: Path) -> None:
    """Encrypt `source` to `target` (written to a temporary name, then renamed)."""
    check_recipients_file(recipients_file)
    partial = target.with_name(f".{target.name}.partial")
    run(
        [find_tool("age"), "-e", "-R", str(recipients_file), "-o", str(partial), str(source)],
        what=f"encrypting {source.name}",
        hint=RECIPIENTS_HINT,
    )
    os.replace(partial, target)


def encrypt_bytes(data: bytes, target: Path, recipients_file: Path) -> None:
    """Encrypt in-memory data (never written to disk in clear) to `target`."""
    check_recipients_file(recipients_file)
    partial = target.with_name(f".{target.name}.partial")
    run(
        [find_tool("age"), "-e", "-R", str(recipients_file), "-o", str(partial)],
        what=f"encrypting {target.name}",
        hint=RECIPIENTS_HINT,
        input_bytes=data,
    )
    os.replace(partial, target)


def decrypt_file(source: Path, target: Path, identity_file: Path) -> None:
    if not identity_file.is_file():
        raise BackupError(f"age identity file {identity_file} does not exist", IDENTITY_HINT)
    run(
        [find_tool("age"), "-d", "-i", str(identity_file), "-o", str(target), str(source)],
        what=f"decrypting {source.name}",
        hint=IDENTITY_HINT,
    )


def decrypt_bytes(source: Path, identity_file: Path) -> bytes:
    if not identity_file.is_file():
        raise BackupError(f"age identity file {identity_file} does not exist", IDENTITY_HINT)
    return run(
        [find_tool("age"), "-d", "-i", str(identity_file), str(source)],
        what=f"decrypting {source.name}",
        hint=IDENTITY_HINT,
    )
