"""Keeps the candidate index in step with the backend's database (read-only connection).

Order matters: LISTEN on `homecare_caregiver_changed` first, then the full load, so a change
committed during the load is still replayed. Each notification (payload = caregiver profile id)
reloads that caregiver; a periodic full resync is the safety net for anything missed, and the
feed does one after every reconnect. Rows are read straight from the backend's tables; the
column contract is in apps/backend/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from homecare_matching.grid import SpatialGrid
from homecare_matching.index import CandidateIndex
from homecare_matching.model import Busy, Caregiver, WeeklySlot
from homecare_matching.timegrid import KST
from homecare_shared.logging import get_logger
from homecare_shared.vocabulary import Gender, Language, Skill

CHANNEL = "homecare_caregiver_changed"
YIELD_EVERY = 2000
log = get_logger("homecare.matching.feed")

_PROFILES = """
SELECT id::text, latitude, longitude, service_radius_km, skills, languages, gender,
       rating_avg, rating_count, hourly_rate_krw
FROM caregiver_profiles WHERE verification_status = 'verified' {only}"""
_SLOTS = """
SELECT caregiver_id::text, weekday, start_time, end_time FROM caregiver_weekly_slots {where}"""
_DAYS_OFF = """
SELECT caregiver_id::text, day FROM caregiver_days_off WHERE day >= $1::date {only}"""
_BOOKINGS = """
SELECT caregiver_id::text, start_at, end_at FROM bookings
WHERE caregiver_id IS NOT NULL AND status IN ('requested', 'offered', 'confirmed', 'in_progress')
  AND end_at > now() {only}"""


def asyncpg_dsn(url: str) -> str:
    """`postgresql+asyncpg://…` (SQLAlchemy style) as a plain libpq URL for asyncpg."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _known(values: list[str], vocabulary: type[Skill] | type[Language]) -> frozenset[Any]:
    allowed = {v.value for v in vocabulary}
    return frozenset(vocabulary(v) for v in values if v in allowed)


async def fetch_caregivers(conn: asyncpg.Connection, only: str | None = None) -> list[Caregiver]:
    """Verified caregivers (all, or the one with id `only`) with availability and bookings."""
    yesterday = datetime.now(KST).date() - timedelta(days=1)
    args: list[Any] = [only] if only else []
    profiles = await conn.fetch(_PROFILES.format(only="AND id = $1::uuid" if only else ""), *args)
    slots: dict[str, list[WeeklySlot]] = defaultdict(list)
    for r in await conn.fetch(
        _SLOTS.format(where="WHERE caregiver_id = $1::uuid" if only else ""), *args
    ):
        slots[r[0]].append(WeeklySlot(r[1], r[2], r[3]))
    days_off: dict[str, set[date]] = defaultdict(set)
    for r in await conn.fetch(
        _DAYS_OFF.format(only="AND caregiver_id = $2::uuid" if only else ""), yesterday, *args
    ):
        days_off[r[0]].add(r[1])
    busy: dict[str, list[Busy]] = defaultdict(list)
    for r in await conn.fetch(
        _BOOKINGS.format(only="AND caregiver_id = $1::uuid" if only else ""), *args
    ):
        busy[r[0]].append(Busy(r[1], r[2]))
    result = []
    for i, p in enumerate(profiles):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # a full load must not stall queries on the event loop
        result.append(
            Caregiver(
                id=p[0],
                latitude=p[1],
                longitude=p[2],
                service_radius_km=p[3],
                skills=_known(list(p[4] or []), Skill),
                languages=_known(list(p[5] or []), Language),
                gender=Gender(p[6]),
                rating_avg=p[7],
                rating_count=p[8],
                hourly_rate_krw=p[9],
                load=len(busy[p[0]]),
                slots=tuple(slots[p[0]]),
                days_off=frozenset(days_off[p[0]]),
                busy=tuple(busy[p[0]]),
            )
        )
    return result


class IndexFeed:
    """Loads the index, applies change notifications, resyncs periodically, reconnects."""

    def __init__(
        self,
        index: CandidateIndex,
        database_url: str,
        resync_seconds: float = 300.0,
        retry_seconds: float = 1.0,
    ) -> None:
        self.index = index
        self.dsn = asyncpg_dsn(database_url)
        self.resync_seconds = resync_seconds
        self.retry_seconds = retry_seconds
        self.last_error: str | None = None
        self.loaded_at: float | None = None
        self.applied_changes = 0
        self._pending: asyncio.Queue[str] = asyncio.Queue()
        self._known: dict[str, Caregiver] = {}  # what the index holds, to apply only changes
        self._lost = asyncio.Event()

    async def _connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.dsn,
            timeout=5,
            server_settings={
                "default_transaction_read_only": "on",
                "application_name": "homecare-matching",
            },
        )
        return conn

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._pending.put_nowait(str(uuid.UUID(payload.strip())))
        except ValueError:
            log.warning("ignored_change_event", payload=payload[:100])

    def _on_lost(self, _conn: Any) -> None:
        self._lost.set()

    async def full_resync(self, conn: asyncpg.Connection) -> None:
        started = time.perf_counter()
        caregivers = await fetch_caregivers(conn)
        if not self.index.loaded:
            # Spatially sorted rows keep the index's column reads cache-friendly.
            caregivers.sort(key=lambda c: (round(c.latitude, 2), c.longitude))
        # Apply only what differs, yielding now and then, so queries keep being answered.
        seen = set()
        for i, cg in enumerate(caregivers):
            seen.add(cg.id)
            if self._known.get(cg.id) != cg:
                self.index.upsert(cg)
                self._known[cg.id] = cg
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
        for gone in set(self._known) - seen:
            self.index.remove(gone)
            del self._known[gone]
        await self._refresh_grid()
        # The index holds ~10^6 long-lived objects; freezing them keeps full GC passes (and
        # their pauses in query latency) from rescanning them.
        gc.collect()
        gc.freeze()
        self.index.loaded = True
        self.loaded_at = time.time()
        log.info(
            "index_resynced",
            caregivers=len(self.index),
            ms=round((time.perf_counter() - started) * 1000),
        )

    async def _refresh_grid(self) -> None:
        lat, lon, as_of = self.index.grid_snapshot()
        grid = await asyncio.to_thread(SpatialGrid, lat, lon)
        self.index.install_grid(grid, as_of)

    async def reload(self, conn: asyncpg.Connection, caregiver_id: str) -> None:
        found = await fetch_caregivers(conn, caregiver_id)
        if found:
            self.index.upsert(found[0])
            self._known[caregiver_id] = found[0]
        else:  # deleted, or no longer verified
            self.index.remove(caregiver_id)
            self._known.pop(caregiver_id, None)
        self.applied_changes += 1

    async def _session(self) -> None:
        """One connection's life: listen, load, then apply changes until it drops."""
        conn = await self._connect()
        self._lost.clear()
        try:
            conn.add_termination_listener(self._on_lost)
            await conn.add_listener(CHANNEL, self._on_notify)
            while not self._pending.empty():  # a full load covers whatever was queued
                self._pending.get_nowait()
            await self.full_resync(conn)
            self.last_error = None
            next_resync = time.monotonic() + self.resync_seconds
            while not self._lost.is_set():
                timeout = max(0.0, next_resync - time.monotonic())
                try:
                    caregiver_id = await asyncio.wait_for(self._pending.get(), min(timeout, 1.0))
                except TimeoutError:
                    if conn.is_closed():
                        break
                    if time.monotonic() >= next_resync:
                        await self.full_resync(conn)
                        next_resync = time.monotonic() + self.resync_seconds
                    continue
                ids = {caregiver_id}
                while not self._pending.empty():
                    ids.add(self._pending.get_nowait())
                for one in ids:
                    await self.reload(conn, one)
                if self.index.grid_is_stale():
                    await self._refresh_grid()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def run(self, stop: asyncio.Event) -> None:
        stopper = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                session = asyncio.create_task(self._session())
                await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if not session.done():
                    session.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await session
                    return
                error = session.exception()
                self.last_error = (
                    "database connection lost"
                    if error is None
                    else f"{type(error).__name__}: {error}"
                )
                log.warning("index_feed_error", error=self.last_error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(stopper), self.retry_seconds)
        finally:
            stopper.cancel()
