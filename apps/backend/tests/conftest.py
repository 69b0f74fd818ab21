from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from homecare_backend import migrate
from homecare_backend.config import Settings
from homecare_backend.main import create_app


@pytest.fixture
def migrated_url(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate.upgrade(url)
    return url


@pytest.fixture
async def client(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(env="test", database_url=migrated_url, log_json=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
        yield http
    await app.state.engine.dispose()
