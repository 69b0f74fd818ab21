"""The outbox's triggers (migration 0011) on the real database: a committed INSERT wakes the
dispatcher and names each changed caregiver to the matching index; a rolled-back one says
nothing."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from homecare_backend.notifications import outbox

CHANNELS = (outbox.OUTBOX_CHANNEL, outbox.CAREGIVER_CHANGED_CHANNEL)


class Listener:
    """Collects (channel, payload) notices; `wait(n)` returns once n have arrived."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []
        self._wanted = 0
        self._enough = asyncio.Event()

    def __call__(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        self.heard.append((channel, payload))
        if len(self.heard) >= self._wanted:
            self._enough.set()

    async def wait(self, count: int) -> list[tuple[str, str]]:
        self._wanted = count
        if len(self.heard) < count:
            await asyncio.wait_for(self._enough.wait(), timeout=5)
        await asyncio.sleep(0.2)  # and nothing more arrives
        return self.heard


async def listen(dsn: str) -> tuple[asyncpg.Connection, Listener]:
    listener = Listener()
    conn = await asyncpg.connect(dsn)
    for channel in CHANNELS:
        await conn.add_listener(channel, listener)
    return conn, listener


async def write(engine: AsyncEngine, caregivers: list[uuid.UUID], *, commit: bool) -> None:
    async with AsyncSession(engine) as session:
        events = [outbox.caregiver_changed_event(c, "test") for c in caregivers]
        await outbox.enqueue_many(session, [*events, (None, "test.other", {"n": 1})])
        await (session.commit() if commit else session.rollback())


async def test_a_committed_insert_notifies_the_dispatcher_once_and_each_caregiver(
    engine: AsyncEngine, migrated_url: str
) -> None:
    conn, listener = await listen(migrated_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        first, second = uuid.uuid4(), uuid.uuid4()
        await write(engine, [first, second], commit=True)
        heard = await listener.wait(3)
    finally:
        await conn.close()
    assert sorted(heard) == sorted(
        [
            (outbox.OUTBOX_CHANNEL, ""),
            (outbox.CAREGIVER_CHANGED_CHANNEL, str(first)),
            (outbox.CAREGIVER_CHANGED_CHANNEL, str(second)),
        ]
    )


async def test_a_rolled_back_insert_notifies_nobody(engine: AsyncEngine, migrated_url: str) -> None:
    conn, listener = await listen(migrated_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await write(engine, [uuid.uuid4()], commit=False)
        await write(engine, [], commit=True)  # a later commit's notice proves the listener works
        heard = await listener.wait(1)
    finally:
        await conn.close()
    assert heard == [(outbox.OUTBOX_CHANNEL, "")]
