"""Availability on a quarter-hour grid of the Korean week.

Rules (the index and the brute-force reference both implement exactly these):
- All schedule times are Asia/Seoul local time. Korea has had no daylight saving time since 1988,
  so local time is UTC+09:00 throughout.
- The week is cut into 672 cells of 15 minutes, cell 0 = Monday 00:00-00:15.
- A weekly slot (weekday, start, end) makes available every cell it covers *completely*
  (a slot 09:10-12:00 covers 09:15-12:00). An end at or before the start means the slot runs
  past midnight into the next day. An end of 23:59 means midnight: HH:MM cannot say 24:00, and
  the day's last quarter-hour would otherwise never be bookable (so a caregiver with 00:00-23:59
  every day can take a visit across midnight).
- A care window needs every cell it *touches* (a window 09:10-11:00 needs 09:00-11:00).
- A window also needs the caregiver to have no day off on any local date it touches and no
  booking (requested, confirmed, in progress) overlapping it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

KST = timezone(timedelta(hours=9), "KST")
CELL_SECONDS = 15 * 60
CELLS_PER_DAY = 24 * 4
CELLS_PER_WEEK = 7 * CELLS_PER_DAY
MAX_WINDOW = timedelta(hours=24)
END_OF_DAY = time(23, 59)  # a slot's end that stands for 24:00 (the module docstring says why)


def _seconds_of_day(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@lru_cache(maxsize=4096)
def slot_cells(weekday: int, start: time, end: time) -> tuple[int, ...]:
    """Week cells a weekly slot covers completely (weekday 0 = Monday)."""
    begin = weekday * 86400 + _seconds_of_day(start)
    finish = weekday * 86400 + (86400 if end == END_OF_DAY else _seconds_of_day(end))
    if finish <= begin:
        finish += 86400
    first = -(-begin // CELL_SECONDS)  # ceil
    last = finish // CELL_SECONDS  # exclusive
    return tuple(cell % CELLS_PER_WEEK for cell in range(first, last))


def window_cells(start: datetime, end: datetime) -> list[int]:
    """Week cells a window touches; start/end are timezone-aware."""
    local = start.astimezone(KST)
    begin = local.weekday() * 86400 + _seconds_of_day(local.time())
    finish = begin + int((end - start).total_seconds())
    first = begin // CELL_SECONDS
    last = -(-finish // CELL_SECONDS)
    return [cell % CELLS_PER_WEEK for cell in range(first, last)]


def window_dates(start: datetime, end: datetime) -> list[date]:
    """Local dates a window [start, end) touches."""
    first = start.astimezone(KST).date()
    last = (end - timedelta(microseconds=1)).astimezone(KST).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()
