"""Readiness: the database answers and its schema is at the Alembic revision this code expects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

DB_CHECK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    checks: dict[str, str]


async def _schema_revision(engine: AsyncEngine) -> list[Row[Any]]:
    """The alembic_version rows, or none when the schema was never migrated."""
    async with asyncio.timeout(DB_CHECK_TIMEOUT_S), engine.connect() as conn:
        migrated = (await conn.execute(text("SELECT to_regclass('alembic_version')"))).scalar()
        if not migrated:
            return []
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).all())


async def check_database(
    engine: AsyncEngine, expected_revision: Callable[[], str | None]
) -> Readiness:
    """`expected_revision()` returns the head the code was built for, or None to accept any."""
    try:
        try:
            rows = await _schema_revision(engine)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # A pooled connection had died (the database restarted): the pool is invalidated
            # now, so one more try answers for the database as it is, not for the dead socket.
            rows = await _schema_revision(engine)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        reason = f"database unreachable: {type(exc).__name__}"
        return Readiness(False, reason, {"database": "down"})
    current = rows[0][0] if rows else None
    expected = expected_revision()
    if current is None:
        return Readiness(False, "database has no schema (run migrations)", {"database": "up"})
    if expected is not None and current != expected:
        return Readiness(
            False,
            f"schema at revision {current}, code expects {expected} (run migrations)",
            {"database": "up", "schema": "behind"},
        )
    return Readiness(True, "ok", {"database": "up", "schema": current})
