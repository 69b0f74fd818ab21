"""The backend ASGI app, built by a factory: `uvicorn --factory homecare_backend.main:create_app`.

Nothing is created at import time: settings are read, and the engine, hub and clients made,
when the factory runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from homecare_backend import __version__, background, encryption, metrics
from homecare_backend.agencies.router import router as agencies_router
from homecare_backend.api import malformed_ids_are_not_found
from homecare_backend.auth.router import router as auth_router
from homecare_backend.billing.router import router as billing_router
from homecare_backend.bookings.router import router as bookings_router
from homecare_backend.bookings.router import series_router as booking_series_router
from homecare_backend.caregivers.router import me_router as caregivers_me_router
from homecare_backend.caregivers.router import router as caregivers_router
from homecare_backend.carelog.router import router as carelog_router
from homecare_backend.config import Settings, get_settings
from homecare_backend.db import create_engine, session_factory
from homecare_backend.dispatch.router import router as dispatch_router
from homecare_backend.messages.router import router as messages_router
from homecare_backend.migrate import head_revision
from homecare_backend.notifications.hub import EventHub
from homecare_backend.notifications.router import router as notifications_router
from homecare_backend.payments.router import router as payments_router
from homecare_backend.payments.wiring import build_provider, cancellation_policy
from homecare_backend.recipients.router import invitations_router, sharing_router
from homecare_backend.recipients.router import router as recipients_router
from homecare_backend.requests.matching import http_matcher
from homecare_backend.requests.router import router as requests_router
from homecare_backend.reviews.router import router as reviews_router
from homecare_backend.statements.router import router as statements_router
from homecare_backend.users.router import router as users_router
from homecare_backend.visits.router import router as visits_router
from homecare_shared.logging import configure_logging
from homecare_shared.readiness import Readiness, check_database
from homecare_shared.service import create_service_app

DESCRIPTION = """Families book vetted caregivers (요양보호사); caregivers manage their work.

All routes are under `/v1`. Authenticate with `Authorization: Bearer <access token>` from
`POST /v1/auth/login`. Lists use cursor pagination (`cursor` + `limit`, answer `next_cursor`).
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""

ROUTERS = (
    auth_router,
    users_router,
    caregivers_me_router,
    recipients_router,
    sharing_router,
    invitations_router,
    requests_router,
    caregivers_router,
    agencies_router,
    bookings_router,
    booking_series_router,
    billing_router,
    payments_router,
    notifications_router,
    dispatch_router,
    messages_router,
    reviews_router,
    visits_router,
    carelog_router,
    statements_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("backend", settings.log_level, settings.log_json)
    encryption.configure(settings.keyring())
    # No pre-ping on the request path: it cost 3 of a booking's 13 round trips (db.create_engine).
    engine = create_engine(settings.database_url, pre_ping=False)
    hub = EventHub(settings.database_url)
    # Matching is asked when a dispatch starts (a request), so its client exists without lifespan.
    matching_http = background.matching_client(settings)
    payment_provider = build_provider(settings)

    async def readiness() -> Readiness:
        return await check_database(engine, head_revision)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(engine.dispose)
            stack.push_async_callback(hub.close)
            stack.push_async_callback(matching_http.aclose)
            stack.push_async_callback(payment_provider.aclose)
            if settings.runs_inline_dispatcher:
                http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
                await stack.enter_async_context(
                    background.running_loops(
                        engine=engine,
                        settings=settings,
                        http=http,
                        dispatch=app.state.dispatch,
                        payment_provider=payment_provider,
                    )
                )
            yield

    app = create_service_app(
        title="Homecare API",
        version=__version__,
        description=DESCRIPTION,
        readiness=readiness,
    )
    app.router.lifespan_context = lifespan
    metrics.register(app.state.metrics_registry, hub)
    malformed_ids_are_not_found(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.hub = hub
    app.state.payment_provider = payment_provider
    app.state.cancellation_policy = cancellation_policy(settings)
    app.state.dispatch = background.build_dispatch(matching_http)
    app.state.matcher = http_matcher(matching_http)
    for router in ROUTERS:
        app.include_router(router)
    return app
