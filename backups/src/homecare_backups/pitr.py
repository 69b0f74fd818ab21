"""Point-in-time recovery: `db basebackup` (pg_basebackup, encrypted set) and `db pitr`
(base backup + archived WAL → a data directory that recovers to a given time and promotes).

Works with the WAL archive the server writes when the stack enables `database.walArchiving`
(`archive_command` copies each segment to the archive directory, `archive_timeout` 60 s).
"""

from __future__ import annotations

import json
import os
import pwd
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from homecare_backups import crypto
from homecare_backups.artifacts import BackupSet, list_sets, new_stamp, set_of, sha256_of
from homecare_backups.errors import BackupError
from homecare_backups.metrics import MetricsTarget, record_backup
from homecare_backups.pg import Connection, PgTools
from homecare_backups.proc import run
from homecare_backups.progress import Progress
from homecare_backups.retention import RetentionPolicy, apply_retention

PREFIX = "pgbase"
BASE_SUFFIX = ".base.tar.gz.age"
META_SUFFIX = ".json"


@dataclass(frozen=True)
class BaseBackupOptions:
    source: Connection
    dest: Path
    policy: RetentionPolicy
    recipients_file: Path
    metrics: MetricsTarget
    tools: PgTools


def basebackup(options: BaseBackupOptions) -> BackupSet:
    progress = Progress(f"PostgreSQL base backup of {options.source.url}")
    return record_backup(options.metrics, "postgres-base", lambda: _basebackup(options, progress))


def _basebackup(options: BaseBackupOptions, progress: Progress) -> BackupSet:
    crypto.check_recipients_file(options.recipients_file)
    options.dest.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    result = BackupSet(options.dest, PREFIX, new_stamp(now))
    with tempfile.TemporaryDirectory(prefix=".homecare-base-", dir=options.dest) as tmp:
        with progress.step("pg_basebackup (tar, gzip, WAL fetched into the backup)"):
            run(
                [
                    options.tools.path("pg_basebackup"),
                    f"--dbname={options.source.url}",
                    f"--pgdata={tmp}",
                    "--format=tar",
                    "--gzip",
                    "--wal-method=fetch",
                    "--checkpoint=fast",
                    f"--label=homecare-{result.stamp}",
                ],
                what="pg_basebackup",
                env=options.source.env,
                timeout=7200,
                hint="the user needs the REPLICATION attribute and pg_hba must allow "
                "replication connections",
            )
            plain = Path(tmp) / "base.tar.gz"
            progress.note(f"{plain.stat().st_size} bytes")
        with progress.step(f"encrypting to {result.path(BASE_SUFFIX).name}"):
            digest = sha256_of(plain)
            crypto.encrypt_file(plain, result.path(BASE_SUFFIX), options.recipients_file)
    metadata = {"kind": "postgres-base", "created": now.isoformat(), "base_sha256": digest}
    result.path(META_SUFFIX).write_text(json.dumps(metadata, indent=2) + "\n")
    result.write_manifest([result.path(BASE_SUFFIX), result.path(META_SUFFIX)])
    result.verify_checksums()
    with progress.step(f"pruning base backups in {options.dest}"):
        plan = apply_retention(list_sets(options.dest, PREFIX), options.policy, now)
        progress.note(f"kept {len(plan.keep)}, deleted {len(plan.delete)}")
    return result


def _safe_extract(archive: tarfile.TarFile, target: Path) -> None:
    """Extract refusing absolute paths, `..` and links out of the tree (tarfile's data filter,
    or an equivalent check on Pythons without it, e.g. Debian bookworm's 3.11.2)."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(target, filter="data")
        return
    for member in archive.getmembers():
        name = Path(member.name)
        link = Path(member.linkname) if member.issym() or member.islnk() else None
        if (
            name.is_absolute()
            or ".." in name.parts
            or (link and (link.is_absolute() or ".." in link.parts))
        ):
            raise BackupError(f"base backup member {member.name} has an unsafe path")
    archive.extractall(target)  # noqa: S202 - members checked above


def _parse_target(target_time: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(target_time)
    except ValueError as exc:
        raise BackupError(
            f"--target-time {target_time!r} is not an ISO time",
            "use e.g. 2026-11-26T14:05:00+09:00",
        ) from exc
    if parsed.tzinfo is None:
        raise BackupError(
            f"--target-time {target_time!r} has no time zone",
            "add the offset, e.g. +09:00 (KST) or Z",
        )
    return parsed


def pitr(
    file: Path,
    wal_archive: Path,
    target_time: str,
    pgdata: Path,
    identity_file: Path,
    owner: str | None,
) -> None:
    """Prepare `pgdata` to recover to `target_time`; starting PostgreSQL on it does the replay."""
    target = _parse_target(target_time)
    progress = Progress(f"point-in-time recovery to {target.isoformat()} into {pgdata}")
    backup = set_of(file)
    if not wal_archive.is_dir():
        raise BackupError(
            f"WAL archive {wal_archive} is not a directory",
            "copy the server's WAL archive (every segment since the base backup)",
        )
    if target < backup.created:
        raise BackupError(
            f"target {target.isoformat()} is before the base backup ({backup.created.isoformat()})",
            "use an older base backup",
        )
    if pgdata.exists() and any(pgdata.iterdir()):
        raise BackupError(f"{pgdata} exists and is not empty", "pick a new directory")
    with progress.step(f"checking the set's checksums ({backup.manifest.name})"):
        backup.verify_checksums()
    metadata = json.loads(backup.path(META_SUFFIX).read_text())
    pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix=".homecare-pitr-", dir=pgdata.parent) as tmp:
        plain = Path(tmp) / "base.tar.gz"
        with progress.step("decrypting the base backup"):
            crypto.decrypt_file(backup.path(BASE_SUFFIX), plain, identity_file)
            if sha256_of(plain) != metadata["base_sha256"]:
                raise BackupError(
                    "the decrypted base backup does not match its recorded SHA-256",
                    "use another copy or an older base backup",
                )
        with progress.step(f"unpacking into {pgdata}"), tarfile.open(plain, "r:gz") as archive:
            _safe_extract(archive, pgdata)
    with progress.step("writing recovery settings (restore_command, recovery_target_time)"):
        settings = (
            f"\n# homecare-backups db pitr {new_stamp()}\n"
            f'restore_command = \'cp "{wal_archive}/%f" "%p"\'\n'
            f"recovery_target_time = '{target.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
        with (pgdata / "postgresql.auto.conf").open("a") as conf:
            conf.write(settings)
        (pgdata / "recovery.signal").touch()
        pgdata.chmod(0o700)
        if owner is not None:
            entry = pwd.getpwnam(owner)
            for path in [pgdata, *pgdata.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
    print(
        f"==> {pgdata} is ready: start PostgreSQL on it; it replays WAL up to "
        f"{target.isoformat()}, then promotes (see docs/runbooks/database-restore.md)",
        flush=True,
    )
