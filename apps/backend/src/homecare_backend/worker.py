"""The outbox dispatcher as its own process: `python -m homecare_backend.worker`.

Delivers outbox events to the in-app feed, the SSE hubs (NOTIFY) and push services, and advances
dispatches (offer expiry, next waves). SIGTERM or SIGINT stop it gracefully: the batch in flight
commits and pending pushes finish first.
Several workers may run at once (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx

from homecare_backend.config import get_settings
from homecare_backend.db import create_engine, session_factory
from homecare_backend.dispatch.candidates import matching_candidates
from homecare_backend.dispatch.service import DispatchService, run_ticker
from homecare_backend.notifications.dispatcher import Dispatcher
from homecare_backend.notifications.wiring import build_pushers
from homecare_shared.logging import configure_logging, get_logger

log = get_logger("homecare.worker")


async def run() -> None:
    settings = get_settings()
    configure_logging("backend-worker", settings.log_level, settings.log_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    async with httpx.AsyncClient(timeout=10) as http:
        dispatcher = Dispatcher(engine, settings.database_url, build_pushers(settings, http))
        dispatch = DispatchService(
            session_factory(engine), matching_candidates(http, settings.matching_url)
        )
        ticker = asyncio.create_task(run_ticker(dispatch, stop))  # offer expiry and next waves
        log.info("worker_started", fcm=settings.fcm_enabled, webpush=settings.webpush_enabled)
        try:
            await dispatcher.run(stop)
        finally:
            stop.set()
            await ticker
            await engine.dispose()
    log.info("worker_stopped")


def main() -> int:
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
