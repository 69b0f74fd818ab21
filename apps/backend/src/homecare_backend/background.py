"""The background loops, wired here once for both places that run them.

- the outbox dispatcher (`notifications.dispatcher`): feed rows, SSE NOTIFY, push;
- the dispatch ticker (`dispatch.service.run_ticker`): offer expiry and next waves.

`python -m homecare_backend.worker` runs them in production; the API's lifespan runs them
in-process when `HOMECARE_INLINE_DISPATCHER` (the default in `dev`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.config import Settings
from homecare_backend.db import session_factory
from homecare_backend.dispatch import candidates
from homecare_backend.dispatch import service as dispatch_service
from homecare_backend.notifications.dispatcher import Dispatcher
from homecare_backend.notifications.wiring import build_pushers
from homecare_shared.http import service_client

STOP_TIMEOUT_S = 10.0


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

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return [self.delivery, self.ticker]


@contextlib.asynccontextmanager
async def running_loops(
    *,
    engine: AsyncEngine,
    settings: Settings,
    http: httpx.AsyncClient,
    dispatch: dispatch_service.DispatchService,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[Loops]:
    """Start both loops; on exit set `stop` and wait for each to finish its step in flight."""
    stop = stop or asyncio.Event()
    dispatcher = Dispatcher(engine, settings.database_url, build_pushers(settings, http))
    loops = Loops(
        delivery=asyncio.create_task(dispatcher.run(stop), name="outbox-dispatcher"),
        ticker=asyncio.create_task(
            dispatch_service.run_ticker(dispatch, session_factory(engine), stop),
            name="dispatch-ticker",
        ),
    )
    try:
        yield loops
    finally:
        stop.set()
        for task in loops.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, STOP_TIMEOUT_S)
