"""The backend's domain metrics, on top of the shared HTTP metrics.

Module-level collectors registered on each app's registry (the API and the worker both call
:func:`register`), so tests that build many apps never register a name twice in one registry.
Every labelled counter starts at 0 for each label value, so a dashboard shows 0, not "no data".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from homecare_backend.bookings.models import BookingStatus

BOOKING_TRANSITIONS = Counter(
    "homecare_booking_transitions",
    "Bookings entering a state (created: requested), by the state entered",
    ["to"],
    registry=None,
)
OFFER_OUTCOMES = ("sent", "accepted", "declined", "expired")
DISPATCH_OFFERS = Counter(
    "homecare_dispatch_offers",
    "Dispatch offers to caregivers by outcome (sent, accepted, declined, expired)",
    ["outcome"],
    registry=None,
)
DISPATCH_WAVES = Counter("homecare_dispatch_waves", "Dispatch offer waves sent", registry=None)
SSE_DROPPED = Counter(
    "homecare_sse_dropped",
    "Event streams closed because the client fell behind (its queue was full)",
    registry=None,
)
OUTBOX_DISPATCHED = Counter(
    "homecare_outbox_dispatched", "Outbox events delivered to the feed and streams", registry=None
)
OUTBOX_LAG = Gauge(
    "homecare_outbox_lag_seconds",
    "Age of the oldest undelivered outbox event after the last dispatch pass (0 when none)",
    registry=None,
)
for _status in BookingStatus:
    BOOKING_TRANSITIONS.labels(to=_status.value)
for _outcome in OFFER_OUTCOMES:
    DISPATCH_OFFERS.labels(outcome=_outcome)


class Hub(Protocol):
    @property
    def subscriber_count(self) -> int: ...


class SseSubscribers(Collector):
    """Open event streams of this process, read at scrape time."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily]:
        value = float(self._hub.subscriber_count)
        yield GaugeMetricFamily(
            "homecare_sse_subscribers", "Open server-sent event streams", value=value
        )


def register(registry: CollectorRegistry, hub: Hub | None = None) -> None:
    for collector in (
        BOOKING_TRANSITIONS,
        DISPATCH_OFFERS,
        DISPATCH_WAVES,
        SSE_DROPPED,
        OUTBOX_DISPATCHED,
        OUTBOX_LAG,
    ):
        registry.register(collector)
    if hub is not None:
        registry.register(SseSubscribers(hub))
