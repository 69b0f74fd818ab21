"""Pure 장기요양 pricing: visit fees, surcharges, and the month's NHIS / co-pay / self-pay split.

Rules (figures from the yearly tables in `tables.py`):
- 방문요양 fee by the length actually served, in 30-minute steps rounded down (30–59 min is the
  30-minute fee, 240 min and more the 240-minute fee); under 30 minutes is not billable.
- Surcharges +20% evening (18–22 h), +30% night (22–06 h), +30% Sundays and Korean public
  holidays, in Asia/Seoul time. They are never stacked: each moment served carries the highest
  rate that applies to it, and the fee's surcharge is the time-weighted share of those rates
  over the time actually served (a 2 h visit with 1 h in the evening carries +10%).
- 방문목욕 is a flat fee per visit (no time surcharges are applied to it here).
- Insured charges use up the month's limit in the order the visits start; what is above the
  limit is paid 100% by the family; within the limit the family pays the co-pay rate and NHIS
  the rest. Amounts are integer KRW; the surcharge and the co-pay are rounded down to the won.
- Private (non-insured) visits are priced from the caregiver's hourly rate, paid in full by the
  family, and do not touch the limit.
- A month after the last table in the data is priced provisionally with the latest table
  (`MonthStatement.pricing.provisional`); see `tables.resolve`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from homecare_backend.billing.tables import (
    HOME_CARE_MAX_STEP_MINUTES,
    HOME_CARE_STEP_MINUTES,
    BathingKind,
    CopayCategory,
    Grade,
    LtcTable,
    TableChoice,
    resolve,
    table_for,
)

SEOUL = ZoneInfo("Asia/Seoul")
_EVENING_START = time(18)
_NIGHT_START = time(22)
_NIGHT_END = time(6)


class Surcharge(enum.StrEnum):
    NONE = "none"
    EVENING = "evening"
    NIGHT = "night"
    HOLIDAY = "holiday"


@lru_cache(maxsize=32)
def _korean_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year)


def is_public_holiday(day: date) -> bool:
    """A Korean public holiday (incl. substitute holidays), from the `holidays` library."""
    return day in _korean_holidays(day.year)


def seoul_date(moment: datetime) -> date:
    return _aware(moment).astimezone(SEOUL).date()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry a timezone")
    return moment


def _rates(table: LtcTable) -> dict[Surcharge, int]:
    pct = table.surcharge_percent
    return {
        Surcharge.NONE: 0,
        Surcharge.EVENING: pct.evening,
        Surcharge.NIGHT: pct.night,
        Surcharge.HOLIDAY: pct.holiday,
    }


def _surcharge_at(local: datetime, rates: dict[Surcharge, int]) -> Surcharge:
    """The one surcharge for a local moment: the highest applicable rate (ties: first listed)."""
    candidates = [Surcharge.NONE]
    if local.weekday() == 6 or is_public_holiday(local.date()):
        candidates.append(Surcharge.HOLIDAY)
    clock = local.time()
    if clock >= _NIGHT_START or clock < _NIGHT_END:
        candidates.append(Surcharge.NIGHT)
    elif clock >= _EVENING_START:
        candidates.append(Surcharge.EVENING)
    return max(candidates, key=lambda s: rates[s])


def _next_boundary(local: datetime) -> datetime:
    """The next local moment at which the applicable surcharge may change."""
    day = local.date()
    for clock in (_NIGHT_END, _EVENING_START, _NIGHT_START):
        candidate = datetime.combine(day, clock, SEOUL)
        if candidate > local:
            return candidate
    return datetime.combine(day + timedelta(days=1), time(0), SEOUL)


def surcharge_seconds(start: datetime, end: datetime, table: LtcTable) -> dict[Surcharge, int]:
    """Seconds served under each surcharge between start and end (Asia/Seoul)."""
    rates = _rates(table)
    cursor = _aware(start).astimezone(SEOUL)
    stop = _aware(end).astimezone(SEOUL)
    seconds: dict[Surcharge, int] = {}
    while cursor < stop:
        boundary = min(_next_boundary(cursor), stop)
        kind = _surcharge_at(cursor, rates)
        seconds[kind] = seconds.get(kind, 0) + int((boundary - cursor).total_seconds())
        cursor = boundary
    return seconds


@dataclass(frozen=True)
class VisitPrice:
    """The price of one visit before the month's split."""

    base_krw: int
    surcharge_krw: int
    served_minutes: int
    billed_minutes: int
    table_year: int
    surcharge_seconds: dict[Surcharge, int] = field(default_factory=dict)

    @property
    def total_krw(self) -> int:
        return self.base_krw + self.surcharge_krw


def billed_step(served_minutes: int) -> int:
    """The fee step for a served length: 30-minute steps rounded down, capped at 240."""
    step = served_minutes // HOME_CARE_STEP_MINUTES * HOME_CARE_STEP_MINUTES
    return min(step, HOME_CARE_MAX_STEP_MINUTES)


def home_care_price(start: datetime, end: datetime, table: LtcTable | None = None) -> VisitPrice:
    """방문요양 fee for the time actually served, with the surcharges."""
    if end <= start:
        raise ValueError("a visit ends after it starts")
    table = table or table_for(seoul_date(start))
    served_s = int((end - start).total_seconds())
    step = billed_step(served_s // 60)
    base = table.home_care_fee.by_minutes[step] if step else 0
    seconds = surcharge_seconds(start, end, table)
    rates = _rates(table)
    weighted = sum(rates[kind] * secs for kind, secs in seconds.items())
    # Under a second served (a check-out right after check-in) has no fee and no surcharge.
    surcharge = base * weighted // (100 * served_s) if served_s else 0
    return VisitPrice(base, surcharge, served_s // 60, step, table.year, seconds)


def bathing_price(start: datetime, kind: BathingKind, table: LtcTable | None = None) -> VisitPrice:
    table = table or table_for(seoul_date(start))
    return VisitPrice(table.bathing_fee.by_kind[kind], 0, 0, 0, table.year)


def private_price(start: datetime, end: datetime, hourly_rate_krw: int) -> int:
    """A non-insured visit: the caregiver's hourly rate for the time served, rounded down."""
    if end <= start:
        raise ValueError("a visit ends after it starts")
    return hourly_rate_krw * int((end - start).total_seconds()) // 3600


@dataclass(frozen=True)
class Charge:
    """One visit's amount to split; `insured` charges count against the month's limit."""

    key: str
    start: datetime
    amount_krw: int
    insured: bool = True


@dataclass(frozen=True)
class ChargeSplit:
    key: str
    start: datetime
    amount_krw: int
    nhis_krw: int
    copay_krw: int
    above_limit_krw: int
    private_krw: int

    @property
    def family_krw(self) -> int:
        return self.copay_krw + self.above_limit_krw + self.private_krw


@dataclass(frozen=True)
class MonthStatement:
    year: int
    month: int
    grade: Grade
    category: CopayCategory
    copay_percent: int
    limit_krw: int
    table_year: int
    charges: list[ChargeSplit]
    pricing: TableChoice

    @property
    def limit_used_krw(self) -> int:
        return sum(c.nhis_krw + c.copay_krw for c in self.charges)

    @property
    def limit_remaining_krw(self) -> int:
        return self.limit_krw - self.limit_used_krw

    def total(self, attribute: str) -> int:
        return sum(int(getattr(c, attribute)) for c in self.charges)


def split_month(
    year: int, month: int, grade: Grade, category: CopayCategory, charges: Sequence[Charge]
) -> MonthStatement:
    """Split one recipient's month of charges (all starting in that Asia/Seoul month)."""
    pricing = resolve(date(year, month, 1))
    table = pricing.table
    limit = table.monthly_limit.by_grade[grade]
    rate = table.copay_percent[category]
    remaining = limit
    splits: list[ChargeSplit] = []
    for charge in sorted(charges, key=lambda c: (c.start, c.key)):
        local = _aware(charge.start).astimezone(SEOUL)
        if (local.year, local.month) != (year, month):
            raise ValueError(f"charge {charge.key} starts outside {year}-{month:02d}")
        if charge.amount_krw < 0:
            raise ValueError(f"charge {charge.key} is negative")
        if not charge.insured:
            splits.append(
                ChargeSplit(charge.key, charge.start, charge.amount_krw, 0, 0, 0, charge.amount_krw)
            )
            continue
        covered = min(charge.amount_krw, remaining)
        remaining -= covered
        copay = covered * rate // 100
        splits.append(
            ChargeSplit(
                charge.key,
                charge.start,
                charge.amount_krw,
                nhis_krw=covered - copay,
                copay_krw=copay,
                above_limit_krw=charge.amount_krw - covered,
                private_krw=0,
            )
        )
    return MonthStatement(year, month, grade, category, rate, limit, table.year, splits, pricing)
