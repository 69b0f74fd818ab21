"""`make bench`: the service-shell benchmark, then one table over every build/bench/*.json.

`python -m homecare_devtools.bench shell` measures the per-request cost of our middleware stack
(request id, metrics, body limit, problem handlers) against a bare FastAPI app in the same run.
`python -m homecare_devtools.bench report` prints the table. File format: docs/conventions.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from homecare_shared.readiness import Readiness
from homecare_shared.service import create_service_app

OUT_DIR = Path("build/bench")
REQUESTS = 3000


async def _latencies_ms(app: FastAPI, n: int) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    samples = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(200):  # warm-up
            await client.get("/healthz")
        for _ in range(n):
            started = time.perf_counter()
            await client.get("/healthz")
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1]


async def _ready() -> Readiness:
    return Readiness(True, "ok", {})


def run_shell_bench() -> dict[str, Any]:
    bare = FastAPI()

    @bare.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    ours = create_service_app(title="b", version="0", description="", readiness=_ready)
    base = asyncio.run(_latencies_ms(bare, REQUESTS))
    shell = asyncio.run(_latencies_ms(ours, REQUESTS))
    rows = [
        {
            "metric": f"GET /healthz p{q} in-process",
            "value": round(_pct(shell, q), 4),
            "unit": "ms",
            "baseline": "bare FastAPI app",
            "baseline_value": round(_pct(base, q), 4),
            "target": None,
        }
        for q in (50, 99)
    ]
    return {"name": "service-shell", "rows": rows}


def print_report(directory: Path) -> None:
    files = sorted(directory.glob("*.json"))
    header = ("benchmark", "metric", "value", "baseline", "ratio", "target")
    lines = [header]
    for file in files:
        data = json.loads(file.read_text())
        for row in data["rows"]:
            value, base = row["value"], row.get("baseline_value")
            ratio = f"{base / value:.2f}x" if base and value else "-"
            lines.append(
                (
                    data["name"],
                    row["metric"],
                    f"{value:g} {row['unit']}",
                    f"{base:g} ({row['baseline']})" if base is not None else "-",
                    ratio,
                    row.get("target") or "-",
                )
            )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print("  ".join(str(cell).ljust(widths[j]) for j, cell in enumerate(line)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n(ratio = baseline / value; JSON in {directory}/)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["shell", "report"])
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.command == "shell":
        result = run_shell_bench()
        (OUT_DIR / "service-shell.json").write_text(json.dumps(result, indent=2))
    else:
        print_report(OUT_DIR)


if __name__ == "__main__":
    main()
