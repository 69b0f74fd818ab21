"""Per-table row counts and content checksums (and sequence positions) of a database.

A table's checksum is the md5 over the sorted md5s of its rows' text form, so it does not depend
on physical row order. Session settings pin every text format that could differ between servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from homecare_backups.pg import Connection, PgTools

SESSION_SETTINGS = (
    "SET TIME ZONE 'UTC'; SET datestyle = 'ISO, YMD'; SET intervalstyle = 'postgres'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex';"
)
# Step 1 builds one UNION ALL query over every user table (identifiers quoted by format %I);
# step 2 runs it, plus the sequences, in one read-only transaction.
TABLES_QUERY = """
SELECT string_agg(format(
    'SELECT %L, count(*)::text, coalesce(md5(string_agg(md5(t::text), '','' '
    'ORDER BY md5(t::text))), ''-'') FROM %I.%I t',
    'table ' || n.nspname || '.' || c.relname, n.nspname, c.relname),
  ' UNION ALL ' ORDER BY n.nspname, c.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%';
"""
SEQUENCES_QUERY = (
    "SELECT 'sequence ' || schemaname || '.' || sequencename, "
    "coalesce(last_value::text, 'unused'), '-' FROM pg_sequences"
)


@dataclass(frozen=True)
class TableFingerprint:
    name: str
    rows: str
    checksum: str


def _transaction(body: str, snapshot: str | None) -> str:
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
    if snapshot:
        begin += f" SET TRANSACTION SNAPSHOT '{snapshot}';"
    return f"{begin} {SESSION_SETTINGS} {body} COMMIT;"


def parse(output: str) -> dict[str, TableFingerprint]:
    result = {}
    for line in output.splitlines():
        if line.count("|") != 2:
            continue
        name, rows, checksum = line.split("|")
        result[name] = TableFingerprint(name, rows, checksum)
    return result


def fingerprint(
    tools: PgTools, conn: Connection, snapshot: str | None = None
) -> dict[str, TableFingerprint]:
    """Fingerprints of every table and sequence; with `snapshot`, as of that exported snapshot."""
    tables = tools.psql(conn, _transaction(TABLES_QUERY, snapshot)).strip()
    union = f"{tables} UNION ALL {SEQUENCES_QUERY}" if tables else SEQUENCES_QUERY
    return parse(tools.psql(conn, _transaction(f"{union} ORDER BY 1;", snapshot)))


def differences(
    source: dict[str, TableFingerprint], restored: dict[str, TableFingerprint]
) -> list[str]:
    problems = []
    for name in sorted(set(source) | set(restored)):
        before, after = source.get(name), restored.get(name)
        if before is None or after is None:
            problems.append(f"{name}: only in the {'restored' if before is None else 'source'} db")
        elif before != after:
            problems.append(
                f"{name}: rows {before.rows} → {after.rows}, checksum "
                f"{before.checksum[:12]} → {after.checksum[:12]}"
            )
    return problems
