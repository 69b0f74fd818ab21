"""The grid rules of homecare_matching.timegrid at the day's edges."""

from __future__ import annotations

from datetime import datetime, time

from homecare_matching.timegrid import CELLS_PER_DAY, KST, slot_cells, window_cells


def test_a_slot_covers_only_the_cells_it_covers_completely() -> None:
    cells = slot_cells(0, time(9, 10), time(12, 0))
    assert cells == tuple(range(9 * 4 + 1, 12 * 4))  # 09:15 .. 11:45-12:00


def test_an_end_of_2359_runs_to_midnight() -> None:
    assert slot_cells(2, time(0, 0), time(23, 59)) == tuple(
        range(2 * CELLS_PER_DAY, 3 * CELLS_PER_DAY)
    )
    assert slot_cells(2, time(23, 0), time(23, 59))[-1] == 3 * CELLS_PER_DAY - 1


def test_other_ends_are_kept_and_an_early_end_runs_into_the_next_day() -> None:
    assert slot_cells(2, time(22, 0), time(23, 45))[-1] == 2 * CELLS_PER_DAY + 23 * 4 + 2
    assert slot_cells(6, time(22, 0), time(2, 0)) == tuple(
        [6 * CELLS_PER_DAY + c for c in range(22 * 4, 24 * 4)] + list(range(0, 2 * 4))
    )


def test_all_day_every_day_covers_a_visit_across_midnight() -> None:
    covered = {c for day in range(7) for c in slot_cells(day, time(0, 0), time(23, 59))}
    visit = window_cells(
        datetime(2026, 12, 3, 23, 35, tzinfo=KST), datetime(2026, 12, 4, 0, 35, tzinfo=KST)
    )
    assert set(visit) <= covered
