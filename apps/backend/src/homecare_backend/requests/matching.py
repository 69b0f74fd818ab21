"""Asking the matching service (`POST /v1/match`) for ranked, explained candidates.

A `Matcher` takes matching's request body and returns its answer (`results`, `considered`,
`excluded`). The app's one is `http_matcher` over the matching client (base URL
`HOMECARE_MATCHING_URL`); tests may run the real matching app or stand in a fixed answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from homecare_shared.errors import ProblemError

Matcher = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _unavailable(detail: str) -> ProblemError:
    return ProblemError(
        503, "matching_unavailable", "The matching service could not rank caregivers", detail
    )


def http_matcher(matching: httpx.AsyncClient) -> Matcher:
    async def match(body: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await matching.post("/v1/match", json=body)
        except httpx.HTTPError as exc:
            raise _unavailable(f"{type(exc).__name__}; retry shortly.") from exc
        if answer.status_code != 200:
            raise _unavailable(f"HTTP {answer.status_code}; retry shortly.")
        found: dict[str, Any] = answer.json()
        return found

    return match
