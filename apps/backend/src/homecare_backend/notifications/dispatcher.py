"""The outbox dispatcher: moves committed outbox rows to the feed, NOTIFYs the SSE hubs, pushes.

One batch is one transaction: claim pending rows (`FOR UPDATE SKIP LOCKED`, so several
dispatchers never deliver a row twice), write the user's feed rows, `pg_notify` each event and
mark the rows dispatched. Pushes go out after the commit; a push service saying a token is gone
deletes the token. The loop sleeps on LISTEN `homecare_outbox` (woken by every commit that wrote
to the outbox) with a polling fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend import metrics
from homecare_backend.notifications.fcm import FcmClient
from homecare_backend.notifications.hub import asyncpg_dsn
from homecare_backend.notifications.models import DeviceToken
from homecare_backend.notifications.outbox import EVENTS_CHANNEL, OUTBOX_CHANNEL
from homecare_backend.notifications.push import PushMessage, PushResult
from homecare_backend.notifications.webpush import WebPushClient
from homecare_shared.logging import get_logger

log = get_logger("homecare.dispatcher")
# Events over 7500 bytes are announced by id only (PostgreSQL refuses NOTIFY payloads >= 8000 B).
assert EVENTS_CHANNEL == "homecare_events"  # noqa: S101 - the SQL below spells it out

CLAIM_AND_DELIVER = text(
    """
WITH batch AS (
    SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT :limit
    FOR UPDATE SKIP LOCKED
), done AS (
    UPDATE outbox o SET dispatched_at = now() FROM batch WHERE o.id = batch.id
    RETURNING o.id, o.topic, o.user_id, o.payload, o.created_at
), feed AS (
    INSERT INTO notifications (user_id, kind, payload, created_at)
    SELECT user_id, topic, payload, created_at FROM done WHERE user_id IS NOT NULL ORDER BY id
    RETURNING id, user_id, kind, payload
), messages AS (
    SELECT f.id, f.user_id, f.kind, f.payload,
           json_build_object('id', f.id, 'user_id', f.user_id, 'kind', f.kind,
                             'payload', f.payload, 'created_at', now())::text AS full_message
    FROM feed f
)
SELECT (SELECT count(*) FROM done) AS claimed, m.user_id, m.kind, m.payload::text AS payload,
       CASE WHEN m.id IS NOT NULL THEN pg_notify('homecare_events',
           CASE WHEN octet_length(m.full_message) < 7500 THEN m.full_message
           ELSE json_build_object('id', m.id, 'user_id', m.user_id)::text END) END AS notified
FROM (SELECT 1) one LEFT JOIN messages m ON true
ORDER BY m.id
"""
)

TITLES = {
    "booking.status_changed": "예약 상태가 변경되었습니다",
    "caregiver.verification_changed": "자격 확인 결과가 도착했습니다",
    "message.created": "새 메시지가 도착했습니다",
    "review.created": "새 후기가 등록되었습니다",
    "review.replied": "후기에 답글이 달렸습니다",
}


def push_message(kind: str, payload: dict[str, Any]) -> PushMessage:
    status = str(payload.get("status", "") or payload.get("preview", ""))
    return PushMessage(
        title=TITLES.get(kind, "새 알림"),
        body=status or kind,
        data={"kind": kind, **{k: str(v) for k, v in payload.items()}},
    )


@dataclass
class Pushers:
    fcm: FcmClient | None = None
    webpush: WebPushClient | None = None


OUTBOX_LAG = text(
    "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM outbox WHERE dispatched_at IS NULL"
)


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        database_url: str,
        pushers: Pushers | None = None,
        batch_size: int = 5000,
        poll_interval_s: float = 1.0,
        push_concurrency: int = 20,
    ) -> None:
        self.engine = engine
        self.dsn = asyncpg_dsn(database_url)
        self.pushers = pushers or Pushers()
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self._push_slots = asyncio.Semaphore(push_concurrency)
        self._push_tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    async def dispatch_once(self) -> int:
        """Deliver one batch; returns how many outbox rows it claimed."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(CLAIM_AND_DELIVER, {"limit": self.batch_size})).all()
        claimed = int(rows[0].claimed) if rows else 0
        events = [(r.user_id, r.kind, json.loads(r.payload)) for r in rows if r.user_id is not None]
        if events and (self.pushers.fcm or self.pushers.webpush):
            task = asyncio.create_task(self._push_all(events))
            self._push_tasks.add(task)
            task.add_done_callback(self._push_tasks.discard)
        return claimed

    async def drain(self) -> int:
        total = 0
        while claimed := await self.dispatch_once():
            total += claimed
            metrics.OUTBOX_DISPATCHED.inc(claimed)
        async with self.engine.connect() as conn:
            lag = await conn.scalar(OUTBOX_LAG)
        metrics.OUTBOX_LAG.set(float(lag or 0))
        return total

    async def wait_for_pushes(self) -> None:
        if self._push_tasks:
            await asyncio.gather(*self._push_tasks, return_exceptions=True)

    async def _push_all(self, events: Iterable[tuple[uuid.UUID, str, dict[str, Any]]]) -> None:
        by_user: dict[uuid.UUID, list[tuple[str, dict[str, Any]]]] = {}
        for user_id, kind, payload in events:
            by_user.setdefault(user_id, []).append((kind, payload))
        async with self.engine.connect() as conn:
            devices = (
                await conn.execute(
                    select(DeviceToken).where(DeviceToken.user_id.in_(list(by_user)))
                )
            ).all()
        jobs = [
            self._push_one(device, push_message(kind, payload))
            for device in devices
            for kind, payload in by_user[device.user_id]
        ]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        gone = {
            device.id
            for device, result in zip(
                (d for d in devices for _ in by_user[d.user_id]), results, strict=True
            )
            if result is PushResult.GONE
        }
        if gone:
            async with self.engine.begin() as conn:
                await conn.execute(delete(DeviceToken).where(DeviceToken.id.in_(gone)))
            log.info("push_tokens_deleted", count=len(gone))

    async def _push_one(self, device: Any, message: PushMessage) -> PushResult:
        async with self._push_slots:
            if device.platform == "fcm" and self.pushers.fcm is not None:
                return await self.pushers.fcm.send(device.token, message)
            if device.platform == "webpush" and self.pushers.webpush is not None:
                return await self.pushers.webpush.send(
                    device.token, device.p256dh or "", device.auth or "", message
                )
            return PushResult.FAILED

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; finishes the batch in flight and pending pushes."""
        conn: asyncpg.Connection | None = None
        try:
            while not stop.is_set():
                if conn is None or conn.is_closed():
                    conn = await self._listen()
                try:
                    await self.drain()
                except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                    log.warning("dispatch_failed", error=str(exc))
                except Exception:
                    log.exception("dispatch_failed")
                self._wake.clear()
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                await asyncio.wait(
                    waiters, timeout=self.poll_interval_s, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()
            await self.wait_for_pushes()

    async def _listen(self) -> asyncpg.Connection | None:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            conn = await asyncpg.connect(self.dsn)
            await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            return conn
        return None  # the poll interval still drives dispatching until the database is back
