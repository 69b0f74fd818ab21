"""Per-key sets of index rows (days off by date, bookings by date) with cached numpy views.

Queries need "which of these rows are off on 2026-12-03" thousands of times per second while
edits are rare, so each key keeps a Python structure for edits and a lazily rebuilt array view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

K = TypeVar("K", bound=Hashable)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class RowFlags(Generic[K]):
    """key -> set of rows, queried as a boolean mask over rows."""

    def __init__(self) -> None:
        self._rows: dict[K, set[int]] = defaultdict(set)
        self._keys_of_row: dict[int, set[K]] = {}
        self._masks: dict[K, BoolArray] = {}

    def set_row(self, row: int, keys: set[K]) -> None:
        old = self._keys_of_row.pop(row, set())
        for key in old - keys:
            self._rows[key].discard(row)
            self._masks.pop(key, None)
        for key in keys - old:
            self._rows[key].add(row)
            self._masks.pop(key, None)
        if keys:
            self._keys_of_row[row] = set(keys)

    def flagged(self, key: K, rows: IntArray, capacity: int) -> BoolArray:
        members = self._rows.get(key)
        if not members:
            return np.zeros(len(rows), dtype=bool)
        mask = self._masks.get(key)
        if mask is None or len(mask) < capacity:
            mask = np.zeros(capacity, dtype=bool)
            mask[np.fromiter(members, dtype=np.int64, count=len(members))] = True
            self._masks[key] = mask
        result: BoolArray = mask[rows]
        return result


class RowIntervals(Generic[K]):
    """key -> (row, start, end) intervals, queried for overlap with [start, end)."""

    def __init__(self) -> None:
        self._by_key: dict[K, dict[int, list[tuple[float, float]]]] = defaultdict(dict)
        self._keys_of_row: dict[int, set[K]] = {}
        self._arrays: dict[K, tuple[IntArray, FloatArray, FloatArray]] = {}

    def set_row(self, row: int, intervals: dict[K, list[tuple[float, float]]]) -> None:
        for key in self._keys_of_row.pop(row, set()):
            self._by_key[key].pop(row, None)
            self._arrays.pop(key, None)
        for key, spans in intervals.items():
            self._by_key[key][row] = spans
            self._arrays.pop(key, None)
        if intervals:
            self._keys_of_row[row] = set(intervals)

    def overlapping_rows(self, key: K, start: float, end: float) -> IntArray:
        entries = self._by_key.get(key)
        if not entries:
            return np.empty(0, dtype=np.int64)
        arrays = self._arrays.get(key)
        if arrays is None:
            flat = [(row, s, e) for row, spans in entries.items() for s, e in spans]
            rows = np.fromiter((f[0] for f in flat), dtype=np.int64, count=len(flat))
            starts = np.fromiter((f[1] for f in flat), dtype=np.float64, count=len(flat))
            ends = np.fromiter((f[2] for f in flat), dtype=np.float64, count=len(flat))
            arrays = (rows, starts, ends)
            self._arrays[key] = arrays
        rows, starts, ends = arrays
        hit: IntArray = rows[(starts < end) & (ends > start)]
        return hit
