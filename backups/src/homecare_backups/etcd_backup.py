"""`etcd finalize`: a fresh `etcdctl snapshot save` file → a verified, encrypted backup set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from homecare_backups import crypto, pki
from homecare_backups.artifacts import BackupSet, copy_set, list_sets, new_stamp, sha256_of
from homecare_backups.errors import BackupError
from homecare_backups.etcd_snapshot import verify_snapshot
from homecare_backups.metrics import MetricsTarget, record_backup
from homecare_backups.progress import Progress
from homecare_backups.retention import RetentionPolicy, apply_retention

PREFIX = "etcd"
SNAPSHOT_SUFFIX = ".db.age"
PKI_SUFFIX = ".pki.tar.gz.age"
META_SUFFIX = ".json"


@dataclass(frozen=True)
class FinalizeOptions:
    snapshot: Path
    pki_dir: Path
    encryption_config: Path
    dest: Path
    offnode_dest: Path | None
    policy: RetentionPolicy
    recipients_file: Path
    metrics: MetricsTarget
    min_keys: int = 1


def finalize(options: FinalizeOptions, now: datetime | None = None) -> BackupSet:
    progress = Progress(f"etcd backup from {options.snapshot}")
    return record_backup(
        options.metrics, "etcd", lambda: _finalize(options, progress, now or datetime.now(UTC))
    )


def _finalize(options: FinalizeOptions, progress: Progress, now: datetime) -> BackupSet:
    crypto.check_recipients_file(options.recipients_file)
    with progress.step("verifying the snapshot (SHA-256 trailer, etcdutl snapshot status)"):
        status = verify_snapshot(options.snapshot, options.min_keys)
        progress.note(status.describe())
    with progress.step(f"reading the cluster PKI from {options.pki_dir}"):
        archive, members = pki.pack_pki(options.pki_dir, options.encryption_config)
        progress.note(f"{len(members)} files")
    options.dest.mkdir(parents=True, exist_ok=True)
    backup = BackupSet(options.dest, PREFIX, new_stamp(now))
    if backup.files():
        raise BackupError(
            f"a backup named {backup.base} already exists in {options.dest}",
            "wait a second and run again (one backup per second at most)",
        )
    with progress.step(f"encrypting the snapshot to {backup.path(SNAPSHOT_SUFFIX)}"):
        crypto.encrypt_file(options.snapshot, backup.path(SNAPSHOT_SUFFIX), options.recipients_file)
    with progress.step(f"encrypting the PKI to {backup.path(PKI_SUFFIX).name}"):
        crypto.encrypt_bytes(archive, backup.path(PKI_SUFFIX), options.recipients_file)
    with progress.step("writing metadata and the checksum manifest"):
        metadata = {
            "kind": "etcd",
            "created": now.isoformat(),
            "snapshot_status": status.as_dict(),
            "snapshot_sha256": sha256_of(options.snapshot),
            "snapshot_bytes": options.snapshot.stat().st_size,
            "pki_members": members,
        }
        backup.path(META_SUFFIX).write_text(json.dumps(metadata, indent=2) + "\n")
        backup.write_manifest([backup.path(s) for s in (SNAPSHOT_SUFFIX, PKI_SUFFIX, META_SUFFIX)])
        backup.verify_checksums()
    if options.offnode_dest is not None:
        with progress.step(f"copying to the off-node target {options.offnode_dest}"):
            remote = copy_set(backup, options.offnode_dest)
            progress.note(f"verified {len(remote.verify_checksums())} files there")
        _prune(options.offnode_dest, options.policy, now, progress, "off-node")
    _prune(options.dest, options.policy, now, progress, "local")
    return backup


def _prune(
    directory: Path, policy: RetentionPolicy, now: datetime, progress: Progress, where: str
) -> None:
    with progress.step(
        f"pruning {where} backups in {directory} "
        f"(keep {policy.keep_count}, at most {policy.keep_days:g} days)"
    ):
        plan = apply_retention(list_sets(directory, PREFIX), policy, now)
        progress.note(
            f"kept {len(plan.keep)}, deleted {len(plan.delete)}"
            + (f": {', '.join(b.base for b in plan.delete)}" if plan.delete else "")
        )
