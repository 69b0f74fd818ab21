"""HTTP clients for service-to-service calls that carry the current request id along
(the backend's client for the matching service is one)."""

from __future__ import annotations

import httpx

from homecare_shared.requests import REQUEST_ID_HEADER, outgoing_headers


async def _add_request_id(request: httpx.Request) -> None:
    for name, value in outgoing_headers().items():
        request.headers.setdefault(name, value)


def service_client(base_url: str, timeout_s: float = 5.0) -> httpx.AsyncClient:
    """An AsyncClient for another homecare service; each call forwards `X-Request-ID`."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_s,
        event_hooks={"request": [_add_request_id]},
    )


__all__ = ["REQUEST_ID_HEADER", "service_client"]
