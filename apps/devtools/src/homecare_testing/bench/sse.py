"""`make bench-backend`: SSE fan-out — N live subscribers on one API process, one status event
per subscriber committed in one transaction, p50/p99 delivery latency (commit → bytes read by
the subscriber), against a baseline measured in the same run: the same path with 1 subscriber.

The API runs as a real uvicorn process (inline outbox dispatcher, LISTEN/NOTIFY hub) on an
embedded PostgreSQL; subscribers are raw HTTP/1.1 connections from this process.
Writes build/bench/backend-sse.json (format: docs/conventions.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend import migrate
from homecare_backend.auth.tokens import issue_access_token
from homecare_backend.db import create_engine
from homecare_backend.notifications import outbox
from homecare_backend.users.models import Role
from homecare_devtools.pg import EmbeddedPostgres
from homecare_devtools.pytest_plugin import free_port
from homecare_testing.bench import bench_postgres

OUT = Path("build/bench/backend-sse.json")
MARKER = b"event: bench.status_changed"
SECRET = "bench-jwt-secret-0123456789abcdefghijklmnop"  # noqa: S105 - throw-away bench key


class Subscriber:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received: list[float] = []
        self.expected = 0
        self.done = asyncio.Event()

    async def pump(self) -> None:
        carry = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            data = carry + chunk
            for _ in range(data.count(MARKER)):
                self.received.append(now)
            carry = data[-(len(MARKER) - 1) :]
            if len(self.received) >= self.expected:
                self.done.set()


async def connect(port: int, token: str) -> Subscriber:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"subscription refused: {head[:80]!r}")
    return Subscriber(reader, writer)


async def create_users(url: str, n: int) -> list[uuid.UUID]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, role, display_name) "
                "SELECT gen_random_uuid(), 'bench' || i || '@bench.example.kr', 'x', 'family', "
                "'bench ' || i FROM generate_series(1, :n) AS i RETURNING id"
            ),
            {"n": n},
        )
        ids = [row[0] for row in rows]
    await engine.dispose()
    return ids


async def burst(url: str, users: list[uuid.UUID], subs: list[Subscriber]) -> list[float]:
    """Commit one status event per user; latencies (ms) from just before COMMIT to receipt."""
    for sub in subs:
        sub.expected = len(sub.received) + 1
        sub.done.clear()
    engine = create_engine(url)
    async with AsyncSession(engine) as session:
        await outbox.enqueue_many(
            session,
            [
                (u, "bench.status_changed", {"status": "confirmed", "n": i})
                for i, u in enumerate(users)
            ],
        )
        started = time.perf_counter()
        await session.commit()
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in subs)), 60)
    await engine.dispose()
    return [(s.received[-1] - started) * 1000 for s in subs]


def pct(samples: list[float], q: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def measure(
    pg: EmbeddedPostgres, n: int, rounds: int, singles: int = 100
) -> tuple[list[float], list[float], int]:
    """(burst latencies, single-event latencies, subscribers connected)."""
    name = f"bench_{n}"
    pg.create_database(name)
    url = pg.url(name, driver="postgresql+asyncpg")
    migrate.upgrade(url)
    users = await create_users(url, n)
    port = free_port()
    env = {
        **os.environ,
        "HOMECARE_ENV": "test",
        "HOMECARE_DATABASE_URL": url,
        "HOMECARE_JWT_SECRET": SECRET,
        "HOMECARE_INLINE_DISPATCHER": "true",
        "HOMECARE_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603, ASYNC220 - our own app; starts once, before timing
        [sys.executable, "-m", "uvicorn", "--factory", "homecare_backend.main:create_app",
         "--port", str(port), "--backlog", "8192", "--log-level", "warning", "--no-access-log",
         "--timeout-graceful-shutdown", "2"],
        env=env,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        tokens = [issue_access_token(SECRET, u, Role.FAMILY, 0, 3600) for u in users]
        subs: list[Subscriber] = []
        for i in range(0, n, 250):  # connect in waves: the server authenticates each one
            subs += await asyncio.gather(*(connect(port, t) for t in tokens[i : i + 250]))
        pumps = [asyncio.create_task(s.pump()) for s in subs]
        await asyncio.sleep(1.0)
        latencies: list[float] = []
        for _ in range(rounds):
            latencies += await burst(url, users, subs)
            await asyncio.sleep(0.5)
        # Steady traffic: one event at a time to a random subscriber, all N still connected.
        single: list[float] = []
        for _ in range(singles):
            i = random.randrange(n)
            single += await burst(url, [users[i]], [subs[i]])
            await asyncio.sleep(0.5)
        for s in subs:
            s.writer.close()
        for task in pumps:
            task.cancel()
        return latencies, single, len(subs)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with bench_postgres() as pg:
        # uvloop (installed with uvicorn[standard]) for the client side too, as the server uses it.
        _, alone, _ = uvloop.run(measure(pg, 1, 0, singles=100))
        fan, steady, connected = uvloop.run(measure(pg, args.subscribers, args.rounds))
    rows: list[dict[str, Any]] = [
        {
            "metric": f"SSE burst delivery p{q}: 1 event to each of {connected} subscribers",
            "value": round(pct(fan, q), 2),
            "unit": "ms",
            "baseline": "1 subscriber",
            "baseline_value": round(pct(alone, q), 2),
            "target": "<= 1000 ms" if q == 99 else None,
        }
        for q in (50, 99)
    ]
    rows += [
        {
            "metric": f"SSE single-event delivery p{q}, {connected} subscribers connected",
            "value": round(pct(steady, q), 2),
            "unit": "ms",
            "baseline": "1 subscriber",
            "baseline_value": round(pct(alone, q), 2),
            "target": "<= 1000 ms" if q == 99 else None,
        }
        for q in (50, 99)
    ]
    rows.append(
        {
            "metric": "load average (1 min) after the run, 2 cores",
            "value": round(os.getloadavg()[0], 2),
            "unit": "runnable",
            "baseline": None,
            "baseline_value": None,
            "target": None,
        }
    )
    rows.append(
        {
            "metric": "SSE events delivered (commit → subscriber)",
            "value": float(len(fan)),
            "unit": "events",
            "baseline": None,
            "baseline_value": None,
            "target": f"{args.subscribers * args.rounds}",
        }
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"name": "backend-sse-fanout", "rows": rows}, indent=2))
    print(json.dumps(rows, indent=2, ensure_ascii=False))
    p99 = pct(fan, 99)
    if p99 > 1000:
        print(f"warning: p99 {p99:.0f} ms is over the 1 s target", file=sys.stderr)


if __name__ == "__main__":
    main()
