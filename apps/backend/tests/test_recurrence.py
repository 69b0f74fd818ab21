"""Weekly recurrence in Asia/Seoul: occurrences, horizon, bad patterns."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from homecare_backend.bookings.recurrence import Recurrence, RecurrenceError, WeeklySlot

KST = ZoneInfo("Asia/Seoul")
MON_9 = WeeklySlot(0, time(9), 120)
THU_14 = WeeklySlot(3, time(14, 30), 90)


def test_weekly_slots_until_an_end_date() -> None:
    # 2026-03-02 is a Monday; to 2026-03-15 → Mon 2, Thu 5, Mon 9, Thu 12.
    rec = Recurrence([THU_14, MON_9], date(2026, 3, 2), end_date=date(2026, 3, 15))
    got = rec.occurrences()
    assert [s for s, _ in got] == [
        datetime(2026, 3, 2, 9, tzinfo=KST),
        datetime(2026, 3, 5, 14, 30, tzinfo=KST),
        datetime(2026, 3, 9, 9, tzinfo=KST),
        datetime(2026, 3, 12, 14, 30, tzinfo=KST),
    ]
    assert [e - s for s, e in got] == [timedelta(minutes=m) for m in (120, 90, 120, 90)]


def test_count_and_rolling_horizon() -> None:
    rec = Recurrence([MON_9], date(2026, 3, 3), count=10)  # first Monday is 03-09
    all_visits = rec.occurrences()
    assert len(all_visits) == 10
    assert all_visits[0][0] == datetime(2026, 3, 9, 9, tzinfo=KST)
    assert all_visits[-1][0] == datetime(2026, 5, 11, 9, tzinfo=KST)
    window = rec.occurrences(until=date(2026, 3, 31))
    assert [s.day for s, _ in window] == [9, 16, 23, 30]


@pytest.mark.parametrize(
    ("rec", "code"),
    [
        (Recurrence([], date(2026, 3, 2), count=1), "recurrence_empty"),
        (Recurrence([MON_9], date(2026, 3, 2)), "recurrence_unbounded"),
        (Recurrence([MON_9], date(2026, 3, 2), date(2026, 3, 1)), "recurrence_ends_before_start"),
        (Recurrence([MON_9], date(2026, 3, 3), date(2026, 3, 8)), "recurrence_no_occurrence"),
        (Recurrence([MON_9], date(2026, 3, 2), date(2028, 1, 1)), "recurrence_too_long"),
        (Recurrence([MON_9], date(2026, 3, 2), count=0), "recurrence_too_long"),
        (
            Recurrence([WeeklySlot(7, time(9), 60)], date(2026, 3, 2), count=1),
            "recurrence_bad_slot",
        ),
        (
            Recurrence([WeeklySlot(0, time(9), 10)], date(2026, 3, 2), count=1),
            "recurrence_bad_slot",
        ),
    ],
)
def test_bad_patterns_have_stable_codes(rec: Recurrence, code: str) -> None:
    with pytest.raises(RecurrenceError) as err:
        rec.occurrences()
    assert err.value.code == code
