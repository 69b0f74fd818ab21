"""The backend ASGI app: `uvicorn homecare_backend.main:app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from homecare_backend import __version__
from homecare_backend.agencies.router import router as agencies_router
from homecare_backend.api import malformed_ids_are_not_found
from homecare_backend.auth.router import me_router
from homecare_backend.auth.router import router as auth_router
from homecare_backend.bookings.router import router as bookings_router
from homecare_backend.caregivers.router import router as caregivers_router
from homecare_backend.config import Settings, get_settings
from homecare_backend.db import create_engine, session_factory
from homecare_backend.dispatch.candidates import matching_candidates
from homecare_backend.dispatch.router import router as dispatch_router
from homecare_backend.dispatch.service import DispatchService, run_ticker
from homecare_backend.migrate import head_revision
from homecare_backend.notifications.dispatcher import Dispatcher
from homecare_backend.notifications.hub import EventHub
from homecare_backend.notifications.router import router as notifications_router
from homecare_backend.notifications.wiring import build_pushers
from homecare_backend.recipients.router import router as recipients_router
from homecare_shared.logging import configure_logging
from homecare_shared.readiness import Readiness, check_database
from homecare_shared.service import create_service_app

DESCRIPTION = """Families book vetted caregivers (요양보호사); caregivers manage their work.

All routes are under `/v1`. Authenticate with `Authorization: Bearer <access token>` from
`POST /v1/auth/login`. Lists use cursor pagination (`cursor` + `limit`, answer `next_cursor`).
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("backend", settings.log_level, settings.log_json)
    engine = create_engine(settings.database_url)
    hub = EventHub(settings.database_url)

    async def readiness() -> Readiness:
        return await check_database(engine, head_revision)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        http = httpx.AsyncClient(timeout=10)
        ticker = None
        if settings.runs_inline_dispatcher:
            dispatcher = Dispatcher(engine, settings.database_url, build_pushers(settings, http))
            task = asyncio.create_task(dispatcher.run(stop))
            ticker = asyncio.create_task(run_ticker(app.state.dispatch, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
            if ticker is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(ticker, 10)
            await matching_http.aclose()
            await hub.close()
            await http.aclose()
            await engine.dispose()

    app = create_service_app(
        title="Homecare API",
        version=__version__,
        description=DESCRIPTION,
        readiness=readiness,
    )
    app.router.lifespan_context = lifespan
    malformed_ids_are_not_found(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.hub = hub
    matching_http = httpx.AsyncClient(timeout=5)
    app.state.dispatch = DispatchService(
        app.state.sessions, matching_candidates(matching_http, settings.matching_url)
    )
    for router in (
        auth_router,
        me_router,
        recipients_router,
        caregivers_router,
        agencies_router,
        bookings_router,
        notifications_router,
        dispatch_router,
    ):
        app.include_router(router)
    return app


app = create_app()
