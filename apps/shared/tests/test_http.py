"""A request id entering one service leaves with its calls to the next (over real loopback HTTP)."""

from __future__ import annotations

import asyncio

import httpx
import uvicorn
from fastapi import Request

from homecare_devtools.pytest_plugin import free_port
from homecare_shared.http import service_client
from homecare_shared.readiness import Readiness
from homecare_shared.service import create_service_app


async def _ready() -> Readiness:
    return Readiness(True, "ok", {})


async def test_request_id_crosses_service_boundary() -> None:
    downstream = create_service_app(title="down", version="0", description="", readiness=_ready)

    @downstream.get("/echo")
    async def echo(request: Request) -> dict[str, str | None]:
        return {"seen": request.headers.get("x-request-id")}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(downstream, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no started event
        await asyncio.sleep(0.01)

    upstream = create_service_app(title="up", version="0", description="", readiness=_ready)

    @upstream.get("/call")
    async def call() -> dict[str, str | None]:
        async with service_client(f"http://127.0.0.1:{port}") as client:
            return dict((await client.get("/echo")).json())

    try:
        transport = httpx.ASGITransport(app=upstream)
        async with httpx.AsyncClient(transport=transport, base_url="http://up") as client:
            response = await client.get("/call", headers={"X-Request-ID": "trace-0001-abcd"})
        assert response.json() == {"seen": "trace-0001-abcd"}
        assert response.headers["x-request-id"] == "trace-0001-abcd"
    finally:
        server.should_exit = True
        await serving
