"""Write events into the outbox inside the caller's transaction (delivered after commit).

The outbox table's triggers (migration 0011) NOTIFY on every INSERT: `homecare_outbox` wakes the
dispatcher, and `homecare_caregiver_changed` tells the matching index which caregiver to reload
for each `caregiver.changed` row. NOTIFY is transactional: both only if the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

OUTBOX_CHANNEL = "homecare_outbox"
EVENTS_CHANNEL = "homecare_events"
CAREGIVER_CHANGED_CHANNEL = "homecare_caregiver_changed"


Event = tuple[uuid.UUID | None, str, dict[str, Any]]

# Every batch of events is one INSERT of three unnested arrays: one SQL text for any number of
# rows, compiled and prepared once (a multi-row VALUES is a new statement per row count), and a
# fragment the booking INSERT folds in as a CTE (bookings.service).
INSERT_EVENTS_SQL = (
    "INSERT INTO outbox (topic, user_id, payload) "
    "SELECT * FROM unnest(:event_topics, :event_user_ids, :event_payloads)"
)
EVENT_BINDS = (
    bindparam("event_topics", type_=ARRAY(String)),
    bindparam("event_user_ids", type_=ARRAY(Uuid)),
    bindparam("event_payloads", type_=ARRAY(JSONB)),
)
_INSERT_EVENTS = text(INSERT_EVENTS_SQL).bindparams(*EVENT_BINDS)


def event_params(events: Iterable[Event]) -> dict[str, list[Any]]:
    """The bind values of `INSERT_EVENTS_SQL` for (user_id, topic, payload) events."""
    rows = list(events)
    return {
        "event_topics": [t for _, t, _ in rows],
        "event_user_ids": [u for u, _, _ in rows],
        "event_payloads": [p for _, _, p in rows],
    }


async def enqueue_many(session: AsyncSession, events: Iterable[Event]) -> int:
    """Add (user_id, topic, payload) events; user_id None marks a system event (no feed).
    One INSERT; the table's triggers send the NOTIFYs."""
    params = event_params(events)
    if not params["event_topics"]:
        return 0
    await session.execute(_INSERT_EVENTS, params)
    return len(params["event_topics"])


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
