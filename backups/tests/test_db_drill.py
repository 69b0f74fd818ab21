"""Drill: embedded PostgreSQL with the app schema (Alembic) + generated data → backup → restore
into a fresh instance → identical row counts and per-table checksums; measured RTO."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from drill_support import AgeKeys, CliRunner, metric_values

from homecare_backups.fingerprint import differences, fingerprint
from homecare_backups.pg import PgTools, parse_url
from homecare_devtools.pg import BIN_DIR, SERVICE_USER, EmbeddedPostgres

URL_ENV = "HOMECARE_DRILL_DATABASE_URL"
RUN_AS = ["--run-as", SERVICE_USER] if os.geteuid() == 0 else []

# The app schema comes from the backend's own migrations and demo seed (the commands `make up`
# runs, so they follow schema changes). Volume and awkward types (jsonb, bytea, numeric,
# intervals, ranges, identity sequences, NULLs, Korean text) come from drill-owned tables in a
# second schema, independent of the app's columns.
GENERATED_DATA = """
CREATE SCHEMA drill;
CREATE TABLE drill.visit_logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_ref uuid NOT NULL,
    checked_in tstzrange NOT NULL,
    duration interval NOT NULL,
    amount_krw numeric(12, 2) NOT NULL,
    evv jsonb NOT NULL,
    signature bytea,
    note text
);
INSERT INTO drill.visit_logs (booking_ref, checked_in, duration, amount_krw, evv, signature, note)
SELECT md5('b' || i)::uuid,
       tstzrange(timestamptz '2026-12-01 09:00+09' + i * interval '3 hours',
                 timestamptz '2026-12-01 11:00+09' + i * interval '3 hours'),
       interval '2 hours' + i * interval '1 minute', 24120.00 * (1 + i % 3) / 7,
       jsonb_build_object('nfc', md5(i::text), 'accuracy_m', i % 50, 'ok', i % 9 <> 0),
       decode(md5(i::text), 'hex'), CASE WHEN i % 5 = 0 THEN NULL ELSE '특이사항 없음 ' || i END
FROM generate_series(1, 5000) AS i;
CREATE TABLE drill.payments (
    id bigserial PRIMARY KEY,
    order_id text NOT NULL UNIQUE,
    amount_krw integer NOT NULL CHECK (amount_krw >= 0),
    status text NOT NULL,
    approved_at timestamptz,
    raw double precision[]
);
INSERT INTO drill.payments (order_id, amount_krw, status, approved_at, raw)
SELECT 'order-' || i, 24120 * (1 + i % 8), (ARRAY['DONE', 'CANCELED', 'WAITING_FOR_DEPOSIT'])[
       1 + i % 3], CASE WHEN i % 3 = 0 THEN timestamptz '2026-11-01 10:00+09' + i * interval '1 s'
       END, ARRAY[i / 3.0, pi() * i]
FROM generate_series(1, 3000) AS i;
"""


def backend(module: str, url: str) -> None:
    env = {**os.environ, "HOMECARE_DATABASE_URL": url}
    args = [sys.executable, "-m", module, *(["upgrade"] if "migrate" in module else [])]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(args[1:])} failed: {done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def source_url(fresh_database: Callable[[], str], embedded_pg: EmbeddedPostgres) -> str:
    """One populated source database per module (the tests only read it)."""
    url = fresh_database()
    backend("homecare_backend.migrate", url)
    backend("homecare_backend.seed", url)
    embedded_pg.psql(GENERATED_DATA, database=parse_url(url).database)
    return url


@pytest.fixture
def source_db(source_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(URL_ENV, source_url)
    return source_url


def common_args(dest: Path, keys: AgeKeys, metrics: Path) -> list[str | Path]:
    return [
        "--dest",
        dest,
        "--keep-count",
        "2",
        "--keep-days",
        "7",
        "--age-recipients-file",
        keys.recipients,
        "--metrics-file",
        metrics,
        "--pg-bin",
        BIN_DIR,
    ]


def test_db_drill_restores_identical_data_and_reports_rto(
    source_db: str, run_cli: CliRunner, age_keys: AgeKeys, tmp_path: Path
) -> None:
    dest, metrics = tmp_path / "backups", tmp_path / "postgres.prom"
    result = run_cli(
        "db",
        "drill",
        "--database-url-env",
        URL_ENV,
        *common_args(dest, age_keys, metrics),
        "--identity-file",
        age_keys.identity,
        *RUN_AS,
    )
    assert result.code == 0, result.err
    source = fingerprint(PgTools(BIN_DIR), parse_url(source_db))
    app_tables = [f for f in source.values() if f.name.startswith("table public.")]
    assert len(app_tables) >= 3, "the backend migrations should have created the app schema"
    assert sum(int(f.rows) for f in app_tables) > 5, "the backend seed should have added rows"
    for item in source.values():  # every table and sequence reported identical
        assert re.search(
            rf"{re.escape(item.name)} +rows +{item.rows} +{item.checksum[:12]} "
            "+identical",
            result.out,
        ), item
    assert "table drill.visit_logs" in source
    assert source["table drill.visit_logs"].rows == "5000"
    assert source["sequence drill.visit_logs_id_seq"].rows == "5000"
    rto = float(re.search(r"measured RTO (\d+\.\d+) s", result.out)[1])  # type: ignore[index]
    assert 0 < rto < 120

    values = metric_values(metrics, "postgres")
    assert values["homecare_backup_drill_rto_seconds"] == pytest.approx(rto, abs=0.006)
    backup_set = sorted(dest.glob("db-*"))
    assert [p.suffix for p in backup_set] == [".age", ".json", ".sha256"]
    assert values["homecare_backup_last_size_bytes"] == sum(p.stat().st_size for p in backup_set)
    assert values["homecare_backup_last_attempt_success"] == 1
    assert values["homecare_backup_last_duration_seconds"] > 0


def test_restore_over_a_changed_database_brings_back_the_backup(
    source_db: str,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    tmp_path: Path,
    embedded_pg: EmbeddedPostgres,
    fresh_database: Callable[[], str],
) -> None:
    dest, metrics = tmp_path / "backups", tmp_path / "postgres.prom"
    assert (
        run_cli(
            "db", "backup", "--database-url-env", URL_ENV, *common_args(dest, age_keys, metrics)
        ).code
        == 0
    )
    dump = next(dest.glob("db-*.dump.age"))
    tools, source = PgTools(BIN_DIR), parse_url(source_db)
    expected = fingerprint(tools, source)

    target_url = fresh_database()
    target = parse_url(target_url)
    restore = [
        "db",
        "restore",
        dump,
        "--database-url",
        target_url,
        "--identity-file",
        age_keys.identity,
        "--pg-bin",
        BIN_DIR,
        "--no-owner",
    ]
    refused = run_cli(*restore)
    assert refused.code == 3
    assert "refusing without --yes" in refused.err
    assert "table public.users" not in fingerprint(tools, target)

    assert run_cli(*restore, "--yes").code == 0
    assert differences(expected, fingerprint(tools, target)) == []

    # The comparison is not blind: one changed row shows up, and a second restore repairs it.
    embedded_pg.psql(
        "UPDATE drill.payments SET status = 'PARTIAL_CANCELED' WHERE order_id = 'order-1'",
        database=target.database,
    )
    changed = differences(expected, fingerprint(tools, target))
    assert len(changed) == 1
    assert changed[0].startswith("table drill.payments: rows 3000 → 3000")
    assert run_cli(*restore, "--yes").code == 0
    assert differences(expected, fingerprint(tools, target)) == []


def test_verify_detects_a_tampered_backup(
    source_db: str, run_cli: CliRunner, age_keys: AgeKeys, tmp_path: Path
) -> None:
    dest = tmp_path / "backups"
    assert (
        run_cli(
            "db",
            "backup",
            "--database-url-env",
            URL_ENV,
            *common_args(dest, age_keys, tmp_path / "m.prom"),
        ).code
        == 0
    )
    dump = next(dest.glob("db-*.dump.age"))
    good = run_cli("db", "verify", dump, "--identity-file", age_keys.identity, "--pg-bin", BIN_DIR)
    assert good.code == 0
    assert "is a good backup" in good.out
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    bad = run_cli("db", "verify", dump, "--pg-bin", BIN_DIR)
    assert bad.code == 1
    assert "checksum mismatch" in bad.err


def test_failed_backup_keeps_previous_backups_and_reports_failure(
    run_cli: CliRunner, age_keys: AgeKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest, metrics = tmp_path / "backups", tmp_path / "m.prom"
    dest.mkdir()
    old = dest / "db-homecare-20260101T000000Z.dump.age"
    old.write_bytes(b"old")
    (dest / "db-homecare-20260101T000000Z.sha256").write_text("")
    monkeypatch.setenv(URL_ENV, "postgresql://nobody:secret@127.0.0.1:1/homecare")
    result = run_cli(
        "db", "backup", "--database-url-env", URL_ENV, *common_args(dest, age_keys, metrics)
    )
    assert result.code == 1
    assert "pg_dump of homecare failed" in result.err
    assert "secret" not in result.err + result.out
    assert sorted(p.name for p in dest.iterdir()) == [
        "db-homecare-20260101T000000Z.dump.age",
        "db-homecare-20260101T000000Z.sha256",
    ]
    assert metric_values(metrics, "postgres")["homecare_backup_last_attempt_success"] == 0


def test_database_urls_keep_the_password_out_of_argv() -> None:
    conn = parse_url("postgresql+asyncpg://app:p%40ss@db.homecare.svc:5432/homecare?ssl=require")
    assert conn.url == "postgresql://app@db.homecare.svc:5432/homecare?sslmode=require"
    assert conn.env == {"PGPASSWORD": "p@ss"}
    assert conn.database == "homecare"


def test_drill_into_an_existing_empty_server_cleans_up(
    source_db: str,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    tmp_path: Path,
    embedded_pg: EmbeddedPostgres,
) -> None:
    databases = "SELECT datname FROM pg_database ORDER BY 1"
    before = embedded_pg.psql(databases)
    result = run_cli(
        "db",
        "drill",
        "--database-url-env",
        URL_ENV,
        *common_args(tmp_path / "b", age_keys, tmp_path / "m.prom"),
        "--identity-file",
        age_keys.identity,
        "--target-admin-url",
        embedded_pg.url("postgres"),
    )
    assert result.code == 0, result.err
    assert "drill passed" in result.out
    assert embedded_pg.psql(databases) == before  # the drill database was dropped
