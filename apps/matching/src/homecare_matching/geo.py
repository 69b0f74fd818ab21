"""Great-circle geometry on a spherical Earth.

Distances are haversine great-circle kilometres on a sphere of the IUGG mean radius. Within
Seoul/Gyeonggi the spherical error against the WGS-84 ellipsoid is below 0.5 %, far less than the
difference between straight-line and road distance, and it is what PostGIS `geography` computes
with `use_spheroid => false`, so the PostGIS baseline can reproduce it exactly.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
FloatArray = npt.NDArray[np.float64]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def haversine_km_many(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Distances from one point to many (degrees in, km out), vectorised."""
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return result
