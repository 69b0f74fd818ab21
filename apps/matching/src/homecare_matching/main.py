"""The matching ASGI app, built by a factory: `uvicorn --factory homecare_matching.main:create_app`.

Nothing is created at import time: settings, engine, index and feed exist once the factory runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from homecare_matching import __version__, metrics
from homecare_matching.api import router
from homecare_matching.config import Settings, get_settings
from homecare_matching.index import CandidateIndex
from homecare_matching.loader import IndexFeed
from homecare_shared.logging import configure_logging
from homecare_shared.readiness import Readiness, check_database
from homecare_shared.service import create_service_app


def _any_migrated_revision() -> None:
    # The backend owns migrations; matching only needs the schema to exist.
    return None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("matching", settings.log_level, settings.log_json)
    engine = create_async_engine(
        settings.database_url,
        pool_pre_ping=True,
        execution_options={"postgresql_readonly": True},
    )
    index = CandidateIndex()
    feed = IndexFeed(
        index,
        settings.database_url,
        resync_seconds=settings.index_resync_seconds,
        retry_seconds=settings.index_retry_seconds,
    )

    async def readiness() -> Readiness:
        state = await check_database(engine, _any_migrated_revision)
        if state.ready and not index.loaded:
            reason = "candidate index not loaded yet"
            if feed.last_error:
                reason += f" (last error: {feed.last_error})"
            return Readiness(False, reason, {**state.checks, "index": "loading"})
        if state.ready:
            return Readiness(True, "ok", {**state.checks, "index": f"{len(index)} caregivers"})
        return state

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(feed.run(stop))
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 10)
            await engine.dispose()

    app = create_service_app(
        title="Homecare Matching",
        version=__version__,
        description=(
            "Ranks caregivers for a care request (`POST /v1/match`) and assigns many open "
            "requests at once (`POST /v1/assign`). Errors are application/problem+json."
        ),
        readiness=readiness,
    )
    app.router.lifespan_context = lifespan
    metrics.register(app.state.metrics_registry)
    app.include_router(router)
    app.state.settings = settings
    app.state.engine = engine
    app.state.index = index
    app.state.feed = feed
    return app
