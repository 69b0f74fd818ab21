"""Operational endpoints: liveness, readiness against a real PostgreSQL, metrics, request ids."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.migrate import head_revision
from homecare_devtools.pg import EmbeddedPostgres


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_ok_when_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["schema"] == head_revision()


async def test_readyz_503_until_migrated(fresh_database: Callable[[], str]) -> None:
    app = create_app(Settings(env="test", database_url=fresh_database()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        response = await c.get("/readyz")
    await app.state.engine.dispose()
    assert response.status_code == 503
    assert "run migrations" in response.json()["reason"]


async def test_readyz_follows_database_stop_and_restart(
    client: httpx.AsyncClient, embedded_pg: EmbeddedPostgres
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    embedded_pg.stop()
    try:
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/json"
        assert down.json()["status"] == "unavailable"
        assert down.json()["reason"].startswith("database unreachable")
    finally:
        embedded_pg.start()
    assert (await client.get("/readyz")).status_code == 200


async def test_a_connection_lost_under_a_request_is_a_503_and_the_next_one_works(
    client: httpx.AsyncClient, migrated_url: str
) -> None:
    """The API's pool has no pre-ping (db.create_engine): a connection the server dropped fails
    its request with a retryable 503 instead of a 500, and the pool replaces the rest."""
    login = {"email": "nobody@example.kr", "password": "not-the-password"}
    assert (await client.post("/v1/auth/login", json=login)).status_code == 401
    dsn = migrated_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    try:  # every other session of this database: the API's pooled connection
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert dropped >= 1

    lost = await client.post("/v1/auth/login", json=login)
    assert lost.status_code == 503
    assert lost.headers["content-type"] == "application/problem+json"
    assert lost.headers["retry-after"] == "1"
    assert lost.json()["code"] == "database_unavailable"
    assert (await client.post("/v1/auth/login", json=login)).status_code == 401
    assert (await client.get("/readyz")).status_code == 200


async def test_readiness_answers_for_the_database_not_for_a_dropped_connection(
    client: httpx.AsyncClient, migrated_url: str
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    dsn = migrated_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_expose_request_histogram_by_route_template(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/healthz")
    await client.get("/no/such/route")
    body = (await client.get("/metrics")).text
    assert "# TYPE http_request_duration_seconds histogram" in body
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="200"}'
        in body
    )
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in body


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "req-from-frontend-0001"})
    assert given.headers["x-request-id"] == "req-from-frontend-0001"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(generated.headers["x-request-id"]) == 32


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


async def test_oversized_body_is_rejected_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
