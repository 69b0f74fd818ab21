"""Write events into the outbox inside the caller's transaction (delivered after commit).

The outbox table's triggers (migration 0011) NOTIFY on every INSERT: `homecare_outbox` wakes the
dispatcher, and `homecare_caregiver_changed` tells the matching index which caregiver to reload
for each `caregiver.changed` row. NOTIFY is transactional: both only if the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.notifications.models import OutboxEvent

OUTBOX_CHANNEL = "homecare_outbox"
EVENTS_CHANNEL = "homecare_events"
CAREGIVER_CHANGED_CHANNEL = "homecare_caregiver_changed"


async def enqueue_many(
    session: AsyncSession, events: Iterable[tuple[uuid.UUID | None, str, dict[str, Any]]]
) -> int:
    """Add (user_id, topic, payload) events; user_id None marks a system event (no feed).
    One multi-row INSERT; the table's triggers send the NOTIFYs."""
    rows = [{"user_id": u, "topic": t, "payload": p} for u, t, p in events]
    if not rows:
        return 0
    # One multi-row VALUES statement (the ORM's executemany form took one per key shape).
    await session.execute(insert(OutboxEvent).values(rows))
    return len(rows)


async def notify_user(
    session: AsyncSession, user_id: uuid.UUID, kind: str, payload: dict[str, Any]
) -> None:
    await enqueue_many(session, [(user_id, kind, payload)])


def caregiver_changed_event(
    caregiver_id: uuid.UUID, reason: str
) -> tuple[None, str, dict[str, Any]]:
    """The system event recording a change to a caregiver (for `enqueue_many`)."""
    return (None, "caregiver.changed", {"caregiver_id": str(caregiver_id), "reason": reason})


async def caregiver_changed(session: AsyncSession, caregiver_id: uuid.UUID, reason: str) -> None:
    """Record a change to a caregiver's profile, availability or bookings (same transaction)."""
    await enqueue_many(session, [caregiver_changed_event(caregiver_id, reason)])
