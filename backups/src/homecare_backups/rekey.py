"""`rekey`: re-encrypt every complete backup set in a directory to new age recipients.

Used when the backup key is rotated: old sets stay readable with the new key only, so the old
private key can be destroyed. Each set is checked before and after; its manifest is rewritten.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from homecare_backups import crypto
from homecare_backups.artifacts import SET_FILE, BackupSet
from homecare_backups.errors import BackupError, RefusedError
from homecare_backups.progress import Progress


def complete_sets(directory: Path) -> list[BackupSet]:
    found: dict[tuple[str, str], BackupSet] = {}
    for entry in sorted(directory.iterdir()) if directory.is_dir() else []:
        match = SET_FILE.match(entry.name)
        if match:
            backup = BackupSet(directory, match["prefix"], match["stamp"])
            if backup.complete:
                found[(backup.prefix, backup.stamp)] = backup
    return list(found.values())


def rekey(directory: Path, identity_file: Path, recipients_file: Path, yes: bool) -> int:
    """Returns how many sets were re-encrypted."""
    crypto.check_recipients_file(recipients_file)
    progress = Progress(f"re-encrypting the backups in {directory} to {recipients_file}")
    sets = complete_sets(directory)
    if not sets:
        raise BackupError(f"no complete backup sets in {directory}", "pass the backup directory")
    with progress.step(f"checking {len(sets)} sets"):
        for backup in sets:
            backup.verify_checksums()
    if not yes:
        raise RefusedError(
            f"rekey rewrites {len(sets)} backup sets in place: refusing without --yes",
            "re-run with --yes (see docs/runbooks/backup-key-rotation.md)",
        )
    for backup in sets:
        with progress.step(f"re-encrypting {backup.base}"):
            members = [p for p in backup.files() if p != backup.manifest]
            for member in members:
                if member.name.endswith(".age"):
                    _reencrypt(member, identity_file, recipients_file)
            backup.write_manifest(members)
            backup.verify_checksums()
    return len(sets)


def _reencrypt(member: Path, identity_file: Path, recipients_file: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=".homecare-rekey-", dir=member.parent) as tmp:
        plain = Path(tmp) / "plain"
        crypto.decrypt_file(member, plain, identity_file)
        fresh = Path(tmp) / member.name
        crypto.encrypt_file(plain, fresh, recipients_file)
        os.replace(fresh, member)
