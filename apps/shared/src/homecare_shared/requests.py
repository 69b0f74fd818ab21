"""Request ids and HTTP metrics as one pure-ASGI middleware (streaming responses pass through).

Every request gets an id (the caller's `X-Request-ID` when it is sane, else a new one). The id is
bound into the log context, echoed in the response and forwarded on calls to other services via
`outgoing_headers()`, so one id follows a user action from the frontend through backend to matching.
"""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homecare_shared.logging import get_logger

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
log = get_logger("homecare.http")


def outgoing_headers() -> dict[str, str]:
    """Headers to add to a call to another service so it logs the same request id."""
    rid = request_id_var.get()
    return {REQUEST_ID_HEADER: rid} if rid else {}


class HttpMetrics:
    """Request count and latency by method, route template and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("method", "route", "status")
        self.requests = Counter("http_requests", "HTTP requests handled", labels, registry=registry)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency until the response starts",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)


def route_template(scope: Scope) -> str:
    """`/v1/bookings/{booking_id}` rather than the raw path, to keep label cardinality bounded.

    The router records the matched route in the scope; requests no route matched share one label.
    """
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched")) if route is not None else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        route = "unmatched"

        async def send_with_id(message: Message) -> None:
            nonlocal status, route
            if message["type"] == "http.response.start":
                status = message["status"]
                route = route_template(scope)
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), rid.encode()),
                ]
                self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(request_id=rid):
                await self.app(scope, receive, send_with_id)
                if route not in ("/healthz", "/readyz", "/metrics"):
                    log.info(
                        "request",
                        method=scope["method"],
                        route=route,
                        status=status,
                        ms=round((time.perf_counter() - started) * 1000, 2),
                    )
        finally:
            request_id_var.reset(token)
