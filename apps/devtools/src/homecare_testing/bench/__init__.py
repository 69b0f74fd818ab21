"""Benchmarks behind `make bench`: `bench.sse` (backend SSE fan-out), `bench.bookings`
(booking creation), `bench.matching`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from homecare_devtools.pg import EmbeddedPostgres
from homecare_devtools.pytest_plugin import free_port


@contextmanager
def bench_postgres() -> Iterator[EmbeddedPostgres]:
    """A throwaway embedded PostgreSQL sized for the benchmarks' 200 connections."""
    root = Path(tempfile.mkdtemp(prefix="homecare-bench-pg-"))
    pg = EmbeddedPostgres(
        root / "data", free_port(), fast=True, settings={"max_connections": "200"}
    )
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()
