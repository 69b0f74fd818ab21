"""장기요양 calculator against hand-computed examples (expected figures worked out by hand from
the tables in the data files, not from the code under test)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from homecare_backend.billing.calculator import (
    Charge,
    Surcharge,
    bathing_price,
    home_care_price,
    is_public_holiday,
    private_price,
    split_month,
)
from homecare_backend.billing.tables import (
    BathingKind,
    CopayCategory,
    Grade,
    NoTableError,
    all_tables,
    resolve,
    table_for,
)

KST = ZoneInfo("Asia/Seoul")


def kst(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=KST)


TUE = (2025, 3, 4)  # an ordinary Tuesday (2025-03-03 is the substitute holiday for 삼일절)
SUN = (2025, 3, 9)


def test_tables_load_with_effective_dates_and_unverified_marks() -> None:
    years = {t.year: t for t in all_tables()}
    assert set(years) >= {2025, 2026}
    assert years[2025].effective_from == date(2025, 1, 1)
    assert years[2026].effective_from == date(2026, 1, 1)
    assert "제2025-247호" in years[2026].source
    assert "home_care_fee" in years[2026].unverified
    assert "home_care_fee" not in years[2025].unverified
    assert table_for(date(2025, 12, 31)).year == 2025
    assert table_for(date(2026, 1, 1)).year == 2026
    with pytest.raises(NoTableError):
        table_for(date(2019, 1, 1))


@pytest.mark.parametrize(
    ("minutes", "fee"),
    [
        (29, 0),
        (30, 16940),
        (59, 16940),
        (60, 24580),
        (90, 33120),
        (120, 42160),
        (149, 42160),
        (150, 49160),
        (180, 55350),
        (210, 61670),
        (240, 68030),
        (300, 68030),
    ],
)
def test_home_care_fee_by_length_in_30_minute_steps(minutes: int, fee: int) -> None:
    start = kst(*TUE, 9)
    price = home_care_price(start, start + timedelta(minutes=minutes))
    assert (price.base_krw, price.surcharge_krw, price.total_krw) == (fee, 0, fee)


@pytest.mark.parametrize(
    ("start", "end", "total", "kinds"),
    [
        # 18–20 h on a Tuesday: all evening, 42,160 + 20% = 8,432
        (kst(*TUE, 18), kst(*TUE, 20), 50592, {Surcharge.EVENING}),
        # 17–19 h: half the time in the evening → +10% = 4,216
        (kst(*TUE, 17), kst(*TUE, 19), 46376, {Surcharge.NONE, Surcharge.EVENING}),
        # 22–24 h: night, +30% = 12,648
        (kst(*TUE, 22), kst(2025, 3, 5, 0), 54808, {Surcharge.NIGHT}),
        # 05–07 h: one hour night → +15% = 6,324
        (kst(*TUE, 5), kst(*TUE, 7), 48484, {Surcharge.NIGHT, Surcharge.NONE}),
        # 21–23 h: 1 h evening (20%) + 1 h night (30%) → +25% = 10,540
        (kst(*TUE, 21), kst(*TUE, 23), 52700, {Surcharge.EVENING, Surcharge.NIGHT}),
        # Sunday 10–12 h: +30%
        (kst(*SUN, 10), kst(*SUN, 12), 54808, {Surcharge.HOLIDAY}),
        # Sunday 19–21 h: holiday 30% and evening 20% are not stacked → +30%, not +50%
        (kst(*SUN, 19), kst(*SUN, 21), 54808, {Surcharge.HOLIDAY}),
        # Sunday 22–24 h: night 30% and holiday 30% → still +30%
        (kst(*SUN, 22), kst(2025, 3, 10, 0), 54808, {Surcharge.HOLIDAY}),
    ],
)
def test_surcharges_on_time_served_never_stacked(
    start: datetime, end: datetime, total: int, kinds: set[Surcharge]
) -> None:
    price = home_care_price(start, end)
    assert price.base_krw == 42160
    assert price.total_krw == total
    assert set(price.surcharge_seconds) == kinds


def test_a_visit_served_under_a_second_costs_nothing() -> None:
    # Check-out right after check-in (served times come from visit verification).
    start = kst(2026, 3, 2, 23)  # at night: a surcharge would apply to billable time
    price = home_care_price(start, start + timedelta(milliseconds=400))
    assert (price.total_krw, price.served_minutes, price.billed_minutes) == (0, 0, 0)


def test_surcharge_uses_asia_seoul_time_not_utc() -> None:
    # 09:00–11:00 UTC is 18:00–20:00 in Seoul: evening.
    start = datetime(2025, 3, 4, 9, tzinfo=UTC)
    assert home_care_price(start, start + timedelta(hours=2)).total_krw == 50592


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 10, 3),  # 개천절 (Friday)
        date(2025, 5, 5),  # 어린이날 and 부처님오신날 (Monday)
        date(2025, 5, 6),  # the substitute holiday for 부처님오신날
        date(2026, 1, 1),  # 신정
    ],
)
def test_public_holidays_come_from_the_library(day: date) -> None:
    assert is_public_holiday(day)
    assert day.weekday() != 6


def test_visit_on_a_public_holiday_carries_30_percent() -> None:
    # 개천절 2025-10-03, 10–11 h: 24,580 + 30% = 7,374
    price = home_care_price(kst(2025, 10, 3, 10), kst(2025, 10, 3, 11))
    assert (price.base_krw, price.surcharge_krw, price.total_krw) == (24580, 7374, 31954)
    # The substitute holiday 2025-05-06 (a Tuesday) too.
    assert home_care_price(kst(2025, 5, 6, 10), kst(2025, 5, 6, 11)).total_krw == 31954
    # The next ordinary Wednesday does not.
    assert home_care_price(kst(2025, 5, 7, 10), kst(2025, 5, 7, 11)).total_krw == 24580


def test_the_table_in_force_on_the_seoul_date_prices_the_visit() -> None:
    assert home_care_price(kst(2025, 12, 31, 10), kst(2025, 12, 31, 11)).total_krw == 24580
    # 2026-01-01 (신정) with the 2026 table: 26,320 + 30% = 7,896
    price = home_care_price(kst(2026, 1, 1, 10), kst(2026, 1, 1, 11))
    assert (price.table_year, price.total_krw) == (2026, 34216)
    # 2025-12-31 15:30 UTC is already 2026-01-01 00:30 in Seoul.
    utc_start = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
    assert home_care_price(utc_start, utc_start + timedelta(hours=1)).table_year == 2026
    assert home_care_price(kst(2026, 3, 4, 9), kst(2026, 3, 4, 11)).total_krw == 45430


def test_bathing_and_private_prices() -> None:
    assert bathing_price(kst(*TUE, 10), BathingKind.VEHICLE_INSIDE).total_krw == 84670
    assert bathing_price(kst(*TUE, 10), BathingKind.NO_VEHICLE).total_krw == 47670
    # 15,000 KRW/h for 2 h 30 min
    assert private_price(kst(*TUE, 10), kst(*TUE, 12, 30), 15000) == 37500


@pytest.mark.parametrize(
    ("category", "amount", "copay", "nhis"),
    [
        (CopayCategory.STANDARD, 42160, 6324, 35836),  # 15%
        (CopayCategory.REDUCED_40, 33120, 2980, 30140),  # 9% of 33,120 = 2,980.8 → 2,980
        (CopayCategory.REDUCED_60, 16940, 1016, 15924),  # 6% of 16,940 = 1,016.4 → 1,016
        (CopayCategory.BASIC_LIVELIHOOD, 68030, 0, 68030),  # 0%
    ],
)
def test_each_copay_rate(category: CopayCategory, amount: int, copay: int, nhis: int) -> None:
    month = split_month(2025, 3, Grade.G3, category, [Charge("a", kst(*TUE, 9), amount)])
    [split] = month.charges
    assert (split.copay_krw, split.nhis_krw, split.above_limit_krw) == (copay, nhis, 0)
    assert split.family_krw == copay


@pytest.mark.parametrize(
    ("grade", "limit", "first_copay", "first_nhis"),
    [
        (Grade.G1, 2306400, 344460, 1951940),
        (Grade.G2, 2083400, 311010, 1762390),
        (Grade.G3, 1485700, 221355, 1254345),
        (Grade.G4, 1370600, 204090, 1156510),
        (Grade.G5, 1177000, 175050, 991950),
        (Grade.COGNITIVE, 657400, 97110, 550290),
    ],
)
def test_each_grade_limit_and_above_limit_self_pay(
    grade: Grade, limit: int, first_copay: int, first_nhis: int
) -> None:
    # First charge leaves 10,000 of the limit; the second (30,000) crosses it by 20,000.
    charges = [
        Charge("first", kst(*TUE, 9), limit - 10000),
        Charge("second", kst(2025, 3, 5, 9), 30000),
    ]
    month = split_month(2025, 3, grade, CopayCategory.STANDARD, charges)
    first, second = month.charges
    assert month.limit_krw == limit
    assert (first.copay_krw, first.nhis_krw, first.above_limit_krw) == (first_copay, first_nhis, 0)
    assert (second.copay_krw, second.nhis_krw, second.above_limit_krw) == (1500, 8500, 20000)
    assert second.family_krw == 21500
    assert month.limit_remaining_krw == 0


def test_2026_limits_apply_from_january() -> None:
    month = split_month(2026, 1, Grade.G3, CopayCategory.STANDARD, [])
    assert month.limit_krw == 1528200
    assert split_month(2026, 1, Grade.COGNITIVE, CopayCategory.STANDARD, []).limit_krw == 676320


def test_a_month_of_visits_crossing_the_grade_5_limit() -> None:
    # 18 weekday 4-hour visits in March 2025 (skipping the 3rd, a substitute holiday), grade 5,
    # standard 15%. 17 x 68,030 = 1,156,510 fits the 1,177,000 limit; the 18th has 20,490 left:
    # copay 17 x 10,204 (10,204.5 rounded down) + 3,073 (of 20,490) = 176,541,
    # NHIS 1,177,000 - 176,541 = 1,000,459, above the limit 68,030 - 20,490 = 47,540.
    weekdays = [d for d in range(4, 29) if date(2025, 3, d).weekday() < 5][:18]
    assert len(weekdays) == 18
    charges = [
        Charge(
            f"v{d}",
            kst(2025, 3, d, 9),
            home_care_price(kst(2025, 3, d, 9), kst(2025, 3, d, 13)).total_krw,
        )
        for d in weekdays
    ]
    private = Charge("private", kst(2025, 3, 29, 9), 37500, insured=False)
    month = split_month(2025, 3, Grade.G5, CopayCategory.STANDARD, [*charges, private])
    assert month.total("copay_krw") == 176541
    assert month.total("nhis_krw") == 1000459
    assert month.total("above_limit_krw") == 47540
    assert month.total("private_krw") == 37500
    assert sum(c.family_krw for c in month.charges) == 176541 + 47540 + 37500
    assert month.limit_remaining_krw == 0
    last = next(c for c in month.charges if c.key == f"v{weekdays[-1]}")
    assert (last.nhis_krw + last.copay_krw, last.above_limit_krw) == (20490, 47540)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="ends after"):
        home_care_price(kst(*TUE, 10), kst(*TUE, 9))
    with pytest.raises(ValueError, match="timezone"):
        home_care_price(datetime(2025, 3, 4, 9), datetime(2025, 3, 4, 10))
    with pytest.raises(ValueError, match="outside"):
        split_month(2025, 4, Grade.G1, CopayCategory.STANDARD, [Charge("x", kst(*TUE, 9), 1)])


@pytest.mark.parametrize("day", [date(2027, 1, 1), date(2027, 3, 9), date(2031, 5, 13)])
def test_after_the_last_table_the_latest_prices_provisionally(day: date) -> None:
    latest = max(all_tables(), key=lambda t: t.effective_from)
    choice = resolve(day)
    assert choice.table == latest
    assert choice.provisional is True
    assert choice.reason is not None
    assert f"No 장기요양 table for {day.year}" in choice.reason
    assert f"the {latest.year} table" in choice.reason


def test_a_date_inside_a_table_is_not_provisional() -> None:
    for day in (date(2025, 1, 1), date(2025, 12, 31), date(2026, 12, 31)):
        choice = resolve(day)
        assert (choice.provisional, choice.reason) == (False, None)
        assert choice.table.year == day.year
    with pytest.raises(NoTableError):
        resolve(date(2024, 12, 31))


def test_a_provisional_month_is_priced_and_split_with_the_latest_table() -> None:
    # Tuesday 2027-03-09 09–11 h with the 2026 table: 45,430; grade 3, 15%: 6,814 / 38,616.
    price = home_care_price(kst(2027, 3, 9, 9), kst(2027, 3, 9, 11))
    assert (price.table_year, price.total_krw) == (2026, 45430)
    # Sunday 2027-03-07 10–11 h: 26,320 + 30% = 7,896.
    assert home_care_price(kst(2027, 3, 7, 10), kst(2027, 3, 7, 11)).total_krw == 34216
    charges = [Charge("a", kst(2027, 3, 9, 9), 45430)]
    month = split_month(2027, 3, Grade.G3, CopayCategory.STANDARD, charges)
    assert (month.table_year, month.limit_krw, month.pricing.provisional) == (2026, 1528200, True)
    [split] = month.charges
    assert (split.copay_krw, split.nhis_krw) == (6814, 38616)
    assert split_month(2026, 3, Grade.G3, CopayCategory.STANDARD, []).pricing.provisional is False
