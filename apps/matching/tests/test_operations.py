from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from homecare_backend import migrate
from homecare_devtools.pg import EmbeddedPostgres
from homecare_matching.config import Settings
from homecare_matching.main import create_app


async def test_matching_readiness_follows_the_database(
    fresh_database: Callable[[], str],
    embedded_pg: EmbeddedPostgres,
    wait_until: Callable[..., Any],
) -> None:
    url = fresh_database()
    app = create_app(Settings(env="test", database_url=url, index_retry_seconds=0.2))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://matching") as client,
    ):
        unmigrated = await client.get("/readyz")
        assert unmigrated.status_code == 503
        assert "run migrations" in unmigrated.json()["reason"]

        migrate.upgrade(url)

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await wait_until(ready, 15)  # the feed retries and loads the (empty) index

        embedded_pg.stop()
        try:
            assert (await client.get("/readyz")).status_code == 503
        finally:
            embedded_pg.start()
        await wait_until(ready, 15)

        metrics = (await client.get("/metrics")).text
        assert 'http_requests_total{method="GET",route="/readyz",status="503"}' in metrics
