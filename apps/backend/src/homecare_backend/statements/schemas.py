from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from homecare_backend.billing.calculator import Surcharge
from homecare_backend.statements.service import (
    AgencyStatement,
    CaregiverLine,
    CaregiverStatement,
    ClaimLine,
    ExceptionFlag,
    RecipientClaims,
)


class SurchargeMinutesOut(BaseModel):
    """Minutes served under each surcharge (never stacked: each minute counts once)."""

    evening: int = Field(description="18:00–22:00 (+20%)")
    night: int = Field(description="22:00–06:00 (+30%)")
    holiday: int = Field(description="Sundays and public holidays (+30%)")

    @classmethod
    def of(cls, minutes: dict[Surcharge, int]) -> SurchargeMinutesOut:
        return cls(
            evening=minutes.get(Surcharge.EVENING, 0),
            night=minutes.get(Surcharge.NIGHT, 0),
            holiday=minutes.get(Surcharge.HOLIDAY, 0),
        )


class ExceptionFlagOut(BaseModel):
    reason: str = Field(examples=["outside_geofence"])
    status: str = Field(description="open, accepted or rejected", examples=["open"])

    @classmethod
    def of(cls, flag: ExceptionFlag) -> ExceptionFlagOut:
        return cls(reason=flag.reason, status=flag.status)


class CaregiverVisitOut(BaseModel):
    booking_id: uuid.UUID
    recipient_name: str
    status: str
    start_at: datetime = Field(description="Planned start")
    end_at: datetime = Field(description="Planned end")
    started_at: datetime | None = Field(description="Checked in (server clock)")
    finished_at: datetime | None = Field(description="Checked out (server clock)")
    served_minutes: int = Field(description="0 while the served start is unknown")
    surcharge_minutes: SurchargeMinutesOut
    base_krw: int = Field(description="Hourly rate × time served")
    surcharge_krw: int = Field(description="The surcharges' share of the rate")
    earnings_krw: int
    exceptions: list[ExceptionFlagOut]

    @classmethod
    def of(cls, line: CaregiverLine) -> CaregiverVisitOut:
        return cls(
            booking_id=line.booking_id,
            recipient_name=line.recipient_name,
            status=line.status,
            start_at=line.start_at,
            end_at=line.end_at,
            started_at=line.started_at,
            finished_at=line.finished_at,
            served_minutes=line.served_minutes,
            surcharge_minutes=SurchargeMinutesOut.of(line.surcharge_minutes),
            base_krw=line.base_krw,
            surcharge_krw=line.surcharge_krw,
            earnings_krw=line.earnings_krw,
            exceptions=[ExceptionFlagOut.of(e) for e in line.exceptions],
        )


class CaregiverStatementOut(BaseModel):
    """A caregiver's month (Asia/Seoul): the visits served, hours, surcharge hours, earnings."""

    caregiver_id: uuid.UUID
    caregiver_name: str
    month: str = Field(examples=["2025-03"])
    hourly_rate_krw: int = Field(description="The profile's hourly rate the month is paid at")
    visits: int
    served_minutes: int
    served_hours: float = Field(description="served_minutes / 60, to two decimals")
    surcharge_minutes: SurchargeMinutesOut
    base_krw: int
    surcharge_krw: int
    earnings_krw: int
    exception_visits: int = Field(description="Visits with EVV exceptions (any state)")
    provisional: bool = Field(
        description="Surcharge rates taken from an earlier year's table (no table for the year)"
    )
    lines: list[CaregiverVisitOut]

    @classmethod
    def of(cls, s: CaregiverStatement) -> CaregiverStatementOut:
        return cls(
            caregiver_id=s.caregiver_id,
            caregiver_name=s.caregiver_name,
            month=f"{s.year}-{s.month:02d}",
            hourly_rate_krw=s.hourly_rate_krw,
            visits=len(s.lines),
            served_minutes=s.served_minutes,
            served_hours=round(s.served_minutes / 60, 2),
            surcharge_minutes=SurchargeMinutesOut(
                evening=s.surcharge_minutes(Surcharge.EVENING),
                night=s.surcharge_minutes(Surcharge.NIGHT),
                holiday=s.surcharge_minutes(Surcharge.HOLIDAY),
            ),
            base_krw=s.base_krw,
            surcharge_krw=s.surcharge_krw,
            earnings_krw=s.earnings_krw,
            exception_visits=s.exception_visits,
            provisional=s.provisional,
            lines=[CaregiverVisitOut.of(line) for line in s.lines],
        )


class ClaimVisitOut(BaseModel):
    booking_id: uuid.UUID
    caregiver_name: str
    start_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    served_minutes: int
    amount_krw: int = Field(description="급여비용: the fee with surcharges (or private price)")
    nhis_krw: int = Field(description="공단부담금: claimable from NHIS")
    copay_krw: int = Field(description="본인부담금 within the limit")
    above_limit_krw: int = Field(description="Above the month's limit: the family pays 100%")
    private_krw: int = Field(description="Non-insured: the family pays")
    family_krw: int
    exceptions: list[ExceptionFlagOut]
    under_review: bool = Field(description="An EVV exception is still open")

    @classmethod
    def of(cls, line: ClaimLine) -> ClaimVisitOut:
        s = line.split
        return cls(
            booking_id=line.booking_id,
            caregiver_name=line.caregiver_name,
            start_at=line.start_at,
            started_at=line.started_at,
            finished_at=line.finished_at,
            served_minutes=line.served_minutes,
            amount_krw=s.amount_krw,
            nhis_krw=s.nhis_krw,
            copay_krw=s.copay_krw,
            above_limit_krw=s.above_limit_krw,
            private_krw=s.private_krw,
            family_krw=s.family_krw,
            exceptions=[ExceptionFlagOut.of(e) for e in line.exceptions],
            under_review=line.under_review,
        )


class ClaimTotalsOut(BaseModel):
    visits: int
    amount_krw: int
    nhis_krw: int = Field(description="NHIS-claimable (공단부담금)")
    copay_krw: int = Field(description="The family's co-pay (본인부담금)")
    above_limit_krw: int
    private_krw: int
    family_krw: int
    nhis_under_review_krw: int = Field(description="Of nhis_krw: visits with an open exception")
    exception_visits: int


def _totals(source: RecipientClaims | AgencyStatement, visits: int) -> ClaimTotalsOut:
    return ClaimTotalsOut(
        visits=visits,
        amount_krw=source.total("amount_krw"),
        nhis_krw=source.total("nhis_krw"),
        copay_krw=source.total("copay_krw"),
        above_limit_krw=source.total("above_limit_krw"),
        private_krw=source.total("private_krw"),
        family_krw=source.total("family_krw"),
        nhis_under_review_krw=source.nhis_under_review_krw,
        exception_visits=source.exception_visits,
    )


class RecipientClaimsOut(BaseModel):
    recipient_id: uuid.UUID
    name: str
    care_grade: str | None
    copay_category: str
    copay_percent: int | None
    limit_krw: int | None = Field(description="월 한도액; null without a 장기요양 grade")
    limit_used_krw: int = Field(description="By every provider's visits of the month that count")
    provisional: bool = Field(
        description="Priced with an earlier year's table: that year's table is not in the data yet"
    )
    totals: ClaimTotalsOut
    visits: list[ClaimVisitOut]

    @classmethod
    def of(cls, r: RecipientClaims) -> RecipientClaimsOut:
        return cls(
            recipient_id=r.recipient_id,
            name=r.name,
            care_grade=r.care_grade,
            copay_category=r.copay_category,
            copay_percent=r.copay_percent,
            limit_krw=r.limit_krw,
            limit_used_krw=r.limit_used_krw,
            provisional=r.provisional,
            totals=_totals(r, len(r.lines)),
            visits=[ClaimVisitOut.of(line) for line in r.lines],
        )


class AgencyStatementOut(BaseModel):
    """An agency's month (Asia/Seoul): per recipient, the NHIS claim and the family's co-pay
    for the visits its caregivers served, with EVV exceptions flagged."""

    agency_id: uuid.UUID
    agency_name: str
    month: str = Field(examples=["2025-03"])
    totals: ClaimTotalsOut
    recipients: list[RecipientClaimsOut]

    @classmethod
    def of(cls, s: AgencyStatement) -> AgencyStatementOut:
        return cls(
            agency_id=s.agency_id,
            agency_name=s.agency_name,
            month=f"{s.year}-{s.month:02d}",
            totals=_totals(s, s.visits),
            recipients=[RecipientClaimsOut.of(r) for r in s.recipients],
        )
