"""The shared service shell, exercised through a small app with a body-reading route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from homecare_shared.errors import ProblemError
from homecare_shared.readiness import Readiness
from homecare_shared.requests import outgoing_headers
from homecare_shared.service import MAX_BODY_BYTES, create_service_app


class Item(BaseModel):
    name: str = Field(min_length=1)
    latitude: float = Field(ge=-90, le=90)


async def always_ready() -> Readiness:
    return Readiness(True, "ok", {})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(title="t", version="0", description="d", readiness=always_ready)

    @app.post("/v1/items/{item_id}")
    async def create(item_id: int, item: Item, request: Request) -> dict[str, object]:
        if item.name == "taken":
            raise ProblemError(409, "item_exists", "Item exists", "Pick another name")
        return {"id": item_id, "forwarded": outgoing_headers(), "bytes": len(await request.body())}

    @app.get("/v1/busy")
    async def busy() -> None:
        raise PoolTimeoutError("QueuePool limit of size 10 overflow 20 reached")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_streamed_oversized_body_is_rejected(client: httpx.AsyncClient) -> None:
    payload = b"x" * (MAX_BODY_BYTES + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(payload), 65536):
            yield payload[i : i + 65536]

    response = await client.post("/v1/items/1", content=chunks())
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_body_at_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    body = b'{"name": "a", "latitude": 1}'
    response = await client.post(
        "/v1/items/1",
        content=body.ljust(MAX_BODY_BYTES, b" "),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["bytes"] == MAX_BODY_BYTES


async def test_request_id_is_forwarded_to_downstream_calls(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/items/7", json={"name": "a", "latitude": 1}, headers={"X-Request-ID": "abc12345-xyz"}
    )
    assert response.json()["forwarded"] == {"x-request-id": "abc12345-xyz"}


@pytest.mark.parametrize(
    ("body", "expected_loc"),
    [
        (b'{"name": "a", "latitude": 91}', ["body", "latitude"]),
        (b'{"name": "a", "latitude": "north"}', ["body", "latitude"]),
        (b'{"name": "a", "latitude": 1', ["body", 27]),
    ],
)
async def test_bad_input_is_problem_json_422(
    client: httpx.AsyncClient, body: bytes, expected_loc: list[object]
) -> None:
    response = await client.post(
        "/v1/items/1", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["loc"] == expected_loc


async def test_domain_errors_keep_their_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/items/1", json={"name": "taken", "latitude": 0})
    assert response.status_code == 409
    assert response.json() == {
        "type": "urn:homecare:problem:item_exists",
        "title": "Item exists",
        "status": 409,
        "code": "item_exists",
        "detail": "Pick another name",
        "instance": "/v1/items/1",
    }


async def test_an_exhausted_connection_pool_is_a_503_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/busy")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "database_busy"
