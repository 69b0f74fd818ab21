"""Drill: WAL-archiving PostgreSQL → base backup → more commits → point-in-time recovery to a
moment between two commits → the recovered server has the first and not the second."""

from __future__ import annotations

import io
import os
import pwd
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from drill_support import AgeKeys, CliRunner

from homecare_backups.errors import BackupError
from homecare_backups.pg_scratch import free_port
from homecare_backups.pitr import _safe_extract
from homecare_devtools.pg import BIN_DIR, SERVICE_USER, EmbeddedPostgres

AS_ROOT = os.geteuid() == 0
URL_ENV = "HOMECARE_PITR_DATABASE_URL"


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory the (unprivileged) PostgreSQL user can use: /tmp/homecare-pitr-*."""
    root = Path(tempfile.mkdtemp(prefix="homecare-pitr-"))
    (root / "wal-archive").mkdir()
    if AS_ROOT:
        entry = pwd.getpwnam(SERVICE_USER)
        for path in (root, root / "wal-archive"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def wait_until(check: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_point_in_time_recovery_stops_between_two_commits(
    workdir: Path,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    monkeypatch: pytest.MonkeyPatch,
    embedded_pg: EmbeddedPostgres,
) -> None:
    del embedded_pg  # started first: it sets up the service user and binary permissions
    archive = workdir / "wal-archive"
    source = EmbeddedPostgres(
        workdir / "source",
        free_port(),
        settings={
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'cp %p {archive}/%f'",
        },
    )
    source.start()
    restored = EmbeddedPostgres(workdir / "restored", free_port())
    try:
        source.psql(
            "CREATE TABLE visits (id serial PRIMARY KEY, phase text NOT NULL);"
            "INSERT INTO visits (phase) SELECT 'before-base' FROM generate_series(1, 100)"
        )
        monkeypatch.setenv(URL_ENV, source.url())
        made = run_cli(
            "db",
            "basebackup",
            "--database-url-env",
            URL_ENV,
            "--dest",
            workdir / "backups",
            "--keep-count",
            "3",
            "--keep-days",
            "7",
            "--age-recipients-file",
            age_keys.recipients,
            "--pg-bin",
            BIN_DIR,
        )
        assert made.code == 0, made.err
        base = next((workdir / "backups").glob("pgbase-*.base.tar.gz.age"))

        source.psql("INSERT INTO visits (phase) SELECT 'kept' FROM generate_series(1, 50)")
        target = source.psql(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')'
        ).strip()
        time.sleep(1.1)
        source.psql("INSERT INTO visits (phase) SELECT 'after-target' FROM generate_series(1, 7)")
        segment = source.psql("SELECT pg_walfile_name(pg_switch_wal())").strip()
        wait_until((archive / segment).exists)

        recover = run_cli(
            "db",
            "pitr",
            base,
            "--wal-archive",
            archive,
            "--target-time",
            target,
            "--pgdata",
            workdir / "restored",
            "--identity-file",
            age_keys.identity,
            *(["--owner", SERVICE_USER] if AS_ROOT else []),
        )
        assert recover.code == 0, recover.err
        restored.start(timeout=120)
        wait_until(lambda: restored.psql("SELECT pg_is_in_recovery()").strip() == "f")
        counts = restored.psql("SELECT phase, count(*) FROM visits GROUP BY 1 ORDER BY 1")
        assert counts.split() == ["before-base|100", "kept|50"]
        restored.psql("INSERT INTO visits (phase) VALUES ('writable after promotion')")
    finally:
        restored.stop("immediate")
        source.stop("immediate")


def test_pitr_refuses_a_target_before_the_base_backup(
    run_cli: CliRunner, age_keys: AgeKeys, tmp_path: Path
) -> None:
    fake = tmp_path / "pgbase-20261126T120000Z.base.tar.gz.age"
    fake.write_bytes(b"x")
    result = run_cli(
        "db",
        "pitr",
        fake,
        "--wal-archive",
        tmp_path,
        "--target-time",
        "2026-11-26T11:00:00+00:00",
        "--pgdata",
        tmp_path / "new",
        "--identity-file",
        age_keys.identity,
    )
    assert result.code == 1
    assert "is before the base backup" in result.err
    naive = run_cli(
        "db",
        "pitr",
        fake,
        "--wal-archive",
        tmp_path,
        "--target-time",
        "2026-11-26T13:00:00",
        "--pgdata",
        tmp_path / "new",
        "--identity-file",
        age_keys.identity,
    )
    assert "has no time zone" in naive.err


@pytest.mark.parametrize("has_data_filter", [True, False])
def test_base_backup_unpacking_refuses_paths_outside_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_data_filter: bool
) -> None:
    if not has_data_filter:  # Debian bookworm's Python 3.11.2 has no tarfile filters
        monkeypatch.delattr(tarfile, "data_filter")
    for name, outcome in (
        ("PG_VERSION", "inside"),
        ("../escape", "refused"),
        ("/etc/homecare-evil", "refused-or-inside"),
    ):
        archive_path = tmp_path / f"{abs(hash(name))}.tar"
        with tarfile.open(archive_path, "w") as archive:
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"18"))
        target = tmp_path / f"out-{abs(hash(name))}"
        target.mkdir()
        with tarfile.open(archive_path) as archive:
            try:
                _safe_extract(archive, target)
                refused = False
            except (BackupError, tarfile.FilterError):
                refused = True
        inside = target / name.lstrip("/")
        if outcome == "inside":
            assert inside.read_text() == "18"
        elif outcome == "refused":
            assert refused
        else:  # the data filter strips the leading "/", our own check refuses
            assert refused or inside.read_text() == "18"
    assert not (tmp_path / "escape").exists()
    assert not Path("/etc/homecare-evil").exists()
