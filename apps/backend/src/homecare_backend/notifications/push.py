"""What the push clients share: the message, the outcome, and retry with backoff."""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

RETRYABLE = frozenset({429, 500, 502, 503, 504})


class PushResult(enum.Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # the token/subscription no longer exists: delete it
    FAILED = "failed"  # gave up (permanent error or retries exhausted)


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Retry-After when the server sent one, else exponential backoff with full jitter."""
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto


async def send_with_retry(
    request: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> httpx.Response | None:
    """The final response, or None if every attempt failed at the transport level."""
    response: httpx.Response | None = None
    for attempt in range(policy.attempts):
        try:
            response = await request()
        except httpx.TransportError:
            response = None
        else:
            if response.status_code not in RETRYABLE:
                return response
        if attempt + 1 < policy.attempts:
            retry_after = response.headers.get("retry-after") if response is not None else None
            await sleep(policy.delay(attempt, retry_after))
    return response
