"""Monthly statements, computed from the served visits of an Asia/Seoul month.

- **A caregiver's month**: the visits they served (checked out), the time served between the
  server's check-in and check-out clocks, the part of it under each surcharge, and the earnings
  at the profile's hourly rate: the rate for the time served plus, for the time under a
  surcharge, that surcharge's percentage of the rate. Which surcharge applies when (evening,
  night, Sunday/public holiday, never stacked) and its percentage come from billing's
  calculator and the year's table; nothing of it is re-implemented here. A visit checked out
  without a check-in has no served start: it is listed with 0 minutes served until reviewed.
- **An agency's month**: per recipient its agency's served visits with billing's split of the
  recipient's whole month (the limit is used in the order the visits start, by every provider's
  visits that count), so the NHIS-claimable amount and the family's co-pay are exactly what
  billing charged. Visits with EVV exceptions carry them; the NHIS share of visits with an open
  exception is also shown apart, to be reviewed before it is claimed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.agencies.models import Agency
from homecare_backend.billing import service as billing_service
from homecare_backend.billing.calculator import (
    SEOUL,
    ChargeSplit,
    Surcharge,
    private_price,
    seoul_date,
    surcharge_seconds,
)
from homecare_backend.billing.tables import NoTableError, resolve
from homecare_backend.bookings.models import Booking
from homecare_backend.caregivers import service as caregivers_service
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.statements.models import SERVED
from homecare_backend.users.models import Role, User
from homecare_backend.visits.models import VisitException
from homecare_shared.errors import ProblemError

SURCHARGES = (Surcharge.EVENING, Surcharge.NIGHT, Surcharge.HOLIDAY)


@dataclass(frozen=True)
class ExceptionFlag:
    reason: str
    status: str


@dataclass(frozen=True)
class CaregiverLine:
    booking_id: uuid.UUID
    recipient_name: str
    status: str
    start_at: datetime
    end_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    served_minutes: int
    surcharge_minutes: dict[Surcharge, int]
    base_krw: int
    surcharge_krw: int
    exceptions: list[ExceptionFlag]
    provisional: bool = False  # surcharge rates from an earlier year's table (decision 0014)

    @property
    def earnings_krw(self) -> int:
        return self.base_krw + self.surcharge_krw


@dataclass(frozen=True)
class CaregiverStatement:
    caregiver_id: uuid.UUID
    caregiver_name: str
    year: int
    month: int
    hourly_rate_krw: int
    lines: list[CaregiverLine]

    @property
    def served_minutes(self) -> int:
        return sum(line.served_minutes for line in self.lines)

    def surcharge_minutes(self, kind: Surcharge) -> int:
        return sum(line.surcharge_minutes.get(kind, 0) for line in self.lines)

    @property
    def base_krw(self) -> int:
        return sum(line.base_krw for line in self.lines)

    @property
    def surcharge_krw(self) -> int:
        return sum(line.surcharge_krw for line in self.lines)

    @property
    def earnings_krw(self) -> int:
        return self.base_krw + self.surcharge_krw

    @property
    def exception_visits(self) -> int:
        return sum(1 for line in self.lines if line.exceptions)

    @property
    def provisional(self) -> bool:
        return any(line.provisional for line in self.lines)


@dataclass(frozen=True)
class ClaimLine:
    booking_id: uuid.UUID
    caregiver_name: str
    start_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    served_minutes: int
    split: ChargeSplit
    exceptions: list[ExceptionFlag]

    @property
    def under_review(self) -> bool:
        return any(e.status == "open" for e in self.exceptions)


@dataclass(frozen=True)
class RecipientClaims:
    recipient_id: uuid.UUID
    name: str
    care_grade: str | None
    copay_category: str
    copay_percent: int | None
    limit_krw: int | None
    limit_used_krw: int  # by every provider's visits of the month that count
    lines: list[ClaimLine]
    provisional: bool = False  # priced with an earlier year's table (decision 0014)

    def total(self, attribute: str) -> int:
        return sum(int(getattr(line.split, attribute)) for line in self.lines)

    @property
    def nhis_under_review_krw(self) -> int:
        return sum(line.split.nhis_krw for line in self.lines if line.under_review)

    @property
    def exception_visits(self) -> int:
        return sum(1 for line in self.lines if line.exceptions)


@dataclass(frozen=True)
class AgencyStatement:
    agency_id: uuid.UUID
    agency_name: str
    year: int
    month: int
    recipients: list[RecipientClaims] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(r.total(attribute) for r in self.recipients)

    @property
    def nhis_under_review_krw(self) -> int:
        return sum(r.nhis_under_review_krw for r in self.recipients)

    @property
    def exception_visits(self) -> int:
        return sum(r.exception_visits for r in self.recipients)

    @property
    def visits(self) -> int:
        return sum(len(r.lines) for r in self.recipients)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first moment, first moment of the next month) in Asia/Seoul."""
    first = datetime(year, month, 1, tzinfo=SEOUL)
    return first, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SEOUL)


def _no_table(exc: NoTableError) -> ProblemError:
    return ProblemError(409, "no_fee_table", "No 장기요양 fee table for that date", str(exc))


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden_role", "Not allowed for your role", detail)


async def _served(
    session: AsyncSession, year: int, month: int, *conditions: object
) -> list[Booking]:
    first, nxt = month_bounds(year, month)
    stmt = (
        select(Booking)
        .where(Booking.start_at >= first, Booking.start_at < nxt, Booking.status.in_(SERVED))
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Booking.start_at, Booking.id)
    )
    return list((await session.scalars(stmt)).all())


async def _exceptions(
    session: AsyncSession, bookings: list[Booking]
) -> dict[uuid.UUID, list[ExceptionFlag]]:
    found: dict[uuid.UUID, list[ExceptionFlag]] = defaultdict(list)
    if not bookings:
        return found
    rows = await session.scalars(
        select(VisitException)
        .where(VisitException.booking_id.in_([b.id for b in bookings]))
        .order_by(VisitException.created_at, VisitException.id)
    )
    for row in rows:
        found[row.booking_id].append(ExceptionFlag(row.reason, row.status))
    return found


def _served_window(booking: Booking) -> tuple[datetime, datetime] | None:
    if booking.started_at is None or booking.finished_at is None:
        return None
    if booking.finished_at <= booking.started_at:
        return None
    return booking.started_at, booking.finished_at


def _caregiver_line(
    booking: Booking, rate: int, recipient_name: str, exceptions: list[ExceptionFlag]
) -> CaregiverLine:
    window = _served_window(booking)
    minutes: dict[Surcharge, int] = {}
    base = premium = served = 0
    provisional = False
    if window is not None:
        start, end = window
        try:
            pricing = resolve(seoul_date(start))
        except NoTableError as exc:
            raise _no_table(exc) from exc
        table, provisional = pricing.table, pricing.provisional
        percent = {
            Surcharge.EVENING: table.surcharge_percent.evening,
            Surcharge.NIGHT: table.surcharge_percent.night,
            Surcharge.HOLIDAY: table.surcharge_percent.holiday,
        }
        seconds = surcharge_seconds(start, end, table)
        served = int((end - start).total_seconds()) // 60
        base = private_price(start, end, rate)
        # The surcharge's percentage of the rate for the time under it, rounded down once.
        premium = sum(rate * seconds.get(k, 0) * percent[k] for k in SURCHARGES) // (3600 * 100)
        minutes = {k: seconds.get(k, 0) // 60 for k in SURCHARGES}
    return CaregiverLine(
        booking_id=booking.id,
        recipient_name=recipient_name,
        status=booking.status.value,
        start_at=booking.start_at,
        end_at=booking.end_at,
        started_at=booking.started_at,
        finished_at=booking.finished_at,
        served_minutes=served,
        surcharge_minutes=minutes,
        base_krw=base,
        surcharge_krw=premium,
        exceptions=exceptions,
        provisional=provisional,
    )


async def _recipient_names(session: AsyncSession, bookings: list[Booking]) -> dict[uuid.UUID, str]:
    ids = {b.recipient_id for b in bookings}
    if not ids:
        return {}
    rows = await session.execute(
        select(CareRecipient.id, CareRecipient.name).where(CareRecipient.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


async def caregiver_statement(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, year: int, month: int
) -> CaregiverStatement:
    """The caregiver's own month; their agency's admins and platform admins may read it too."""
    if user.role == Role.FAMILY:
        raise _forbidden("Statements are for the caregiver and their agency.")
    profile = await caregivers_service.get_visible(session, user, caregiver_id)
    name = await session.scalar(select(User.display_name).where(User.id == profile.user_id))
    bookings = await _served(session, year, month, Booking.caregiver_id == profile.id)
    names = await _recipient_names(session, bookings)
    flags = await _exceptions(session, bookings)
    lines = [
        _caregiver_line(b, profile.hourly_rate_krw, names.get(b.recipient_id, ""), flags[b.id])
        for b in bookings
    ]
    return CaregiverStatement(profile.id, name or "", year, month, profile.hourly_rate_krw, lines)


async def _agency_for(session: AsyncSession, user: User, agency_id: uuid.UUID) -> Agency:
    if user.role not in (Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN):
        raise _forbidden("Agency statements are for the agency's admins.")
    agency = await session.get(Agency, agency_id)
    if agency is None or (user.role == Role.AGENCY_ADMIN and user.agency_id != agency_id):
        raise ProblemError(
            404, "agency_not_found", "Agency not found", f"No agency {agency_id} of yours."
        )
    return agency


async def agency_statement(
    session: AsyncSession, user: User, agency_id: uuid.UUID, year: int, month: int
) -> AgencyStatement:
    """Per recipient, the agency's caregivers' served visits of the month with billing's split."""
    agency = await _agency_for(session, user, agency_id)
    caregivers = select(CaregiverProfile.id).where(CaregiverProfile.agency_id == agency.id)
    bookings = await _served(session, year, month, Booking.caregiver_id.in_(caregivers))
    flags = await _exceptions(session, bookings)
    caregiver_names = {
        row.id: row.display_name
        for row in await session.execute(
            select(CaregiverProfile.id, User.display_name)
            .join(User, User.id == CaregiverProfile.user_id)
            .where(CaregiverProfile.agency_id == agency.id)
        )
    }
    by_recipient: dict[uuid.UUID, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_recipient[booking.recipient_id].append(booking)
    recipients = []
    for recipient_id, visits in by_recipient.items():
        recipient = await session.get_one(CareRecipient, recipient_id)
        # The recipient's whole month as billing splits it: the limit is shared by every visit
        # that counts, whoever served it, in the order they start.
        month_split = await billing_service.statement(session, recipient, year, month)
        splits = {c.key: c for c in month_split.charges}
        insured = recipient.care_grade is not None
        lines = []
        for b in visits:
            window = _served_window(b)
            served = int((window[1] - window[0]).total_seconds()) // 60 if window else 0
            lines.append(
                ClaimLine(
                    booking_id=b.id,
                    caregiver_name=caregiver_names.get(b.caregiver_id, "")
                    if b.caregiver_id
                    else "",
                    start_at=b.start_at,
                    started_at=b.started_at,
                    finished_at=b.finished_at,
                    served_minutes=served,
                    split=splits[str(b.id)],
                    exceptions=flags[b.id],
                )
            )
        recipients.append(
            RecipientClaims(
                recipient_id=recipient.id,
                name=recipient.name,
                care_grade=recipient.care_grade,
                copay_category=recipient.copay_category,
                copay_percent=month_split.copay_percent if insured else None,
                limit_krw=month_split.limit_krw if insured else None,
                limit_used_krw=month_split.limit_used_krw,
                lines=lines,
                provisional=month_split.pricing.provisional,
            )
        )
    recipients.sort(key=lambda r: (r.name, str(r.recipient_id)))
    return AgencyStatement(agency.id, agency.name, year, month, recipients)
