"""Reading a server-sent event stream in tests: async for the backend's events and visits tests,
sync (`iter_sse_events`) for the app-flow client that drives a deployed platform."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any


async def sse_events(
    lines: AsyncIterator[str], count: int, wait_s: float = 10
) -> list[dict[str, Any]]:
    """Read `count` events (id, event, data) from an SSE line stream."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}

    async def read() -> None:
        async for line in lines:
            if line == "":
                if "data" in current:
                    events.append(dict(current))
                    if len(events) == count:
                        return
                current.clear()
            elif line.startswith(":"):
                continue
            else:
                field, _, value = line.partition(": ")
                current[field] = json.loads(value) if field == "data" else value

    await asyncio.wait_for(read(), wait_s)
    return events


def iter_sse_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Yield each event (id, event, data as JSON) of an SSE line stream as its blank line ends
    it; comments (keepalives) and field-only blocks such as `retry:` yield nothing."""
    current: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "data" in current:
                yield dict(current)
            current.clear()
        elif not line.startswith(":"):
            field, _, value = line.partition(": ")
            current[field] = json.loads(value) if field == "data" else value
