"""Backup sets: the files of one backup share `<prefix>-<UTC stamp>` and a sha256 manifest.

A set is `etcd-20261126T021500Z.db.age`, `....pki.tar.gz.age`, `....json` and, written last as the
completion marker, `etcd-20261126T021500Z.sha256` (sha256sum format, covers every other file).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from homecare_backups.errors import BackupError

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
SET_FILE = re.compile(r"^(?P<prefix>[A-Za-z0-9_.-]+?)-(?P<stamp>\d{8}T\d{6}Z)(?P<suffix>\..+)$")
MANIFEST_SUFFIX = ".sha256"
CHUNK = 1024 * 1024


def new_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime(STAMP_FORMAT)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class BackupSet:
    directory: Path
    prefix: str
    stamp: str

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.stamp}"

    @property
    def created(self) -> datetime:
        return datetime.strptime(self.stamp, STAMP_FORMAT).replace(tzinfo=UTC)

    @property
    def manifest(self) -> Path:
        return self.directory / f"{self.base}{MANIFEST_SUFFIX}"

    @property
    def complete(self) -> bool:
        return self.manifest.is_file()

    def path(self, suffix: str) -> Path:
        return self.directory / f"{self.base}{suffix}"

    def files(self) -> list[Path]:
        return sorted(
            p for p in self.directory.glob(f"{self.base}.*") if p.is_file() or p.is_symlink()
        )

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files())

    def write_manifest(self, members: list[Path]) -> None:
        """Record the checksum of every member; the manifest's presence marks the set complete."""
        lines = [f"{sha256_of(p)}  {p.name}\n" for p in sorted(members)]
        partial = self.directory / f".{self.manifest.name}.partial"
        partial.write_text("".join(lines))
        os.replace(partial, self.manifest)

    def verify_checksums(self) -> list[str]:
        """Check every file the manifest lists; returns their names or raises BackupError."""
        if not self.complete:
            raise BackupError(
                f"backup {self.base} in {self.directory} has no checksum manifest "
                f"({self.manifest.name}): it is incomplete (the backup run did not finish)",
                "use an older, complete backup",
            )
        names = []
        for line in self.manifest.read_text().splitlines():
            if not line.strip():
                continue
            expected, name = line.split(maxsplit=1)
            member = self.directory / name.lstrip("*")
            if not member.is_file():
                raise BackupError(
                    f"backup {self.base}: {member.name} listed in the manifest is missing",
                    "copy the complete set (all files with this timestamp) or use another backup",
                )
            actual = sha256_of(member)
            if actual != expected:
                raise BackupError(
                    f"backup {self.base}: checksum mismatch for {member.name} "
                    f"(expected {expected[:16]}..., got {actual[:16]}...): the file is corrupted",
                    "use another copy of this backup (off-node) or an older backup",
                )
            names.append(member.name)
        return names


def set_of(path: Path) -> BackupSet:
    """The backup set that `path` (any of its files) belongs to."""
    match = SET_FILE.match(path.name)
    if match is None:
        raise BackupError(
            f"{path.name} is not named like a backup file (<prefix>-YYYYmmddTHHMMSSZ.<suffix>)",
            "pass a file written by `homecare-backups`, e.g. etcd-20261126T021500Z.db.age",
        )
    return BackupSet(path.parent, match["prefix"], match["stamp"])


def list_sets(directory: Path, prefix: str) -> list[BackupSet]:
    """Every set with this prefix in `directory`, oldest first."""
    stamps: set[str] = set()
    if directory.is_dir():
        for entry in directory.iterdir():
            match = SET_FILE.match(entry.name)
            if match and match["prefix"] == prefix:
                stamps.add(match["stamp"])
    return [BackupSet(directory, prefix, stamp) for stamp in sorted(stamps)]


def copy_set(source: BackupSet, destination: Path) -> BackupSet:
    """Copy a complete set (manifest last) to another directory and verify it there."""
    destination.mkdir(parents=True, exist_ok=True)
    target = BackupSet(destination, source.prefix, source.stamp)
    members = [p for p in source.files() if p != source.manifest]
    for member in [*members, source.manifest]:
        partial = destination / f".{member.name}.partial"
        shutil.copyfile(member, partial)
        os.replace(partial, destination / member.name)
    target.verify_checksums()
    return target
