"""The background loops, wired here once for both places that run them.

- the outbox dispatcher (`notifications.dispatcher`): feed rows, SSE NOTIFY, push;
- the dispatch ticker (`dispatch.service.run_ticker`): offer expiry and next waves;
- upkeep (`run_upkeep`): recurring series extended to the rolling horizon, payments whose
  confirm went unanswered reconciled, refunds still due sent, old Idempotency-Keys purged.

`python -m homecare_backend.worker` runs them in production; the API's lifespan runs them
in-process when `HOMECARE_INLINE_DISPATCHER` (the default in `dev`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from homecare_backend import idempotency
from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.cancellation import SEOUL
from homecare_backend.config import Settings
from homecare_backend.db import session_factory
from homecare_backend.dispatch import candidates
from homecare_backend.dispatch import service as dispatch_service
from homecare_backend.notifications.dispatcher import Dispatcher
from homecare_backend.notifications.wiring import build_pushers
from homecare_backend.payments import service as payments_service
from homecare_backend.payments.provider import PaymentProvider
from homecare_backend.payments.wiring import build_provider
from homecare_shared.http import service_client
from homecare_shared.logging import get_logger

STOP_TIMEOUT_S = 10.0
UPKEEP_INTERVAL_S = 30.0
log = get_logger("homecare.background")


async def upkeep_once(
    sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider
) -> None:
    today = datetime.now(SEOUL).date()
    created = await bookings_service.materialise_due(sessions, today)
    settled = await payments_service.reconcile_stale(sessions, provider)
    refunded = await payments_service.send_due_refunds(sessions, provider)
    async with sessions() as session:
        purged = await idempotency.purge(session)
    if created or settled or refunded or purged:
        log.info("upkeep", visits=created, reconciled=settled, refunds=refunded, keys=purged)


async def run_upkeep(
    sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await upkeep_once(sessions, provider)
        except Exception:  # a failed pass is logged; the next one retries
            log.exception("upkeep_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), UPKEEP_INTERVAL_S)


def matching_client(settings: Settings) -> httpx.AsyncClient:
    """The client for the matching service (forwards `X-Request-ID`; close it when done)."""
    return service_client(settings.matching_url, timeout_s=5.0)


def build_dispatch(matching: httpx.AsyncClient) -> dispatch_service.DispatchService:
    """The dispatch steps, ranking candidates with the matching service behind `matching`."""
    return dispatch_service.DispatchService(candidates.matching_candidates(matching))


@dataclass(frozen=True)
class Loops:
    delivery: asyncio.Task[None]
    ticker: asyncio.Task[None]
    upkeep: asyncio.Task[None]

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return [self.delivery, self.ticker, self.upkeep]


@contextlib.asynccontextmanager
async def running_loops(
    *,
    engine: AsyncEngine,
    settings: Settings,
    http: httpx.AsyncClient,
    dispatch: dispatch_service.DispatchService,
    stop: asyncio.Event | None = None,
    payment_provider: PaymentProvider | None = None,
) -> AsyncIterator[Loops]:
    """Start the loops; on exit set `stop` and wait for each to finish its step in flight.
    `payment_provider`: the API's own in inline mode; otherwise one is built from settings."""
    stop = stop or asyncio.Event()
    own_provider = payment_provider is None
    provider = payment_provider or build_provider(settings)
    dispatcher = Dispatcher(engine, settings.database_url, build_pushers(settings, http))
    loops = Loops(
        delivery=asyncio.create_task(dispatcher.run(stop), name="outbox-dispatcher"),
        ticker=asyncio.create_task(
            dispatch_service.run_ticker(dispatch, session_factory(engine), stop),
            name="dispatch-ticker",
        ),
        upkeep=asyncio.create_task(
            run_upkeep(session_factory(engine), provider, stop), name="upkeep"
        ),
    )
    try:
        yield loops
    finally:
        stop.set()
        for task in loops.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, STOP_TIMEOUT_S)
        if own_provider:
            await provider.aclose()
