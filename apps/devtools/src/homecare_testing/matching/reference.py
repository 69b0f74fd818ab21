"""Brute-force matcher: a linear scan in plain Python, the executable spec of the rules.

No spatial index, no bitmasks, no numpy: every caregiver is checked rule by rule. Tests compare
the indexed matcher against it; it is far too slow for production.
"""

from __future__ import annotations

from collections.abc import Iterable

from homecare_matching import scoring
from homecare_matching.geo import haversine_km
from homecare_matching.model import Caregiver, CareRequest, Exclusions, Match, MatchResult
from homecare_matching.timegrid import slot_cells, window_cells, window_dates


def _within_reach(cg: Caregiver, request: CareRequest) -> float | None:
    d = haversine_km(request.latitude, request.longitude, cg.latitude, cg.longitude)
    return d if d <= request.max_distance_km and d <= cg.service_radius_km else None


def _available(cg: Caregiver, request: CareRequest) -> bool:
    covered = {cell for slot in cg.slots for cell in slot_cells(slot.weekday, slot.start, slot.end)}
    for window in request.windows:
        if not set(window_cells(window.start, window.end)) <= covered:
            return False
        if any(day in cg.days_off for day in window_dates(window.start, window.end)):
            return False
    return True


def _booked(cg: Caregiver, request: CareRequest) -> bool:
    return any(
        busy.start < window.end and busy.end > window.start
        for window in request.windows
        for busy in cg.busy
    )


def all_feasible(caregivers: Iterable[Caregiver], request: CareRequest) -> MatchResult:
    """Every hard-feasible caregiver, ranked (score desc, id asc), with exclusion counts."""
    excluded = Exclusions()
    found: list[Match] = []
    considered = 0
    for cg in caregivers:
        considered += 1
        distance = _within_reach(cg, request)
        if distance is None:
            excluded.distance += 1
        elif not request.required_skills <= cg.skills:
            excluded.skills += 1
        elif not _available(cg, request):
            excluded.availability += 1
        elif _booked(cg, request):
            excluded.booked += 1
        else:
            breakdown = scoring.components(cg, request, distance)
            found.append(Match(cg.id, scoring.total(breakdown), distance, breakdown))
    found.sort(key=lambda m: (-m.score, m.caregiver_id))
    return MatchResult(found, considered, excluded)


def top_k(caregivers: Iterable[Caregiver], request: CareRequest) -> MatchResult:
    result = all_feasible(caregivers, request)
    result.matches = result.matches[: request.k]
    return result
