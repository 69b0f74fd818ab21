"""Per-process fan-out of user events to SSE subscribers, fed by PostgreSQL LISTEN/NOTIFY.

Whichever process (API replica or worker) dispatches an event NOTIFYs `homecare_events`; every
replica's hub LISTENs on one dedicated connection and hands the pre-rendered SSE frame to the
local subscribers of that user. No broker: PostgreSQL is the bus.

If the LISTEN connection is lost, every stream is ended: clients reconnect with `Last-Event-ID`
and the feed table replays what they missed. A subscriber that falls too far behind is ended
the same way instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from homecare_backend import metrics
from homecare_backend.notifications.outbox import EVENTS_CHANNEL
from homecare_shared.logging import get_logger

log = get_logger("homecare.events")
QUEUE_LIMIT = 1000


@dataclass(frozen=True)
class Frame:
    id: int
    data: bytes


def render_frame(event: dict[str, Any]) -> Frame:
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return Frame(
        int(event["id"]), f"id: {event['id']}\nevent: {event['kind']}\ndata: {body}\n\n".encode()
    )


@dataclass(eq=False)
class Subscriber:
    user_id: uuid.UUID
    queue: asyncio.Queue[Frame | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )
    closed: bool = False

    def deliver(self, frame: Frame) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            metrics.SSE_DROPPED.inc()
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)
            if self.queue.full():  # make room for the end marker
                self.queue.get_nowait()
                self.queue.put_nowait(None)


def asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class EventHub:
    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._subscribers: dict[uuid.UUID, set[Subscriber]] = {}
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._fetches: set[asyncio.Task[None]] = set()
        self.delivered = 0

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def _ensure_listening(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            conn = await asyncpg.connect(self._dsn)
            conn.add_termination_listener(self._on_lost)
            await conn.add_listener(EVENTS_CHANNEL, self._on_notify)
            self._conn = conn

    async def subscribe(self, user_id: uuid.UUID) -> Subscriber:
        await self._ensure_listening()
        subscriber = Subscriber(user_id)
        self._subscribers.setdefault(user_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        group = self._subscribers.get(subscriber.user_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._subscribers[subscriber.user_id]

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
            user_id = uuid.UUID(event["user_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("bad_event_payload", payload=payload[:200])
            return
        if user_id not in self._subscribers:
            return
        if "kind" in event:
            self._fan_out(user_id, render_frame(event))
        else:  # too large for a NOTIFY payload: read it from the feed
            task = asyncio.create_task(self._fetch_and_fan_out(user_id, int(event["id"])))
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)

    def _fan_out(self, user_id: uuid.UUID, frame: Frame) -> None:
        for subscriber in list(self._subscribers.get(user_id, ())):
            subscriber.deliver(frame)
            self.delivered += 1

    async def _fetch_and_fan_out(self, user_id: uuid.UUID, event_id: int) -> None:
        conn = await asyncpg.connect(self._dsn)
        try:
            row = await conn.fetchrow(
                "SELECT id, user_id::text, kind, payload::text, created_at FROM notifications "
                "WHERE id = $1",
                event_id,
            )
        finally:
            await conn.close()
        if row is not None:
            self._fan_out(user_id, render_frame(feed_event(row)))

    def _on_lost(self, _conn: object) -> None:
        log.warning("event_listener_lost", subscribers=self.subscriber_count)
        self._conn = None
        for group in list(self._subscribers.values()):
            for subscriber in list(group):
                subscriber.close()

    async def close(self) -> None:
        for group in list(self._subscribers.values()):
            for subscriber in list(group):
                subscriber.close()
        if self._conn is not None and not self._conn.is_closed():
            self._conn.remove_termination_listener(self._on_lost)
            await self._conn.close()
        self._conn = None


def feed_event(row: Any) -> dict[str, Any]:
    """The wire shape of one feed row (also what NOTIFY carries)."""
    return {
        "id": row["id"],
        "user_id": str(row["user_id"]),
        "kind": row["kind"],
        "payload": json.loads(row["payload"])
        if isinstance(row["payload"], str)
        else row["payload"],
        "created_at": row["created_at"].isoformat(),
    }
