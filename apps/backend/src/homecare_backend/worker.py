"""The background loops as their own process: `python -m homecare_backend.worker`.

Runs what `homecare_backend.background` wires: delivers outbox events to the in-app feed, the
SSE hubs (NOTIFY) and push services, and advances dispatches (offer expiry, next waves).
SIGTERM or SIGINT stop it gracefully: the batch in flight commits and pending pushes finish first.
Several workers may run at once (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend import __version__, background, encryption, metrics
from homecare_backend.config import get_settings
from homecare_backend.db import create_engine
from homecare_backend.migrate import head_revision
from homecare_shared.logging import configure_logging, get_logger
from homecare_shared.readiness import Readiness, check_database
from homecare_shared.service import create_service_app

log = get_logger("homecare.worker")


class _HealthServer(uvicorn.Server):
    """uvicorn without its own signal handling: the worker decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_server(
    engine: AsyncEngine, port: int, loops: list[asyncio.Task[None]]
) -> uvicorn.Server:
    """/healthz, /readyz, /metrics for the worker: ready while its loops run and the DB answers."""

    async def readiness() -> Readiness:
        stopped = [task.get_name() for task in loops if task.done()]
        if stopped:
            return Readiness(False, f"worker loop stopped: {', '.join(stopped)}", {"loops": "down"})
        return await check_database(engine, head_revision)

    app = create_service_app(
        title="Homecare worker",
        version=__version__,
        description="Outbox dispatcher and dispatch ticker (operations endpoints only).",
        readiness=readiness,
    )
    metrics.register(app.state.metrics_registry)
    config = uvicorn.Config(
        app,
        host="0.0.0.0",  # noqa: S104 - probes and Prometheus reach the pod IP
        port=port,
        log_config=None,
        lifespan="off",
    )
    return _HealthServer(config)


async def run() -> None:
    settings = get_settings()
    configure_logging("backend-worker", settings.log_level, settings.log_json)
    encryption.configure(settings.keyring())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    try:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            background.matching_client(settings) as matching,
            background.running_loops(
                engine=engine,
                settings=settings,
                http=http,
                dispatch=background.build_dispatch(matching),
                stop=stop,
            ) as loops,
        ):
            server = health_server(engine, settings.worker_http_port, loops.tasks)
            serving = (
                asyncio.create_task(server.serve(), name="health-server")
                if settings.worker_http_port
                else None
            )
            log.info("worker_started", fcm=settings.fcm_enabled, webpush=settings.webpush_enabled)
            try:
                await loops.delivery
            finally:
                stop.set()
                if serving is not None:
                    server.should_exit = True
                    await serving
    finally:
        await engine.dispose()
    log.info("worker_stopped")


def main() -> int:
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
