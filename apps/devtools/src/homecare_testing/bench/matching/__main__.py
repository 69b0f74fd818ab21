"""`python -m homecare_testing.bench.matching`: match latency (in-process, HTTP) vs PostGIS,
batch assignment.

Steps, all in one run on the same data:
1. synthetic caregivers (`synth`, Seoul/Gyeonggi clusters) for the week after today, COPYed into
   a fresh Debian PostgreSQL + PostGIS cluster in the backend's schema (its Alembic migrations,
   run through the backend's CLI: the bench does not import the backend);
2. the in-process index is loaded from that database by the service's own loader;
3. the same seeded requests are answered by the index in-process, by the real service over
   HTTP (uvicorn subprocess, which loads its index from the database at start), and by the
   PostGIS query (`baseline.QUERY`); top-10 lists are compared;
4. batch assignment of 2,000 requests x 5,000 caregivers, checked against the dense optimum.
Writes build/bench/matching.json (format in docs/conventions.md) and prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np

from homecare_devtools.pytest_plugin import free_port
from homecare_matching import assign
from homecare_matching.index import CandidateIndex
from homecare_matching.loader import fetch_caregivers
from homecare_matching.model import CareRequest, MatchResult
from homecare_matching.timegrid import KST
from homecare_testing.bench.matching import baseline, dataset
from homecare_testing.bench.matching.postgis import DebianPostgres
from homecare_testing.matching import synth

TIE = 1e-6


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


def next_monday() -> date:
    today = datetime.now(KST).date()
    return today + timedelta(days=7 - today.weekday())


def row(
    metric: str,
    value: float,
    unit: str,
    baseline_name: str | None = None,
    baseline_value: float | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    return {
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "baseline": baseline_name,
        "baseline_value": None if baseline_value is None else round(baseline_value, 4),
        "target": target,
    }


def same_top(mine: list[tuple[str, float]], theirs: list[tuple[str, float]]) -> tuple[bool, bool]:
    """(identical ids in order, identical up to reordering among scores tied within 1e-6)."""
    if [i for i, _ in mine] == [i for i, _ in theirs]:
        return True, True
    if len(mine) != len(theirs):
        return False, False
    if any(abs(a[1] - b[1]) > TIE for a, b in zip(mine, theirs, strict=True)):
        return False, False
    boundary = theirs[-1][1]
    strict = [i for i, s in mine if s > boundary + TIE] == [
        i for i, s in theirs if s > boundary + TIE
    ]
    return False, strict


def in_process(
    index: CandidateIndex, requests: list[CareRequest]
) -> tuple[list[float], list[float], list[MatchResult]]:
    for r in requests[:100]:
        index.match(r)
    wall, cpu, results = [], [], []
    for r in requests:
        w, c = time.perf_counter(), time.thread_time()
        results.append(index.match(r))
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu, results


def body(r: CareRequest) -> dict[str, Any]:
    return {
        "latitude": r.latitude,
        "longitude": r.longitude,
        "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in r.windows],
        "required_skills": sorted(r.required_skills),
        "max_distance_km": r.max_distance_km,
        "k": r.k,
        "preferred_languages": sorted(r.preferred_languages),
        "preferred_gender": r.preferred_gender.value if r.preferred_gender else None,
        "previous_caregiver_ids": sorted(r.previous_caregiver_ids),
    }


def over_http(url: str, requests: list[CareRequest]) -> tuple[list[float], list[list[str]]]:
    wall, ids = [], []
    with httpx.Client(base_url=url, timeout=30) as client:
        for r in requests[:100]:
            client.post("/v1/match", json=body(r)).raise_for_status()
        for r in requests:
            payload = body(r)
            started = time.perf_counter()
            answer = client.post("/v1/match", json=payload)
            wall.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            ids.append([x["caregiver_id"] for x in answer.json()["results"]])
    return wall, ids


async def postgis(
    dsn: str, requests: list[CareRequest]
) -> tuple[list[float], list[list[tuple[str, float]]]]:
    conn = await asyncpg.connect(dsn)
    try:
        stmt = await baseline.prepare(conn)
        for r in requests[:20]:
            await stmt.fetch(*baseline.query_args(r))
        wall, tops = [], []
        for r in requests:
            args = baseline.query_args(r)
            started = time.perf_counter()
            rows = await stmt.fetch(*args)
            wall.append((time.perf_counter() - started) * 1000)
            tops.append([(row["id"], float(row["score"])) for row in rows])
        return wall, tops
    finally:
        await conn.close()


def start_service(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "HOMECARE_ENV": "test",
        "HOMECARE_DATABASE_URL": db_url,
        "HOMECARE_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "uvicorn", "--factory", "homecare_matching.main:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("matching service exited during start")
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("matching service did not become ready in 600 s")


def batch(n_caregivers: int, n_requests: int, verify: bool) -> list[dict[str, Any]]:
    index = CandidateIndex()
    index.replace_all(synth.caregivers(n_caregivers, seed=7))
    requests = synth.requests(n_requests, seed=8, shape=synth.RequestShape(k=1))
    for r in requests[:50]:
        index.feasible(r)
    runs = []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        result = assign.assign(index, requests, "matching", time_limit=60)
        runs.append((time.perf_counter() - started, time.process_time() - cpu, result))
    total, total_cpu, result = sorted(runs, key=lambda x: x[0])[1]  # the median of three
    graph = assign.candidate_graph(index, requests)
    rows = [
        row(f"assign {n_requests}x{n_caregivers}: total (graph + solve)", total, "s",
            target="<= 1 s"),
        row(f"assign {n_requests}x{n_caregivers}: total CPU time (process)", total_cpu, "s",
            target="<= 1 s"),
        row(f"assign {n_requests}x{n_caregivers}: candidate graph", result.graph_seconds, "s"),
        row(f"assign {n_requests}x{n_caregivers}: solve (sparse LAPJV)", result.seconds, "s"),
        row(f"assign {n_requests}x{n_caregivers}: graph edges", graph.size, "edges"),
        row(f"assign {n_requests}x{n_caregivers}: requests served", len(result.pairs), "requests"),
    ]  # fmt: skip
    if verify:
        from scipy.optimize import linear_sum_assignment  # noqa: PLC0415 - only when verifying

        started = time.perf_counter()
        columns = np.unique(graph.caregivers)
        col = np.searchsorted(columns, graph.caregivers)
        n = graph.n_requests
        weight = np.full((n, len(columns) + n), -1e9)
        weight[graph.requests, col] = n + 1.0 + graph.scores
        weight[np.arange(n), len(columns) + np.arange(n)] = 0.0
        r_idx, c_idx = linear_sum_assignment(weight, maximize=True)
        dense = float(weight[r_idx, c_idx].sum())
        dense_seconds = time.perf_counter() - started
        gap = abs(assign.objective(graph, result.pairs) - dense)
        name = f"assign {n_requests}x{n_caregivers}"
        dense_name = "dense linear_sum_assignment"
        rows.append(row(f"{name}: gap to dense optimum", gap, "objective", dense_name, 0.0, "0"))
        rows.append(row(f"{name}: solve time", result.seconds, "s", dense_name, dense_seconds))
    return rows


def migrate_backend_schema(url: str) -> None:
    """The backend's Alembic migrations, through its CLI (as the deploy's init container does)."""
    env = {**os.environ, "HOMECARE_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "homecare_backend.migrate", "upgrade"], env=env, check=True
    )


async def load_database(server: DebianPostgres, n: int, monday: date) -> tuple[str, float]:
    admin = await asyncpg.connect(server.url("postgres"))
    await admin.execute("CREATE DATABASE homecare")
    await admin.close()
    url = server.url("homecare", driver="postgresql+asyncpg")
    await asyncio.to_thread(migrate_backend_schema, url)
    caregivers = synth.caregivers(n, seed=0, monday=monday)
    started = time.perf_counter()
    conn = await asyncpg.connect(server.url("homecare"))
    try:
        await dataset.load(conn, caregivers, monday)
        await conn.execute(baseline.SETUP)
    finally:
        await conn.close()
    return url, time.perf_counter() - started


async def load_index(dsn: str) -> tuple[CandidateIndex, float]:
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        caregivers = await fetch_caregivers(conn)
    finally:
        await conn.close()
    caregivers.sort(key=lambda c: (round(c.latitude, 2), c.longitude))
    index = CandidateIndex()
    index.replace_all(caregivers)
    index.rebuild_grid()
    index.loaded = True
    gc.collect()
    gc.freeze()  # as the service's loader does
    return index, time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, Any]:
    monday = next_monday()
    server = DebianPostgres(free_port())
    rows: list[dict[str, Any]] = []
    try:
        server.start()
        print(f"==> PostGIS cluster on 127.0.0.1:{server.port}; loading {args.caregivers:,}")
        url, copy_seconds = asyncio.run(load_database(server, args.caregivers, monday))
        index, load_seconds = asyncio.run(load_index(server.url("homecare")))
        pool = [index.caregiver_id(i) for i in range(0, min(len(index), 5000), 5)]
        requests = synth.requests(args.queries, seed=42, monday=monday, previous_pool=pool)
        print(f"==> in-process: {args.queries} queries")
        wall, cpu, mine = in_process(index, requests)
        print("==> PostGIS baseline")
        pg_wall, pg_tops = asyncio.run(
            postgis(server.url("homecare"), requests[: args.baseline_queries])
        )
        print("==> over HTTP (uvicorn subprocess loading its own index from the database)")
        started = time.perf_counter()
        proc, service_url = start_service(url)
        service_start = time.perf_counter() - started
        try:
            http_wall, http_ids = over_http(service_url, requests)
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        server.stop()

    exact = tie_equal = 0
    for result, theirs in zip(mine, pg_tops, strict=False):
        a, b = same_top([(m.caregiver_id, m.score) for m in result.matches], theirs)
        exact += a
        tie_equal += b
    http_same = sum(
        ids == [m.caregiver_id for m in result.matches]
        for ids, result in zip(http_ids, mine, strict=True)
    )
    n = len(requests)
    label = f"match ({args.caregivers:,} caregivers)"
    pg = "PostGIS (GiST, <-> KNN, same filters+score)"
    rows += [
        row(f"{label} p50 in-process", pct(wall, 50), "ms", pg, pct(pg_wall, 50)),
        row(f"{label} p99 in-process", pct(wall, 99), "ms", pg, pct(pg_wall, 99),
            "<= 10 ms, >= 5x PostGIS"),
        row(f"{label} p50 CPU per query in-process", pct(cpu, 50), "ms"),
        row(f"{label} p99 CPU per query in-process", pct(cpu, 99), "ms"),
        row(f"{label} p50 over HTTP", pct(http_wall, 50), "ms", pg, pct(pg_wall, 50)),
        row(f"{label} p99 over HTTP", pct(http_wall, 99), "ms", pg, pct(pg_wall, 99)),
        row(f"{label} top-10 identical to PostGIS", 100 * exact / len(pg_tops), "%",
            target="100 %"),
        row(f"{label} top-10 identical up to exact score ties", 100 * tie_equal / len(pg_tops),
            "%", target="100 %"),
        row(f"{label} HTTP answers identical to in-process", 100 * http_same / n, "%"),
        row(f"{label} mean results per query",
            statistics.mean(len(m.matches) for m in mine), "caregivers"),
        row("index load from database (in-process)", load_seconds, "s"),
        row("service start until /readyz 200 (index loaded)", service_start, "s"),
        row("dataset COPY + GiST index build", copy_seconds, "s"),
    ]  # fmt: skip
    print(f"==> batch assignment {args.batch_requests} x {args.batch_caregivers}")
    rows += batch(args.batch_caregivers, args.batch_requests, verify=not args.no_verify)
    load1 = os.getloadavg()[0]
    rows.append(row("host load average during the run (2 shared cores)", load1, "procs"))
    return {"name": "matching", "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--caregivers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--baseline-queries", type=int, default=300, help="PostGIS runs the first N queries"
    )
    parser.add_argument("--batch-requests", type=int, default=2000)
    parser.add_argument("--batch-caregivers", type=int, default=5000)
    parser.add_argument("--no-verify", action="store_true", help="skip the dense optimum check")
    parser.add_argument("--out", type=Path, default=Path("build/bench/matching.json"))
    args = parser.parse_args()
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    for r in result["rows"]:
        base = f"  (baseline {r['baseline_value']} {r['unit']})" if r["baseline"] else ""
        print(f"  {r['metric']}: {r['value']} {r['unit']}{base}")
    print(f"==> wrote {args.out}")


if __name__ == "__main__":
    main()
