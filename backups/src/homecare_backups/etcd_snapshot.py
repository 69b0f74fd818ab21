"""Checking an etcd snapshot before anyone relies on it.

`etcdctl snapshot save` writes the bbolt database followed by its SHA-256 (32 bytes), so a good
snapshot is a whole number of 512-byte blocks plus 32. We check that trailer ourselves (a flipped
bit in a free page passes `etcdutl snapshot status`, and a truncated file crashes it), then read
hash/revision/keys/size with `etcdutl snapshot status -w json`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from homecare_backups.errors import BackupError
from homecare_backups.proc import find_tool, run

HASH_SIZE = 32
BLOCK = 512
CHUNK = 1024 * 1024
FRESH_SNAPSHOT_HINT = (
    "take a new snapshot with `etcdctl snapshot save`; "
    "keep the existing backups (nothing was deleted)"
)


@dataclass(frozen=True)
class SnapshotStatus:
    hash: int
    revision: int
    total_keys: int
    total_size: int
    version: str

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"hash {self.hash}, revision {self.revision}, {self.total_keys} keys, "
            f"{self.total_size} bytes, storage version {self.version}"
        )


def check_integrity(path: Path) -> None:
    """Reject missing, empty, truncated or corrupted snapshot files (SHA-256 trailer)."""
    if not path.is_file():
        raise BackupError(f"snapshot {path} does not exist", "pass the file etcdctl wrote")
    size = path.stat().st_size
    if size <= HASH_SIZE:
        raise BackupError(
            f"snapshot {path.name} is rejected: {size} bytes is far too small to be an etcd "
            "snapshot (truncated or empty)",
            FRESH_SNAPSHOT_HINT,
        )
    if size % BLOCK != HASH_SIZE:
        raise BackupError(
            f"snapshot {path.name} is rejected: it is truncated or not written by `etcdctl "
            f"snapshot save` ({size} bytes is not 512-byte pages plus a 32-byte SHA-256 trailer)",
            FRESH_SNAPSHOT_HINT,
        )
    digest = hashlib.sha256()
    remaining = size - HASH_SIZE
    with path.open("rb") as handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        trailer = handle.read(HASH_SIZE)
    if digest.digest() != trailer:
        raise BackupError(
            f"snapshot {path.name} is rejected: it is corrupted (its SHA-256 trailer does not "
            "match the content)",
            FRESH_SNAPSHOT_HINT,
        )


def _short(detail: str) -> str:
    """First meaningful lines of a Go tool's error (no goroutine dumps)."""
    lines = [line for line in detail.splitlines() if line.strip()]
    cut = next((i for i, line in enumerate(lines) if line.startswith("goroutine ")), len(lines))
    return " | ".join(lines[: min(cut, 3)])


def read_status(path: Path) -> SnapshotStatus:
    try:
        output = run(
            [find_tool("etcdutl"), "snapshot", "status", str(path), "-w", "json"],
            what=f"etcdutl snapshot status {path.name}",
            timeout=600,
        )
    except BackupError as exc:
        raise BackupError(
            f"snapshot {path.name} is rejected: etcdutl cannot read it: {_short(exc.message)}",
            FRESH_SNAPSHOT_HINT,
        ) from exc
    data = json.loads(output.decode(errors="replace").strip().splitlines()[-1])
    return SnapshotStatus(
        hash=int(data["hash"]),
        revision=int(data["revision"]),
        total_keys=int(data["totalKey"]),
        total_size=int(data["totalSize"]),
        version=str(data.get("version", "")),
    )


def verify_snapshot(path: Path, min_keys: int = 1) -> SnapshotStatus:
    """Integrity trailer + etcdutl status; fewer than `min_keys` keys is rejected too."""
    check_integrity(path)
    status = read_status(path)
    if status.total_keys < min_keys:
        raise BackupError(
            f"snapshot {path.name} is rejected: it holds {status.total_keys} keys (expected at "
            f"least {min_keys}); this is not a snapshot of a running cluster",
            FRESH_SNAPSHOT_HINT,
        )
    return status
