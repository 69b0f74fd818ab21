"""The service shell every app shares: /healthz, /readyz, /metrics, request ids, problem+json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homecare_shared.errors import install_problem_handlers, problem_response
from homecare_shared.openapi import document_problem_errors
from homecare_shared.readiness import Readiness
from homecare_shared.requests import HttpMetrics, RequestContextMiddleware

MAX_BODY_BYTES = 1024 * 1024
ReadinessCheck = Callable[[], Awaitable[Readiness]]


class BodySizeLimitMiddleware:
    """Reject bodies over the limit with 413 before the app reads them (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer 413 now; the app sees a disconnect and whatever it sends is dropped.
                    rejected = True
                    await self._reject(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            "Request body too large",
            f"The limit is {self.max_bytes} bytes.",
            scope.get("path"),
        )
        await response(scope, receive, send)


def create_service_app(
    *,
    title: str,
    version: str,
    description: str,
    readiness: ReadinessCheck,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """A FastAPI app with the operational endpoints and middleware; callers add routers."""
    registry = registry or CollectorRegistry(auto_describe=True)
    app = FastAPI(title=title, version=version, description=description)
    app.state.metrics_registry = registry
    install_problem_handlers(app)
    document_problem_errors(app)
    app.include_router(_ops_router(readiness, registry))
    metrics = HttpMetrics(registry)
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app


def _ops_router(readiness: ReadinessCheck, registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is serving")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: dependencies reachable and schema current",
        responses={503: {"description": "Not ready, with the reason"}},
    )
    async def readyz() -> JSONResponse:
        state = await readiness()
        body = {"status": "ok" if state.ready else "unavailable", "reason": state.reason}
        return JSONResponse(
            {**body, "checks": state.checks}, status_code=200 if state.ready else 503
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
