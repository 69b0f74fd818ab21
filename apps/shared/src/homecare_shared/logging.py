"""Structured JSON logs (structlog) carrying the request id of the current request."""

from __future__ import annotations

import hashlib
import logging
import sys
from typing import TextIO

import structlog


class _CurrentStdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is when a record is emitted, not when logging was
    configured: a test runner swaps stdout per test and closes the old one, and a handler bound
    to it failed ("I/O operation on closed file") in whichever test logged next."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # No file given: each line goes to the current sys.stdout (see _CurrentStdoutHandler).
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Route stdlib loggers (uvicorn, sqlalchemy) through the same renderer.
    handler = _CurrentStdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs each request
    logging.getLogger("httpx").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]


def user_hash(user_id: object) -> str:
    """A stable, non-reversible id for logs: 16 hex digits of SHA-256 over the user id.

    Log lines never carry an e-mail address or phone number; operators find a user's lines by
    computing the same hash from the id (``homecare_shared.logging.user_hash(id)``).
    """
    return hashlib.sha256(f"homecare-user:{user_id}".encode()).hexdigest()[:16]


def bind_user(user_id: object) -> None:
    """Add ``user`` (the hash) to every log line of the current request."""
    structlog.contextvars.bind_contextvars(user=user_hash(user_id))
