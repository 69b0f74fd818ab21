"""`make bench-bookings`: booking creation under 200 concurrent clients — our API (auth,
validation, ownership checks, outbox, EXCLUDE constraint) against a bare Starlette + asyncpg
app that only INSERTs into the same table, measured in the same run on the same embedded
PostgreSQL, in turns (`--rounds`, default 2: baseline, API, baseline, API; medians reported), so
a load that drifts on a shared machine falls on both. Both run as real uvicorn processes; the
clients contend for a limited set of (caregiver, hour) slots, so many attempts are refused, and
after each run the database is checked for overlapping active bookings of one caregiver (must
be 0).
Writes build/bench/backend-bookings.json (format: docs/conventions.md).

Bounded in time: a request gets `REQUEST_TIMEOUT_S` (above the API's worst case: one wait of
SQLAlchemy's 30 s pool timeout, then a 503 `database_busy`), a request past it is counted as
`timeout` with that latency instead of aborting the run (it used to: one httpx.ReadTimeout at
200 clients on a loaded machine ended the bench with a traceback), and no request starts after
`--max-seconds`. Status codes, timeouts and the requests not made are in the output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from homecare_backend import encryption, migrate
from homecare_backend.auth.tokens import issue_access_token
from homecare_backend.users.models import Role
from homecare_devtools.pg import EmbeddedPostgres
from homecare_devtools.pytest_plugin import free_port
from homecare_testing.bench import bench_postgres

OUT = Path("build/bench/backend-bookings.json")
SECRET = "bench-jwt-secret-0123456789abcdefghijklmnop"  # noqa: S105 - throw-away bench key
CAREGIVERS = 60
SLOTS = 20  # hours per caregiver the clients fight over
REQUEST_TIMEOUT_S = 45.0
START_TIMEOUT_S = 180.0


def baseline_app() -> Starlette:
    """The floor: parse JSON, one INSERT, 201 or 409 on the exclusion constraint."""
    state: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(os.environ["BENCH_DSN"], max_size=30)
        yield
        await state["pool"].close()

    async def book(request: Request) -> JSONResponse:
        body = await request.json()
        start = datetime.fromisoformat(body["start_at"])
        try:
            async with state["pool"].acquire() as conn:
                row = await conn.fetchrow(
                    "INSERT INTO bookings (id, recipient_id, caregiver_id, start_at, end_at, "
                    "status, notes, service_type) VALUES ($1, $2, $3, $4, $5, 'offered', '', "
                    "'home_care') RETURNING id",
                    uuid.uuid4(),
                    uuid.UUID(body["recipient_id"]),
                    uuid.UUID(body["caregiver_id"]),
                    start,
                    start + timedelta(minutes=body["duration_minutes"]),
                )
        except asyncpg.ExclusionViolationError:
            return JSONResponse({"code": "caregiver_double_booked"}, status_code=409)
        return JSONResponse({"id": str(row["id"])}, status_code=201)

    return Starlette(routes=[Route("/v1/bookings", book, methods=["POST"])], lifespan=lifespan)


async def _prepare(dsn: str) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]]]:
    """Caregivers and (family, recipient) pairs, inserted directly."""
    conn = await asyncpg.connect(dsn)
    try:
        caregivers = []
        # Licence numbers are stored encrypted: sealed with the keyring the API under test uses
        # (the same HOMECARE_* environment).
        licence = encryption.encrypt(
            encryption.current(), "2026-1", "caregiver_profiles.licence_number"
        )
        for i in range(CAREGIVERS):
            user_id, profile_id = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, role, display_name, token_version)"
                " VALUES ($1, $2, 'x', 'caregiver', 'bench', 0)",
                user_id,
                f"cg{i}-{user_id.hex[:6]}@bench.kr",
            )
            await conn.execute(
                "INSERT INTO caregiver_profiles (id, user_id, licence_number, verification_status,"
                " gender, skills, languages, latitude, longitude, service_radius_km,"
                " hourly_rate_krw) VALUES ($1, $2, $3, 'verified', 'female', '{}', '{ko}',"
                " 37.5, 127.0, 10, 15000)",
                profile_id,
                user_id,
                licence,
            )
            caregivers.append(profile_id)
        families = []
        for i in range(200):
            family_id, recipient_id = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, role, display_name, token_version)"
                " VALUES ($1, $2, 'x', 'family', 'bench', 0)",
                family_id,
                f"fam{i}-{family_id.hex[:6]}@bench.kr",
            )
            await conn.execute(
                "INSERT INTO care_recipients (id, family_id, name, birth_year, address, latitude,"
                " longitude, care_grade) VALUES ($1, $2, '벤치', 1940, '서울', 37.5, 127.0, '3')",
                recipient_id,
                family_id,
            )
            families.append((family_id, recipient_id))
        return caregivers, families
    finally:
        await conn.close()


async def _double_bookings(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM bookings a JOIN bookings b ON a.caregiver_id = b.caregiver_id"
                " AND a.id < b.id AND tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at,"
                " b.end_at) WHERE a.status IN ('requested','offered','confirmed','in_progress')"
                " AND b.status IN ('requested','offered','confirmed','in_progress')"
            )
        )
    finally:
        await conn.close()


def _start(
    module_app: str, port: int, env: dict[str, str], factory: bool
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "uvicorn", module_app, "--port", str(port),
            "--backlog", "4096", "--log-level", "warning", "--no-access-log",
            "--timeout-graceful-shutdown", "2",
            # 200 clients keep their connections between requests; uvicorn's 5 s default would
            # close idle ones under load and the next request on them fails (ReadError).
            "--timeout-keep-alive", "120"]  # fmt: skip
    if factory:
        args.append("--factory")
    return subprocess.Popen(args, env={**os.environ, **env})  # noqa: S603 - our own apps


async def _wait_ready(port: int, path: str, server: subprocess.Popen[bytes]) -> None:
    """Up to `START_TIMEOUT_S`: the API imports a lot (WeasyPrint, SQLAlchemy models) and took
    over 30 s to start on a machine at load ~20."""
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"server on port {port} exited with {server.returncode}")
            try:
                await http.get(f"http://127.0.0.1:{port}{path}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start in {START_TIMEOUT_S:.0f} s")


async def _load(
    port: int,
    caregivers: list[uuid.UUID],
    families: list[tuple[uuid.UUID, uuid.UUID]],
    clients: int,
    per_client: int,
    seed: int,
    max_seconds: float,
) -> tuple[list[float], dict[str, int], float]:
    rng = random.Random(seed)
    day0 = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    latencies: list[float] = []
    codes: dict[str, int] = {}
    # Each client has its own connection, as 200 phones would. One AsyncClient shared by all
    # 200 made httpcore scan its whole pool on every request and response: the load generator's
    # own CPU grew with the server's latency and took the 2 cores from the server under test.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # The read timeout bounds a request the server holds.
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S, pool=None)
    began = time.perf_counter()
    stop_at = began + max_seconds

    def count(code: str) -> None:
        codes[code] = codes.get(code, 0) + 1

    async def client(i: int) -> None:
        family_id, recipient_id = families[i % len(families)]
        token = issue_access_token(SECRET, family_id, Role.FAMILY, 0, 3600)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=timeout
        ) as http:
            for done in range(per_client):
                if time.perf_counter() > stop_at:
                    codes["not_made"] = codes.get("not_made", 0) + per_client - done
                    return
                body = {
                    "recipient_id": str(recipient_id),
                    "caregiver_id": str(rng.choice(caregivers)),
                    "start_at": (day0 + timedelta(hours=rng.randrange(SLOTS))).isoformat(),
                    "duration_minutes": 60,
                }
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/bookings", json=body, headers=headers)
                except httpx.TimeoutException:
                    count("timeout")
                except httpx.TransportError as exc:
                    count(type(exc).__name__)
                else:
                    count(str(response.status_code))
                latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return latencies, codes, elapsed


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def measure(
    pg: EmbeddedPostgres, which: str, clients: int, per_client: int, max_seconds: float, round_: int
) -> dict[str, Any]:
    name = f"bench_bookings_{which}_{round_}"
    pg.create_database(name)
    url = pg.url(name, driver="postgresql+asyncpg")
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    migrate.upgrade(url)
    caregivers, families = await _prepare(dsn)
    port = free_port()
    if which == "api":
        env = {"HOMECARE_ENV": "test", "HOMECARE_DATABASE_URL": url, "HOMECARE_JWT_SECRET": SECRET,
               "HOMECARE_INLINE_DISPATCHER": "false", "HOMECARE_LOG_LEVEL": "WARNING"}  # fmt: skip
        server = _start("homecare_backend.main:create_app", port, env, factory=True)
        ready = "/healthz"
    else:
        server = _start("homecare_testing.bench.bookings:baseline_app", port,
                        {"BENCH_DSN": dsn}, factory=True)  # fmt: skip
        ready = "/"
    try:  # a server that never got ready is stopped too (one was left running)
        await _wait_ready(port, ready, server)
        await _load(port, caregivers, families, clients, 2, 1, max_seconds)  # warm-up
        latencies, codes, elapsed = await _load(
            port, caregivers, families, clients, per_client, 2, max_seconds
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    answered = sum(n for code, n in codes.items() if code.isdigit())
    return {
        # Requests answered (any HTTP status: 201, 409, 503) per second; timeouts are not.
        "throughput": answered / elapsed,
        "elapsed_s": elapsed,
        "load_avg": os.getloadavg(),
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "codes": codes,
        "double": await _double_bookings(dsn),
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one app as one: median throughput and latencies, summed status codes and
    double bookings, the rounds' own figures kept."""
    codes: dict[str, int] = {}
    for run in runs:
        for code, n in run["codes"].items():
            codes[code] = codes.get(code, 0) + n
    return {
        "throughput": statistics.median(r["throughput"] for r in runs),
        "elapsed_s": sum(r["elapsed_s"] for r in runs),
        "load_avg": [r["load_avg"] for r in runs],
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "codes": codes,
        "double": sum(r["double"] for r in runs),
        "rounds": [round(r["throughput"], 1) for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="baseline/API turns")
    parser.add_argument(
        "--max-seconds", type=float, default=600, help="no request starts after this (per run)"
    )
    args = parser.parse_args()
    # Baseline and API take turns (round 1: baseline, API; round 2: the same), each on a fresh
    # database: a load that drifts during the bench (this machine is shared) falls on both, and
    # each figure is the median of its rounds.
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "api": []}
    with bench_postgres() as pg:
        for round_ in range(1, args.rounds + 1):
            for which in ("baseline", "api"):
                run = asyncio.run(
                    measure(pg, which, args.clients, args.per_client, args.max_seconds, round_)
                )
                print(f"round {round_} {which}: {run['throughput']:.1f} req/s", flush=True)
                runs[which].append(run)
    base, ours = _median_run(runs["baseline"]), _median_run(runs["api"])
    label = f"{args.clients} concurrent clients"
    rows: list[dict[str, Any]] = [
        {"metric": f"booking create throughput, {label}", "value": round(ours["throughput"], 1),
         "unit": "req/s", "baseline": "bare Starlette + asyncpg INSERT, same run, rounds taken "
         "in turns (medians)", "baseline_value": round(base["throughput"], 1),
         "target": ">= 50% of baseline"},
        {"metric": f"booking create p99, {label}", "value": round(ours["p99"], 1), "unit": "ms",
         "baseline": "bare Starlette + asyncpg INSERT, same run",
         "baseline_value": round(base["p99"], 1), "target": None},
        {"metric": "booking create p50", "value": round(ours["p50"], 1), "unit": "ms",
         "baseline": "bare Starlette + asyncpg INSERT, same run",
         "baseline_value": round(base["p50"], 1), "target": None},
        {"metric": "answered 503 database_busy", "value": ours["codes"].get("503", 0),
         "unit": "requests", "baseline": "baseline app",
         "baseline_value": base["codes"].get("503", 0), "target": None},
        {"metric": f"timed out (> {REQUEST_TIMEOUT_S:.0f} s)", "value": ours["codes"].get(
            "timeout", 0), "unit": "requests", "baseline": "baseline app",
         "baseline_value": base["codes"].get("timeout", 0), "target": "0"},
        {"metric": "overlapping active bookings after the run", "value": ours["double"],
         "unit": "rows", "baseline": "baseline app", "baseline_value": base["double"],
         "target": "0"},
    ]  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "name": "backend-bookings",
        "rows": rows,
        "status_codes": {"api": ours["codes"], "baseline": base["codes"]},
        "elapsed_s": {"api": round(ours["elapsed_s"], 1), "baseline": round(base["elapsed_s"], 1)},
        # 1/5/15-minute load averages at the end of each measured run (a busy host: say so).
        "load_avg": {"api": ours["load_avg"], "baseline": base["load_avg"]},
        "throughput_per_round": {"api": ours["rounds"], "baseline": base["rounds"]},
    }
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if ours["double"] or base["double"]:
        raise SystemExit("double bookings found")


if __name__ == "__main__":
    main()
