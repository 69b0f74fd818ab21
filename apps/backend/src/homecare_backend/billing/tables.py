"""The yearly 장기요양 tables (monthly limits, fees, co-pay and surcharge rates) as data files.

One JSON file per year in `tables/` (`ltc-<year>.json`) with its effective dates, the notice it
comes from and, per figure group, whether the figure was checked against the notice itself. A
visit is priced with the table in force on its (Asia/Seoul) date. A date after the last table
(the next year's notice is not in the data yet) is priced *provisionally* with the latest table
that started before it (decision 0014); a date before the first table has no price.
"""

from __future__ import annotations

import enum
import itertools
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

HOME_CARE_STEP_MINUTES = 30
HOME_CARE_MAX_STEP_MINUTES = 240


class Grade(enum.StrEnum):
    """장기요양 grades 1–5 and 인지지원등급 (`cognitive`)."""

    G1 = "1"
    G2 = "2"
    G3 = "3"
    G4 = "4"
    G5 = "5"
    COGNITIVE = "cognitive"


class CopayCategory(enum.StrEnum):
    """본인부담 categories: 15% standard, 40%/60% reductions (9%/6%), 0% 의료급여 수급권자."""

    STANDARD = "standard"
    REDUCED_40 = "reduced_40"
    REDUCED_60 = "reduced_60"
    BASIC_LIVELIHOOD = "basic_livelihood"


class BathingKind(enum.StrEnum):
    VEHICLE_INSIDE = "vehicle_inside"
    VEHICLE_AT_HOME = "vehicle_at_home"
    NO_VEHICLE = "no_vehicle"


class _Figures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    verified: bool
    note: str


class MonthlyLimits(_Figures):
    by_grade: dict[Grade, int]


class HomeCareFees(_Figures):
    by_minutes: dict[int, int]


class BathingFees(_Figures):
    by_kind: dict[BathingKind, int]


class Surcharges(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    evening: int = Field(ge=0, le=100)
    night: int = Field(ge=0, le=100)
    holiday: int = Field(ge=0, le=100)


class LtcTable(BaseModel):
    """One year's figures, validated when loaded so a bad data file fails at start-up."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    year: int
    effective_from: date
    effective_to: date
    currency: str
    source: str
    monthly_limit: MonthlyLimits
    home_care_fee: HomeCareFees
    bathing_fee: BathingFees
    copay_percent: dict[CopayCategory, int]
    surcharge_percent: Surcharges

    @model_validator(mode="after")
    def _complete(self) -> LtcTable:
        steps = set(range(HOME_CARE_STEP_MINUTES, HOME_CARE_MAX_STEP_MINUTES + 1, 30))
        if set(self.home_care_fee.by_minutes) != steps:
            raise ValueError(f"{self.year}: home_care_fee needs exactly the steps {sorted(steps)}")
        if set(self.monthly_limit.by_grade) != set(Grade):
            raise ValueError(f"{self.year}: monthly_limit needs every grade")
        if set(self.copay_percent) != set(CopayCategory):
            raise ValueError(f"{self.year}: copay_percent needs every category")
        if set(self.bathing_fee.by_kind) != set(BathingKind):
            raise ValueError(f"{self.year}: bathing_fee needs every kind")
        if self.effective_to < self.effective_from:
            raise ValueError(f"{self.year}: effective_to before effective_from")
        return self

    def covers(self, day: date) -> bool:
        return self.effective_from <= day <= self.effective_to

    @property
    def unverified(self) -> list[str]:
        groups = {
            "monthly_limit": self.monthly_limit,
            "home_care_fee": self.home_care_fee,
            "bathing_fee": self.bathing_fee,
        }
        return [name for name, figures in groups.items() if not figures.verified]


class NoTableError(LookupError):
    """No table is in force on the date asked for."""

    def __init__(self, day: date) -> None:
        super().__init__(f"no 장기요양 fee table is in force on {day.isoformat()}")
        self.day = day


@lru_cache
def all_tables() -> tuple[LtcTable, ...]:
    folder = resources.files("homecare_backend.billing") / "tables"
    tables = [
        LtcTable.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.startswith("ltc-") and entry.name.endswith(".json")
    ]
    tables.sort(key=lambda t: t.effective_from)
    for earlier, later in itertools.pairwise(tables):
        if later.effective_from <= earlier.effective_to:
            raise ValueError(f"tables {earlier.year} and {later.year} overlap")
    return tuple(tables)


@dataclass(frozen=True)
class TableChoice:
    """The table a date is priced with, and whether it is only provisional for that date."""

    table: LtcTable
    day: date

    @property
    def provisional(self) -> bool:
        return not self.table.covers(self.day)

    @property
    def reason(self) -> str | None:
        if not self.provisional:
            return None
        return (
            f"No 장기요양 table for {self.day.year} is in the data yet; priced provisionally with "
            f"the {self.table.year} table ({self.table.source}). The price agreed now is kept; at "
            f"settlement a lower share from the {self.day.year} figures is refunded, a higher "
            "one is not charged."
        )


def resolve(day: date) -> TableChoice:
    """The table in force on `day`, else (no table yet) the latest one that started before it."""
    latest: LtcTable | None = None
    for table in all_tables():
        if table.effective_from > day:
            break
        latest = table
    if latest is None:
        raise NoTableError(day)
    return TableChoice(latest, day)


def table_for(day: date) -> LtcTable:
    """The table `day` is priced with (see `resolve` for whether it is provisional)."""
    return resolve(day).table
