"""Matching's domain metrics (on top of the shared HTTP metrics), added to each app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

MATCH_DURATION = Histogram(
    "homecare_match_duration_seconds",
    "Time to rank the caregivers of one POST /v1/match (index lookup and scoring)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
    registry=None,
)
MATCH_CANDIDATES = Histogram(
    "homecare_match_candidates",
    "Caregivers returned per match query (0: nobody feasible)",
    buckets=(0, 1, 2, 3, 5, 10, 20, 50, 100),
    registry=None,
)


def register(registry: CollectorRegistry) -> None:
    registry.register(MATCH_DURATION)
    registry.register(MATCH_CANDIDATES)
