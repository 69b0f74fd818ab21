"""The matching ASGI app: `uvicorn homecare_matching.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from homecare_matching import __version__
from homecare_matching.config import Settings, get_settings
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

    async def readiness() -> Readiness:
        return await check_database(engine, _any_migrated_revision)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = create_service_app(
        title="Homecare Matching",
        version=__version__,
        description="Ranks caregivers for a care request and assigns open visits in batches.",
        readiness=readiness,
    )
    app.router.lifespan_context = lifespan
    app.state.settings = settings
    app.state.engine = engine
    return app


app = create_app()
