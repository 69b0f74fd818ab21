"""Our own `Idempotency-Key` semantics for POSTs that create or charge something.

Per user and operation (`scope`, e.g. `POST /v1/payments/{id}/confirm`):
- first request with a key: claimed (committed at once), then run;
- same key, same body, finished: the stored response is replayed (same status and body);
- same key, different body: 422 `idempotency_key_reused`;
- same key while the first is still running: 409 `idempotency_request_in_progress`;
- a run that fails releases the key, so a corrected retry runs again; only successes are kept.
A claim left by a crashed process is taken over after `STALE_AFTER`. Keys are kept ≥ 24 h.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base
from homecare_shared.errors import ProblemError


class IdempotencyKey(Base):
    """One client's `Idempotency-Key` for one operation: the request's hash and, once it
    succeeded, the response to replay. Rows are kept at least 24 h (the worker purges older)."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


KEEP_FOR = timedelta(hours=48)
STALE_AFTER = timedelta(seconds=60)

IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe key (printable ASCII, ≤ 255): the same key and body replay the "
        "first response; another body with the key is refused (422); kept ≥ 24 h.",
    ),
]


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


Action = Callable[[], Awaitable[tuple[int, Any]]]


async def _claim(
    session: AsyncSession, user_id: uuid.UUID, scope: str, key: str, digest: str
) -> tuple[int, Any] | None:
    """Claim the key (committed), or return the stored response to replay."""
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(user_id=user_id, scope=scope, key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if inserted.scalar_one_or_none() is not None:
        await session.commit()
        return None
    row = (
        await session.execute(
            select(IdempotencyKey)
            .where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.scope == scope,
                IdempotencyKey.key == key,
            )
            .with_for_update()
        )
    ).scalar_one()
    if row.request_hash != digest:
        await session.rollback()
        raise ProblemError(
            422,
            "idempotency_key_reused",
            "Idempotency-Key already used for another request",
            "Use a new Idempotency-Key for a request with a different body.",
        )
    if row.response_status is not None:
        replay = (row.response_status, row.response_body)
        await session.rollback()
        return replay
    if row.locked_at > datetime.now(UTC) - STALE_AFTER:
        await session.rollback()
        raise ProblemError(
            409,
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still running",
            "Retry shortly with the same key to get its result.",
            headers={"Retry-After": "1"},
        )
    row.locked_at = datetime.now(UTC)  # take over a claim its process never finished
    await session.commit()
    return None


async def run(
    session: AsyncSession,
    user_id: uuid.UUID,
    key: str | None,
    scope: str,
    payload: Any,
    action: Action,
) -> tuple[int, Any]:
    """Run `action` (which commits its own work) at most once per key; returns status, body."""
    if key is None:
        return await action()
    where = (
        IdempotencyKey.user_id == user_id,
        IdempotencyKey.scope == scope,
        IdempotencyKey.key == key,
    )
    replay = await _claim(session, user_id, scope, key, request_hash(payload))
    if replay is not None:
        return replay
    try:
        status, body = await action()
    except BaseException:
        await session.rollback()
        await session.execute(delete(IdempotencyKey).where(*where))
        await session.commit()
        raise
    await session.execute(
        update(IdempotencyKey).where(*where).values(response_status=status, response_body=body)
    )
    await session.commit()
    return status, body


async def purge(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete keys older than `KEEP_FOR` (the worker calls this)."""
    cutoff = (now or datetime.now(UTC)) - KEEP_FOR
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
