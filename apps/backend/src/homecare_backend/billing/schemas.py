from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from homecare_backend.billing.calculator import ChargeSplit, MonthStatement
from homecare_backend.billing.tables import TableChoice


class PricingOut(BaseModel):
    """Which 장기요양 table priced the month, and whether only provisionally (no table for
    that year in the data yet: the latest one is used and the family is told so)."""

    table_year: int
    notice: str = Field(description="The notice (고시) the table's figures come from")
    effective_from: date
    effective_to: date
    provisional: bool = Field(
        description="True when the month is after the table's effective dates"
    )
    reason: str | None = Field(description="Why the price is provisional and what happens next")
    unverified_figures: list[str] = Field(
        description="Figure groups of the table not checked against the notice itself"
    )

    @classmethod
    def of(cls, choice: TableChoice) -> PricingOut:
        table = choice.table
        return cls(
            table_year=table.year,
            notice=table.source,
            effective_from=table.effective_from,
            effective_to=table.effective_to,
            provisional=choice.provisional,
            reason=choice.reason,
            unverified_figures=table.unverified,
        )


class ChargeSplitOut(BaseModel):
    """One visit's amount split into what NHIS pays and what the family pays (KRW)."""

    booking_id: uuid.UUID
    start_at: datetime
    amount_krw: int = Field(description="The visit's fee (with surcharges) or private price")
    nhis_krw: int = Field(description="Paid by NHIS (within the month's limit)")
    copay_krw: int = Field(description="Family's co-pay (본인부담) within the limit")
    above_limit_krw: int = Field(description="Above the month's limit: paid 100% by the family")
    private_krw: int = Field(description="Non-insured visit: paid by the family")
    family_krw: int = Field(description="copay + above_limit + private")

    @classmethod
    def of(cls, split: ChargeSplit) -> ChargeSplitOut:
        return cls(
            booking_id=uuid.UUID(split.key),
            start_at=split.start,
            amount_krw=split.amount_krw,
            nhis_krw=split.nhis_krw,
            copay_krw=split.copay_krw,
            above_limit_krw=split.above_limit_krw,
            private_krw=split.private_krw,
            family_krw=split.family_krw,
        )


class MonthOut(BaseModel):
    """A recipient's month (Asia/Seoul) so far: the visits that count, in order."""

    recipient_id: uuid.UUID
    month: str = Field(examples=["2026-03"])
    care_grade: str | None
    copay_category: str
    copay_percent: int | None
    limit_krw: int | None = Field(description="월 한도액; null without a 장기요양 grade")
    limit_used_krw: int
    limit_remaining_krw: int | None
    table_year: int
    unverified_figures: list[str] = Field(
        description="Figure groups of the table not checked against the notice itself"
    )
    pricing: PricingOut
    totals: ChargeSplitOut | None = None
    visits: list[ChargeSplitOut]

    @classmethod
    def of(
        cls,
        recipient_id: uuid.UUID,
        grade: str | None,
        statement: MonthStatement,
    ) -> MonthOut:
        insured = grade is not None
        return cls(
            recipient_id=recipient_id,
            month=f"{statement.year}-{statement.month:02d}",
            care_grade=grade,
            copay_category=statement.category.value,
            copay_percent=statement.copay_percent if insured else None,
            limit_krw=statement.limit_krw if insured else None,
            limit_used_krw=statement.limit_used_krw,
            limit_remaining_krw=statement.limit_remaining_krw if insured else None,
            table_year=statement.table_year,
            unverified_figures=statement.pricing.table.unverified,
            pricing=PricingOut.of(statement.pricing),
            visits=[ChargeSplitOut.of(c) for c in statement.charges],
        )


class BookingSplitOut(BaseModel):
    """The split of one booking, before it is confirmed, with the month it falls in.
    `provisional` repeats `month.pricing.provisional` so a client cannot miss it."""

    booking: ChargeSplitOut
    provisional: bool
    month: MonthOut
