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
ROW_QUERY = (
    "SELECT count(*) AS c, coalesce(md5(string_agg(md5(t::text), '','' "
    "ORDER BY md5(t::text))), ''-'') AS h FROM %I.%I t"
)
# Constant text; table names are quoted by format(%I) inside the database.
FINGERPRINT_SQL = """
SELECT 'table ' || n.nspname || '.' || c.relname,
       (xpath('/row/c/text()', x))[1]::text,
       (xpath('/row/h/text()', x))[1]::text
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL query_to_xml(format('ROW_QUERY', n.nspname, c.relname), false, true, '') x
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL
SELECT 'sequence ' || schemaname || '.' || sequencename, coalesce(last_value::text, 'unused'), '-'
FROM pg_sequences
ORDER BY 1;
""".replace("ROW_QUERY", ROW_QUERY)


@dataclass(frozen=True)
class TableFingerprint:
    name: str
    rows: str
    checksum: str


def fingerprint_sql(snapshot: str | None = None) -> str:
    """The full script; with `snapshot`, it reads the data as of an exported snapshot."""
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
    if snapshot:
        begin += f" SET TRANSACTION SNAPSHOT '{snapshot}';"
    return f"{begin} {SESSION_SETTINGS} {FINGERPRINT_SQL} COMMIT;"


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
    return parse(tools.psql(conn, fingerprint_sql(snapshot)))


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
