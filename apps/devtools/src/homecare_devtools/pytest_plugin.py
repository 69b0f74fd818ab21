"""Pytest fixtures shared by every suite: a real embedded PostgreSQL per test session.

`embedded_pg` is one server for the session (fast, non-durable settings); `fresh_database(name)`
gives each test module its own empty database on it, so suites never see each other's rows.
"""

from __future__ import annotations

import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from homecare_devtools.pg import EmbeddedPostgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[EmbeddedPostgres]:
    root = Path(tempfile.mkdtemp(prefix="homecare-pg-"))
    server = EmbeddedPostgres(root / "data", free_port(), fast=True)
    server.start()
    try:
        yield server
    finally:
        server.destroy()
        root.rmdir()


@pytest.fixture(scope="session")
def fresh_database(embedded_pg: EmbeddedPostgres) -> Callable[[], str]:
    """Create a new empty database and return its asyncpg URL."""

    def create() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        embedded_pg.create_database(name)
        return embedded_pg.url(name, driver="postgresql+asyncpg")

    return create
