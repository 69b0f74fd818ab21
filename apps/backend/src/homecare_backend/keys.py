"""Column-encryption key upkeep: `python -m homecare_backend.keys [status|rewrap]`.

`status` counts the stored tokens of every encrypted column by the KEK that wraps their data
key. `rewrap` re-wraps every token not under the current KEK (the first of
`HOMECARE_ENCRYPTION_KEKS`), in batches, while the API and worker keep running: readers decrypt
old and new tokens alike, and an update only replaces the token it read (a value rewritten in
the meantime is already under the current KEK). Rotation: put the new KEK first and keep the old
one listed, roll out, `rewrap`, check `status` shows no token under the old KEK, then drop it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend import encryption
from homecare_backend.config import get_data_settings
from homecare_backend.db import create_engine

BATCH = 500


def encrypted_columns() -> Iterator[tuple[str, str, str]]:
    """(table, column, context) of every column with an encrypted type."""
    from homecare_backend.models import Base  # noqa: PLC0415 - every model, loaded on use

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, encryption.EncryptedText | encryption.EncryptedList):
                yield table.name, column.name, column.type.context


async def status(engine: AsyncEngine) -> dict[str, dict[str, int]]:
    """`{"table.column": {kek id: tokens}}`."""
    found: dict[str, dict[str, int]] = {}
    async with engine.connect() as conn:
        for table, column, _ in encrypted_columns():
            rows = await conn.execute(
                text(
                    f"SELECT split_part({column}, '.', 2), count(*) FROM {table} "  # noqa: S608
                    f"WHERE {column} <> '' GROUP BY 1 ORDER BY 1"
                )
            )
            found[f"{table}.{column}"] = {kek: int(n) for kek, n in rows.all()}
    return found


async def rewrap_all(engine: AsyncEngine, keyring: encryption.Keyring, batch: int = BATCH) -> int:
    """Re-wrap every token not under `keyring.current`; returns how many were rewritten."""
    rewritten = 0
    for table, column, context in encrypted_columns():
        while True:
            async with engine.begin() as conn:
                rows = (
                    await conn.execute(
                        text(
                            f"SELECT id, {column} FROM {table} WHERE {column} <> '' "  # noqa: S608
                            f"AND split_part({column}, '.', 2) <> :current LIMIT :batch "
                            "FOR UPDATE SKIP LOCKED"
                        ),
                        {"current": keyring.current, "batch": batch},
                    )
                ).all()
                for row_id, token in rows:
                    result = await conn.execute(
                        text(
                            f"UPDATE {table} SET {column} = :new "  # noqa: S608
                            f"WHERE id = :id AND {column} = :old"
                        ),
                        {
                            "new": encryption.rewrap(keyring, token, context),
                            "id": row_id,
                            "old": token,
                        },
                    )
                    rewritten += result.rowcount
            if len(rows) < batch:
                break
    return rewritten


async def _run(action: str) -> int:
    settings = get_data_settings()
    keyring = settings.keyring()
    engine = create_engine(settings.database_url)
    try:
        if action == "rewrap":
            count = await rewrap_all(engine, keyring)
            print(json.dumps({"rewrapped": count, "current_kek": keyring.current}))
        report = await status(engine)
        print(json.dumps({"current_kek": keyring.current, "tokens": report}, indent=2))
        stale = sorted({k for kinds in report.values() for k in kinds} - {keyring.current})
        if stale:
            print(f"tokens still under {', '.join(stale)}: run `rewrap` before dropping them")
    finally:
        await engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="homecare-backend-keys", description=__doc__)
    parser.add_argument("action", choices=["status", "rewrap"], nargs="?", default="status")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.action))


if __name__ == "__main__":
    sys.exit(main())
