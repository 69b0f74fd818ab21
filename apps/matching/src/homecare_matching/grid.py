"""Latitude-band grid: rows sorted by (band, longitude) so a radius query is a few array slices.

The band height is 0.01° (~1.1 km). A query for everything within `km` of a point becomes one
longitude interval per band crossed; one vectorised `searchsorted` finds every interval at once
and the result is the concatenation of those slices — no Python loop over points or cells. The
result is a superset (a bounding box per band); callers apply the exact haversine test.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from homecare_matching.geo import EARTH_RADIUS_KM

BAND_DEG = 0.01
_BAND_STRIDE = 1000.0  # composite key = band * stride + (lon + 180); lon + 180 < stride
_SLACK_DEG = 1e-6  # the box is a prefilter; exact haversine decides

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _band(lat: FloatArray | float) -> npt.NDArray[np.int64]:
    return np.floor((np.asarray(lat) + 90.0) / BAND_DEG).astype(np.int64)


class SpatialGrid:
    def __init__(self, lat: FloatArray, lon: FloatArray) -> None:
        keys = _band(lat) * _BAND_STRIDE + (lon + 180.0)
        self.order: IntArray = np.argsort(keys, kind="stable").astype(np.int64)
        self.keys: FloatArray = keys[self.order]
        self.size = len(lat)

    def rows_near(self, lat: float, lon: float, km: float) -> IntArray:
        """Rows (as built) whose point may lie within `km` great-circle km of (lat, lon)."""
        arc = km / EARTH_RADIUS_KM
        dlat = math.degrees(arc) + _SLACK_DEG
        lat_lo, lat_hi = max(-90.0, lat - dlat), min(90.0, lat + dlat)
        bands = np.arange(int(_band(lat_lo)), int(_band(lat_hi)) + 1, dtype=np.int64)
        ratio = math.sin(min(arc, math.pi / 2)) / max(math.cos(math.radians(lat)), 1e-12)
        pole_inside = lat_hi >= 90.0 or lat_lo <= -90.0
        if pole_inside or ratio >= 1.0 or arc >= math.pi / 2:
            lon_lo, lon_hi = -180.0, 180.0
        else:
            dlon = math.degrees(math.asin(ratio)) * (1 + 1e-9) + _SLACK_DEG
            lon_lo, lon_hi = lon - dlon, lon + dlon
            if lon_lo < -180.0 or lon_hi > 180.0:  # crosses the antimeridian: take whole bands
                lon_lo, lon_hi = -180.0, 180.0
        base = bands * _BAND_STRIDE + 180.0
        starts = np.searchsorted(self.keys, base + lon_lo, side="left")
        ends = np.searchsorted(self.keys, base + lon_hi, side="right")
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # positions = concatenation of ranges [starts[i], ends[i]) without a Python loop
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        positions = np.arange(total, dtype=np.int64) + offsets
        found: IntArray = self.order[positions]
        return found
