"""The candidate index: every matchable caregiver in columnar numpy arrays plus a grid.

A query runs in three vectorised steps over a shrinking set of rows:
1. spatial: rows in the request's max-distance box from the latitude-band grid (`grid`), plus
   rows that moved since the grid was built; then exact haversine against both the request's
   max distance and each caregiver's own service radius;
2. skills (bitmask), weekly availability (672 quarter-hour cells as 64-bit words), days off,
   bookings;
3. score (see `scoring`) and top-k.
Edits (`upsert`/`remove`) are O(1) array writes; the grid is rebuilt off the event loop when
enough rows moved (`grid_is_stale`), and moved rows are checked exactly until then.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from homecare_matching import scoring
from homecare_matching.geo import EARTH_RADIUS_KM, haversine_km_many
from homecare_matching.grid import SpatialGrid
from homecare_matching.model import (
    Caregiver,
    CareRequest,
    Component,
    Exclusions,
    Match,
    MatchResult,
)
from homecare_matching.rowsets import RowFlags, RowIntervals
from homecare_matching.timegrid import CELLS_PER_WEEK, epoch, slot_cells, window_cells, window_dates
from homecare_shared.vocabulary import Gender, Language, Skill

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SKILL_BITS: dict[str, int] = {skill.value: 1 << i for i, skill in enumerate(Skill)}
LANGUAGE_BITS: dict[str, int] = {language.value: 1 << i for i, language in enumerate(Language)}
GENDER_CODES = {gender: i for i, gender in enumerate(Gender)}
STALE_GRID_ROWS = 512
AVAILABILITY_WORDS = -(-CELLS_PER_WEEK // 64)
_WORD = (1 << 64) - 1


def _bits(values: Iterable[str], table: dict[str, int]) -> int:
    mask = 0
    for value in values:
        mask |= table[value]
    return mask


def _reach_term(km: float) -> float:
    """sin²(angle / 2) of a great-circle distance: the haversine `h` at exactly `km`."""
    return math.sin(min(math.pi, km / EARTH_RADIUS_KM) / 2) ** 2


def _words(cells: Iterable[int]) -> list[int]:
    """Week cells as AVAILABILITY_WORDS 64-bit words (bit i of word w = cell 64·w + i)."""
    bits = 0
    for cell in cells:
        bits |= 1 << cell
    return [(bits >> (64 * w)) & _WORD for w in range(AVAILABILITY_WORDS)]


def _words_needed(cells: Iterable[int]) -> dict[int, np.uint64]:
    needed: dict[int, int] = {}
    for cell in cells:
        needed[cell // 64] = needed.get(cell // 64, 0) | (1 << (cell % 64))
    return {word: np.uint64(bits) for word, bits in needed.items()}


@dataclass
class Feasible:
    """Rows passing every hard constraint for one request, with their distances."""

    rows: IntArray
    distances: FloatArray
    considered: int
    excluded: Exclusions


class CandidateIndex:
    def __init__(self, capacity: int = 1024) -> None:
        self._row_of: dict[str, int] = {}
        self._ids: list[str] = []
        self._alloc(capacity)
        self._days_off: RowFlags[date] = RowFlags()
        self._busy: RowIntervals[date] = RowIntervals()
        self._grid: SpatialGrid | None = None
        self._moved: dict[int, int] = {}  # row -> change number of its last move
        self._changes = 0
        self.loaded = False

    # ---------------------------------------------------------------- storage
    def _alloc(self, capacity: int) -> None:
        self._capacity = capacity
        self.lat = np.zeros(capacity)
        self.lon = np.zeros(capacity)
        self.radius = np.zeros(capacity)
        self.cos_lat = np.zeros(capacity)
        self.reach_h = np.zeros(capacity)
        self.skills = np.zeros(capacity, dtype=np.int64)
        self.languages = np.zeros(capacity, dtype=np.int64)
        self.gender = np.zeros(capacity, dtype=np.int8)
        self.rating = np.zeros(capacity)
        self.load = np.zeros(capacity, dtype=np.int64)
        self.active = np.zeros(capacity, dtype=bool)
        self.available = np.zeros((capacity, AVAILABILITY_WORDS), dtype=np.uint64)
        self._moved_mask = np.zeros(capacity, dtype=bool)

    def _grow(self) -> None:
        old = {
            name: getattr(self, name)
            for name in (
                "lat", "lon", "radius", "cos_lat", "reach_h", "skills", "languages",
                "gender", "rating", "load", "active", "available", "_moved_mask",
            )
        }  # fmt: skip
        n = len(self._ids)
        self._alloc(self._capacity * 2)
        for name, array in old.items():
            getattr(self, name)[:n] = array[:n]

    def __len__(self) -> int:
        return int(self.active[: len(self._ids)].sum())

    def __contains__(self, caregiver_id: str) -> bool:
        row = self._row_of.get(caregiver_id)
        return row is not None and bool(self.active[row])

    def upsert(self, cg: Caregiver) -> None:
        row = self._row_of.get(cg.id)
        if row is None:
            if len(self._ids) == self._capacity:
                self._grow()
            row = len(self._ids)
            self._ids.append(cg.id)
            self._row_of[cg.id] = row
            moved = True
        else:
            moved = (self.lat[row], self.lon[row]) != (cg.latitude, cg.longitude)
        self.lat[row], self.lon[row] = cg.latitude, cg.longitude
        if moved:
            self._changes += 1
            self._moved[row] = self._changes
            self._moved_mask[row] = True
        self.radius[row] = cg.service_radius_km
        self.cos_lat[row] = math.cos(math.radians(cg.latitude))
        self.reach_h[row] = _reach_term(cg.service_radius_km)
        self.skills[row] = _bits(cg.skills, SKILL_BITS)
        self.languages[row] = _bits(cg.languages, LANGUAGE_BITS)
        self.gender[row] = GENDER_CODES[cg.gender]
        self.rating[row] = scoring.rating_value(cg.rating_avg, cg.rating_count)
        self.load[row] = cg.load
        self.available[row] = _words(
            cell for slot in cg.slots for cell in slot_cells(slot.weekday, slot.start, slot.end)
        )
        self._days_off.set_row(row, set(cg.days_off))
        spans: dict[date, list[tuple[float, float]]] = {}
        for busy in cg.busy:
            for day in window_dates(busy.start, busy.end):
                spans.setdefault(day, []).append((epoch(busy.start), epoch(busy.end)))
        self._busy.set_row(row, spans)
        self.active[row] = True

    def remove(self, caregiver_id: str) -> None:
        row = self._row_of.get(caregiver_id)
        if row is not None:
            self.active[row] = False
            self._days_off.set_row(row, set())
            self._busy.set_row(row, {})

    def replace_all(self, caregivers: Iterable[Caregiver]) -> None:
        """Full resync: upsert everything given, deactivate everyone else."""
        seen: set[str] = set()
        for cg in caregivers:
            self.upsert(cg)
            seen.add(cg.id)
        for caregiver_id in set(self._row_of) - seen:
            self.remove(caregiver_id)

    # ---------------------------------------------------------------- spatial grid
    def grid_is_stale(self) -> bool:
        return self._grid is None or len(self._moved) >= STALE_GRID_ROWS

    def grid_snapshot(self) -> tuple[FloatArray, FloatArray, int]:
        """Points to build a grid from (off the event loop) and the change number they reflect."""
        n = len(self._ids)
        return self.lat[:n].copy(), self.lon[:n].copy(), self._changes

    def install_grid(self, grid: SpatialGrid, as_of_change: int) -> None:
        self._grid = grid
        self._moved = {row: n for row, n in self._moved.items() if n > as_of_change}
        self._moved_mask[:] = False
        self._moved_mask[list(self._moved)] = True

    def rebuild_grid(self) -> None:
        lat, lon, as_of = self.grid_snapshot()
        self.install_grid(SpatialGrid(lat, lon), as_of)

    def _near_rows(self, request: CareRequest) -> IntArray:
        if self._grid is None:
            self.rebuild_grid()
        grid = self._grid
        if grid is None:  # pragma: no cover - rebuild_grid always installs one
            raise RuntimeError("spatial grid missing after rebuild")
        found = grid.rows_near(request.latitude, request.longitude, request.max_distance_km)
        if self._moved:
            found = found[~self._moved_mask[found]]
            extra = np.fromiter(self._moved, dtype=np.int64, count=len(self._moved))
            found = np.concatenate((found, extra))
        return found

    # ---------------------------------------------------------------- queries
    def _row_mask(self, rows: IntArray) -> BoolArray:
        mask = np.zeros(self._capacity, dtype=bool)
        mask[rows] = True
        return mask

    def _maybe_within(self, request: CareRequest, rows: IntArray) -> BoolArray:
        """Cheap superset of the distance rule: the haversine term h against sin²(d / 2R).

        h grows with distance, so comparing it to the per-row limit skips sqrt/arcsin and one
        cosine per row; the slack keeps boundary cases for the exact haversine test after it.
        """
        lat = math.radians(request.latitude)
        dphi = np.radians(self.lat[rows]) - lat
        dlam = np.radians(self.lon[rows] - request.longitude)
        h = np.sin(dphi / 2) ** 2 + math.cos(lat) * self.cos_lat[rows] * np.sin(dlam / 2) ** 2
        limit = np.minimum(_reach_term(request.max_distance_km), self.reach_h[rows])
        result: BoolArray = h <= limit * (1 + 1e-7) + 1e-15
        return result

    def feasible(self, request: CareRequest) -> Feasible:
        n = len(self._ids)
        considered = int(self.active[:n].sum())
        excluded = Exclusions()
        rows = self._near_rows(request)
        rows = rows[self.active[rows]]
        lat, lon = request.latitude, request.longitude
        rows = rows[self._maybe_within(request, rows)]
        dist = haversine_km_many(lat, lon, self.lat[rows], self.lon[rows])
        reach = (dist <= request.max_distance_km) & (dist <= self.radius[rows])
        rows, dist = rows[reach], dist[reach]
        excluded.distance = considered - len(rows)

        need = _bits(request.required_skills, SKILL_BITS)
        ok = (self.skills[rows] & need) == need
        excluded.skills = int((~ok).sum())
        rows, dist = rows[ok], dist[ok]

        ok = np.ones(len(rows), dtype=bool)
        booked = np.zeros(len(rows), dtype=bool)
        for window in request.windows:
            for word, bits in _words_needed(window_cells(window.start, window.end)).items():
                ok &= (self.available[rows, word] & bits) == bits
            start, end = epoch(window.start), epoch(window.end)
            for day in window_dates(window.start, window.end):
                ok &= ~self._days_off.flagged(day, rows, self._capacity)
                busy_rows = self._busy.overlapping_rows(day, start, end)
                if len(busy_rows):
                    booked |= self._row_mask(busy_rows)[rows]
        excluded.availability = int((~ok).sum())
        rows, dist, booked = rows[ok], dist[ok], booked[ok]
        excluded.booked = int(booked.sum())
        return Feasible(rows[~booked], dist[~booked], considered, excluded)

    def component_values(
        self, request: CareRequest, rows: IntArray, dist: FloatArray
    ) -> dict[str, FloatArray]:
        previous = [self._row_of[i] for i in request.previous_caregiver_ids if i in self._row_of]
        ones = np.ones(len(rows))
        language = ones
        if request.preferred_languages:
            wanted = _bits(request.preferred_languages, LANGUAGE_BITS)
            language = ((self.languages[rows] & wanted) != 0).astype(float)
        gender = ones
        if request.preferred_gender is not None:
            gender = (self.gender[rows] == GENDER_CODES[request.preferred_gender]).astype(float)
        return {
            "distance": np.maximum(0.0, 1 - dist / request.max_distance_km),
            "rating": self.rating[rows],
            "continuity": self._row_mask(np.array(previous, dtype=np.int64))[rows].astype(float),
            "language": language,
            "gender": gender,
            "fairness": 1 - np.minimum(self.load[rows], scoring.LOAD_CAP) / scoring.LOAD_CAP,
        }

    def scores(self, request: CareRequest, rows: IntArray, dist: FloatArray) -> FloatArray:
        values = self.component_values(request, rows, dist)
        total = np.zeros(len(rows))
        for name, weight in scoring.WEIGHTS.items():
            total = total + values[name] * weight
        rounded: FloatArray = np.round(total, scoring.SCORE_DECIMALS)
        return rounded

    def match(self, request: CareRequest) -> MatchResult:
        found = self.feasible(request)
        rows, dist = found.rows, found.distances
        values = self.component_values(request, rows, dist)
        score = self.scores(request, rows, dist)
        if len(rows) > request.k:
            threshold = np.partition(score, len(score) - request.k)[len(score) - request.k]
            keep = np.flatnonzero(score >= threshold)
        else:
            keep = np.arange(len(rows))
        order = sorted(keep.tolist(), key=lambda i: (-score[i], self._ids[rows[i]]))
        matches = [
            Match(
                self._ids[rows[i]],
                float(score[i]),
                float(dist[i]),
                {
                    name: Component(float(values[name][i]), weight)
                    for name, weight in scoring.WEIGHTS.items()
                },
            )
            for i in order[: request.k]
        ]
        return MatchResult(matches, found.considered, found.excluded)

    def caregiver_id(self, row: int) -> str:
        return self._ids[row]
