"""Weekly recurrence in Asia/Seoul time: which visits a pattern produces.

A pattern is one or more weekly slots (weekday 0=Mon…6=Sun, local start time, duration) from a
start date to an end date (inclusive) or for a number of visits. Occurrences are produced in
order; `until` cuts them at a horizon (the worker materialises a rolling window).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
MAX_SPAN = timedelta(days=366)
MAX_COUNT = 400


class RecurrenceError(ValueError):
    """The pattern is invalid or produces no visit; `code` is the API's stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int
    start: time
    duration_minutes: int


@dataclass(frozen=True)
class Recurrence:
    slots: Sequence[WeeklySlot]
    start_date: date
    end_date: date | None = None
    count: int | None = None

    def validate(self) -> None:
        if not self.slots:
            raise RecurrenceError("recurrence_empty", "A recurring pattern needs a weekly slot.")
        if (self.end_date is None) == (self.count is None):
            raise RecurrenceError(
                "recurrence_unbounded", "Give either an end date or a number of visits."
            )
        if self.end_date is not None and self.end_date < self.start_date:
            raise RecurrenceError(
                "recurrence_ends_before_start", "The end date is before the start."
            )
        if self.end_date is not None and self.end_date - self.start_date > MAX_SPAN:
            raise RecurrenceError("recurrence_too_long", "A series spans at most one year.")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise RecurrenceError("recurrence_too_long", f"A series has 1 to {MAX_COUNT} visits.")
        for slot in self.slots:
            if not 0 <= slot.weekday <= 6:
                raise RecurrenceError("recurrence_bad_slot", "weekday is 0 (Mon) to 6 (Sun).")
            if not 30 <= slot.duration_minutes <= 12 * 60:
                raise RecurrenceError("recurrence_bad_slot", "A visit lasts 30 min to 12 h.")

    def _all(self) -> Iterator[tuple[datetime, datetime]]:
        ordered = sorted(self.slots, key=lambda s: (s.weekday, s.start))
        day = self.start_date
        last = self.end_date or self.start_date + MAX_SPAN
        produced = 0
        while day <= last:
            for slot in ordered:
                if slot.weekday != day.weekday():
                    continue
                start = datetime.combine(day, slot.start, SEOUL)
                yield start, start + timedelta(minutes=slot.duration_minutes)
                produced += 1
                if self.count is not None and produced >= self.count:
                    return
            day += timedelta(days=1)

    def occurrences(self, until: date | None = None) -> list[tuple[datetime, datetime]]:
        """Visits in order, those starting on or before `until` (Asia/Seoul) when given."""
        self.validate()
        found: list[tuple[datetime, datetime]] = []
        for start, end in self._all():
            if until is not None and start.date() > until:
                break
            found.append((start, end))
        if not found and until is None:
            raise RecurrenceError(
                "recurrence_no_occurrence", "The pattern produces no visit between its dates."
            )
        return found
