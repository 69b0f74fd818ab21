"""The PostGIS baseline: the same data in the backend's schema, the same rules and score in SQL.

What an operator would otherwise write: a `geography` column with a GiST index, `ST_DWithin`
to use it, `<->` KNN ordering of the candidates, then the hard filters and the weighted score
(see `homecare_matching.scoring`) in SQL. Distances use the sphere (`use_spheroid => false`),
as the index does.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from homecare_matching.model import CareRequest
from homecare_matching.timegrid import window_cells, window_dates

SETUP = """
CREATE EXTENSION IF NOT EXISTS postgis;
ALTER TABLE caregiver_profiles ADD COLUMN geog geography(Point, 4326)
  GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED;
CREATE INDEX ix_bench_caregiver_geog ON caregiver_profiles USING gist (geog);
ANALYZE;
"""

QUERY = """
WITH q AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g),
near AS (
  SELECT p.id, p.skills, p.languages, p.gender, p.rating_avg, p.rating_count,
         p.service_radius_km, ST_Distance(p.geog, q.g, false) / 1000.0 AS d
  FROM caregiver_profiles p, q
  WHERE p.verification_status = 'verified' AND ST_DWithin(p.geog, q.g, $3 * 1000.0, false)
  ORDER BY p.geog <-> q.g
),
feasible AS (
  SELECT n.* FROM near n
  WHERE n.d <= $3 AND n.d <= n.service_radius_km
    AND n.skills @> $4::varchar[]
    AND NOT EXISTS (
      SELECT 1 FROM unnest($5::int[]) AS c(cell) WHERE NOT EXISTS (
        SELECT 1 FROM caregiver_weekly_slots s
        WHERE s.caregiver_id = n.id AND s.weekday = c.cell / 96
          AND ceil(extract(epoch FROM s.start_time) / 900) <= c.cell % 96
          AND floor(extract(epoch FROM s.end_time) / 900) > c.cell % 96))
    AND NOT EXISTS (
      SELECT 1 FROM caregiver_days_off o WHERE o.caregiver_id = n.id AND o.day = ANY($6::date[]))
    AND NOT EXISTS (
      SELECT 1 FROM bookings b, unnest($7::timestamptz[], $8::timestamptz[]) AS w(ws, we)
      WHERE b.caregiver_id = n.id AND b.status IN ('requested', 'confirmed', 'in_progress')
        AND b.start_at < w.we AND b.end_at > w.ws)
)
SELECT f.id::text AS id, f.d, round((
    0.35 * greatest(0.0, 1 - f.d / $3)
  + 0.25 * (CASE WHEN f.rating_avg IS NULL OR f.rating_count <= 0 THEN 0.8
            ELSE (f.rating_avg * f.rating_count + 20.0) / (f.rating_count + 5) / 5 END)
  + 0.20 * (CASE WHEN f.id = ANY($9::uuid[]) THEN 1 ELSE 0 END)
  + 0.10 * (CASE WHEN cardinality($10::varchar[]) = 0 OR f.languages && $10::varchar[]
            THEN 1 ELSE 0 END)
  + 0.05 * (CASE WHEN $11::text IS NULL OR f.gender = $11::text THEN 1 ELSE 0 END)
  + 0.05 * (1 - least((SELECT count(*) FROM bookings b
                       WHERE b.caregiver_id = f.id AND b.end_at > now()
                         AND b.status IN ('requested', 'confirmed', 'in_progress')), 10) / 10.0)
  )::numeric, 9)::float8 AS score
FROM feasible f
ORDER BY score DESC, f.id::text
LIMIT $12
"""


def query_args(request: CareRequest) -> list[Any]:
    cells = sorted({c for w in request.windows for c in window_cells(w.start, w.end)})
    dates = sorted({d for w in request.windows for d in window_dates(w.start, w.end)})
    return [
        request.longitude,
        request.latitude,
        request.max_distance_km,
        sorted(request.required_skills),
        cells,
        dates,
        [w.start for w in request.windows],
        [w.end for w in request.windows],
        sorted(request.previous_caregiver_ids),
        sorted(request.preferred_languages),
        request.preferred_gender.value if request.preferred_gender else None,
        request.k,
    ]


async def prepare(conn: asyncpg.Connection) -> Any:
    return await conn.prepare(QUERY)
