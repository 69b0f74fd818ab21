"""`db backup|verify|restore|drill`: pg_dump custom-format backups, encrypted, checked, drilled."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from homecare_backups import crypto
from homecare_backups.artifacts import BackupSet, copy_set, list_sets, new_stamp, set_of, sha256_of
from homecare_backups.errors import BackupError, RefusedError
from homecare_backups.fingerprint import differences, fingerprint
from homecare_backups.metrics import MetricsTarget, export, record_backup
from homecare_backups.pg import Connection, PgTools
from homecare_backups.pg_scratch import ScratchPostgres
from homecare_backups.progress import Progress
from homecare_backups.retention import RetentionPolicy, apply_retention

DUMP_SUFFIX = ".dump.age"
META_SUFFIX = ".json"


@dataclass(frozen=True)
class BackupOptions:
    source: Connection
    dest: Path
    offnode_dest: Path | None
    policy: RetentionPolicy
    recipients_file: Path
    metrics: MetricsTarget
    tools: PgTools


def prefix_for(database: str) -> str:
    return "db-" + re.sub(r"[^A-Za-z0-9_.]", "_", database)


def backup(options: BackupOptions, snapshot: str | None = None) -> BackupSet:
    progress = Progress(f"PostgreSQL backup of {options.source.database}")
    return record_backup(options.metrics, "postgres", lambda: _backup(options, progress, snapshot))


def _backup(options: BackupOptions, progress: Progress, snapshot: str | None) -> BackupSet:
    crypto.check_recipients_file(options.recipients_file)
    options.dest.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    result = BackupSet(options.dest, prefix_for(options.source.database), new_stamp(now))
    plain = options.dest / f".{result.base}.dump.partial"
    try:
        with progress.step(f"pg_dump --format=custom {options.source.database}"):
            plain.touch(mode=0o600)
            options.tools.dump(options.source, plain, snapshot)
            progress.note(f"{plain.stat().st_size} bytes")
        with progress.step("checking the archive (pg_restore --list)"):
            entries = options.tools.list_archive(plain)
            progress.note(f"{len(entries)} archive entries")
        with progress.step(f"encrypting to {result.path(DUMP_SUFFIX)}"):
            digest = sha256_of(plain)
            crypto.encrypt_file(plain, result.path(DUMP_SUFFIX), options.recipients_file)
    finally:
        plain.unlink(missing_ok=True)
    with progress.step("writing metadata and the checksum manifest"):
        metadata = {
            "kind": "postgres",
            "database": options.source.database,
            "created": now.isoformat(),
            "dump_sha256": digest,
            "archive_entries": len(entries),
        }
        result.path(META_SUFFIX).write_text(json.dumps(metadata, indent=2) + "\n")
        result.write_manifest([result.path(DUMP_SUFFIX), result.path(META_SUFFIX)])
        result.verify_checksums()
    targets = [options.dest]
    if options.offnode_dest is not None:
        with progress.step(f"copying to the off-node target {options.offnode_dest}"):
            copy_set(result, options.offnode_dest)
        targets.append(options.offnode_dest)
    for directory in targets:
        with progress.step(f"pruning backups in {directory}"):
            plan = apply_retention(list_sets(directory, result.prefix), options.policy, now)
            progress.note(f"kept {len(plan.keep)}, deleted {len(plan.delete)}")
    return result


@contextmanager
def plain_dump(
    file: Path, identity_file: Path, tools: PgTools, progress: Progress
) -> Iterator[Path]:
    """Check a backup set member and yield its decrypted dump (deleted afterwards)."""
    result = set_of(file)
    with progress.step(f"checking the set's checksums ({result.manifest.name})"):
        progress.note(f"{len(result.verify_checksums())} files match")
    metadata = json.loads(result.path(META_SUFFIX).read_text())
    with tempfile.TemporaryDirectory(prefix=".homecare-db-", dir=file.parent) as tmp:
        plain = Path(tmp) / f"{result.base}.dump"
        with progress.step(f"decrypting {result.path(DUMP_SUFFIX).name}"):
            crypto.decrypt_file(result.path(DUMP_SUFFIX), plain, identity_file)
            if sha256_of(plain) != metadata["dump_sha256"]:
                raise BackupError(
                    f"the decrypted dump of {result.base} does not match the SHA-256 recorded at "
                    "backup time",
                    "use another copy of this backup or an older one",
                )
        with progress.step("checking the archive (pg_restore --list)"):
            progress.note(f"{len(tools.list_archive(plain))} archive entries")
        yield plain


def verify(file: Path, identity_file: Path | None, tools: PgTools) -> None:
    progress = Progress(f"db verify {file}")
    if identity_file is None:
        result = set_of(file)
        with progress.step(f"checking the set's checksums ({result.manifest.name})"):
            progress.note(f"{len(result.verify_checksums())} files match")
        progress.note("pass --identity-file to also decrypt and check the dump itself")
        return
    with plain_dump(file, identity_file, tools, progress):
        pass
    print(f"==> {file.name} is a good backup", flush=True)


def restore(
    file: Path,
    target: Connection,
    identity_file: Path,
    tools: PgTools,
    *,
    yes: bool,
    no_owner: bool,
) -> float:
    """Restore over `target` (clean + single transaction). Returns the seconds it took."""
    progress = Progress(f"db restore {file.name} into {target.database}")
    with plain_dump(file, identity_file, tools, progress) as plain:
        if not yes:
            raise RefusedError(
                f"restore drops and recreates every object of the backup in database "
                f"{target.database!r}: refusing without --yes",
                "re-run with --yes once you have read docs/runbooks/database-restore.md",
            )
        with progress.step(f"pg_restore --clean --single-transaction into {target.database}"):
            tools.restore(plain, target, clean=True, no_owner=no_owner)
    print(
        f"==> restored {file.name} into {target.database} in {progress.elapsed():.2f} s", flush=True
    )
    return progress.elapsed()


@dataclass(frozen=True)
class DrillOptions:
    backup: BackupOptions
    identity_file: Path
    target_admin: Connection | None
    run_as: str | None


@dataclass(frozen=True)
class DrillReport:
    backup_seconds: float
    rto_seconds: float
    tables: int
    rows: int
    dump_bytes: int


@contextmanager
def exported_snapshot(tools: PgTools, conn: Connection) -> Iterator[str]:
    """Hold a REPEATABLE READ transaction open and yield its exported snapshot id."""
    session = subprocess.Popen(  # noqa: S603 - fixed argv, password via env
        [tools.path("psql"), "-X", "-qAt", "-v", "ON_ERROR_STOP=1", f"--dbname={conn.url}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **conn.env},
    )
    if session.stdin is None or session.stdout is None:  # pragma: no cover - PIPEs requested
        raise BackupError("psql session without pipes")
    session.stdin.write(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();\n"
    )
    session.stdin.flush()
    snapshot_id = session.stdout.readline().strip()
    if not snapshot_id:
        session.kill()
        raise BackupError(f"cannot open a snapshot on {conn.database}", "check the database URL")
    try:
        yield snapshot_id
    finally:
        session.communicate("COMMIT;\n", timeout=60)


def drill(options: DrillOptions) -> DrillReport:
    """Backup → restore into a fresh instance → compare fingerprints → measured RTO."""
    tools, source = options.backup.tools, options.backup.source
    began = time.monotonic()
    with exported_snapshot(tools, source) as snapshot:
        made = backup(options.backup, snapshot)
        backup_seconds = time.monotonic() - began
        expected = fingerprint(tools, source, snapshot)
    progress = Progress("restore drill: fresh instance")
    with _fresh_server(options, tools) as admin:
        target = admin.with_database(f"drill_{new_stamp().lower()}")
        with progress.step(f"creating the empty database {target.database}"):
            tools.psql(admin, f'CREATE DATABASE "{target.database}"')
        restore_began = time.monotonic()
        restore(
            made.path(DUMP_SUFFIX), target, options.identity_file, tools, yes=True, no_owner=True
        )
        with progress.step("comparing row counts and per-table checksums"):
            actual = fingerprint(tools, target)
            problems = differences(expected, actual)
            if problems:
                raise BackupError(
                    "restore drill FAILED, the restored data differs:\n  " + "\n  ".join(problems),
                    "keep this backup for analysis; check pg_restore's output",
                )
        rto = time.monotonic() - restore_began
        if options.target_admin is not None:
            tools.psql(admin, f'DROP DATABASE "{target.database}"')
    tables = [f for f in expected.values() if f.name.startswith("table ")]
    report = DrillReport(
        backup_seconds=backup_seconds,
        rto_seconds=rto,
        tables=len(tables),
        rows=sum(int(f.rows) for f in tables),
        dump_bytes=made.path(DUMP_SUFFIX).stat().st_size,
    )
    for item in sorted(expected.values(), key=lambda f: f.name):
        print(f"    {item.name:<48} rows {item.rows:>8}  {item.checksum[:12]}  identical")
    print(
        f"==> drill passed: {report.tables} tables, {report.rows} rows identical; backup "
        f"{report.backup_seconds:.2f} s; measured RTO {report.rto_seconds:.2f} s "
        f"(decrypt + pg_restore + verification of a {report.dump_bytes} byte backup)",
        flush=True,
    )
    export(
        options.backup.metrics,
        "postgres",
        {
            "homecare_backup_drill_rto_seconds": report.rto_seconds,
            "homecare_backup_drill_success_timestamp_seconds": time.time(),
        },
    )
    return report


@contextmanager
def _fresh_server(options: DrillOptions, tools: PgTools) -> Iterator[Connection]:
    if options.target_admin is not None:
        yield options.target_admin
        return
    with ScratchPostgres(tools, options.run_as) as admin:
        yield admin
