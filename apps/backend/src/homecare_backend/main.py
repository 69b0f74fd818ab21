"""The backend ASGI app: `uvicorn homecare_backend.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from homecare_backend import __version__
from homecare_backend.config import Settings, get_settings
from homecare_backend.db import create_engine, session_factory
from homecare_backend.migrate import head_revision
from homecare_shared.logging import configure_logging
from homecare_shared.readiness import Readiness, check_database
from homecare_shared.service import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("backend", settings.log_level, settings.log_json)
    engine = create_engine(settings.database_url)

    async def readiness() -> Readiness:
        return await check_database(engine, head_revision)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = create_service_app(
        title="Homecare API",
        version=__version__,
        description="Families book vetted caregivers (요양보호사); caregivers manage their work.",
        readiness=readiness,
    )
    app.router.lifespan_context = lifespan
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    return app


app = create_app()
