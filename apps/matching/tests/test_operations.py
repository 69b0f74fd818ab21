from __future__ import annotations

from collections.abc import Callable

import httpx

from homecare_backend import migrate
from homecare_devtools.pg import EmbeddedPostgres
from homecare_matching.config import Settings
from homecare_matching.main import create_app


async def test_matching_readiness_follows_the_database(
    fresh_database: Callable[[], str], embedded_pg: EmbeddedPostgres
) -> None:
    url = fresh_database()
    app = create_app(Settings(env="test", database_url=url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as client:
        unmigrated = await client.get("/readyz")
        assert unmigrated.status_code == 503
        assert "run migrations" in unmigrated.json()["reason"]

        migrate.upgrade(url)
        assert (await client.get("/readyz")).status_code == 200

        embedded_pg.stop()
        try:
            assert (await client.get("/readyz")).status_code == 503
        finally:
            embedded_pg.start()
        assert (await client.get("/readyz")).status_code == 200

        metrics = (await client.get("/metrics")).text
        assert 'http_requests_total{method="GET",route="/readyz",status="503"} 2.0' in metrics
    await app.state.engine.dispose()
