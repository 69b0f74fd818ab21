"""Geofence arithmetic for visit verification (pure): distance from the home and the radius a
fix is allowed, widened by the fix's reported accuracy up to a cap."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): metres-accurate at the scale of a home's fence."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class FenceResult:
    distance_m: float
    allowed_m: float

    @property
    def inside(self) -> bool:
        return self.distance_m <= self.allowed_m


def check(
    *,
    home: tuple[float, float],
    fix: tuple[float, float],
    accuracy_m: float,
    radius_m: float,
    accuracy_cap_m: float,
) -> FenceResult:
    """A fix is inside when it lies within the home's radius plus its own uncertainty — but
    never more than `accuracy_cap_m` of uncertainty is granted (a 2 km fix proves nothing)."""
    widened = radius_m + min(max(accuracy_m, 0.0), accuracy_cap_m)
    return FenceResult(distance_m(home[0], home[1], fix[0], fix[1]), widened)
