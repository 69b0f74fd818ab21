"""Billing from the database: a booking's split before confirmation, a recipient's month.

A visit is insured when the recipient has a 장기요양 grade and the service is 방문요양 or 방문목욕;
otherwise (no grade, or 동행) it is private and priced from the caregiver's hourly rate. The
month's limit is used by the visits that count (`COUNTED`) in the order they start; a booking
not yet confirmed is priced as if it were added to them. Served times (`started_at`,
`finished_at`) are priced when the visit has them, the scheduled ones before.

A month after the last table in the data is priced provisionally (decision 0014): `quote`
says so, the payment records it, and `final_share` prices the visit again at settlement,
which waits until the year's table file is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.billing.calculator import (
    SEOUL,
    Charge,
    ChargeSplit,
    MonthStatement,
    bathing_price,
    home_care_price,
    private_price,
    split_month,
)
from homecare_backend.billing.models import COUNTED
from homecare_backend.billing.tables import (
    BathingKind,
    CopayCategory,
    Grade,
    NoTableError,
    TableChoice,
)
from homecare_backend.bookings.models import Booking, ServiceType
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.recipients.models import CareRecipient
from homecare_shared.errors import ProblemError

# Until a bath kind is chosen per booking, bathing is priced as bathing at home with a vehicle.
DEFAULT_BATHING = BathingKind.VEHICLE_AT_HOME


@dataclass(frozen=True)
class PricedBooking:
    booking: Booking
    amount_krw: int
    insured: bool


def _window(booking: Booking) -> tuple[datetime, datetime]:
    if booking.started_at is not None and booking.finished_at is not None:
        return booking.started_at, booking.finished_at
    return booking.start_at, booking.end_at


def _insured(recipient: CareRecipient, booking: Booking) -> bool:
    return recipient.care_grade is not None and booking.service_type != ServiceType.COMPANION


async def price(session: AsyncSession, recipient: CareRecipient, booking: Booking) -> PricedBooking:
    start, end = _window(booking)
    try:
        if not _insured(recipient, booking):
            rate = None
            if booking.caregiver_id is not None:
                rate = await session.scalar(
                    select(CaregiverProfile.hourly_rate_krw).where(
                        CaregiverProfile.id == booking.caregiver_id
                    )
                )
            if rate is None:
                raise ProblemError(
                    409,
                    "price_needs_caregiver",
                    "No price yet",
                    "A private visit is priced from its caregiver's rate; pick a caregiver first.",
                )
            return PricedBooking(booking, private_price(start, end, rate), insured=False)
        if booking.service_type == ServiceType.BATHING:
            return PricedBooking(booking, bathing_price(start, DEFAULT_BATHING).total_krw, True)
        return PricedBooking(booking, home_care_price(start, end).total_krw, insured=True)
    except NoTableError as exc:
        raise ProblemError(
            409,
            "no_fee_table",
            "No 장기요양 fee table for that date",
            f"{exc}; the first table in the data starts later.",
        ) from exc


def _month_of(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(SEOUL)
    return local.year, local.month


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first = datetime(year, month, 1, tzinfo=SEOUL)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SEOUL)
    return first, nxt


async def statement(
    session: AsyncSession,
    recipient: CareRecipient,
    year: int,
    month: int,
    extra: Booking | None = None,
) -> MonthStatement:
    first, nxt = _month_bounds(year, month)
    rows = list(
        (
            await session.scalars(
                select(Booking)
                .where(
                    Booking.recipient_id == recipient.id,
                    Booking.start_at >= first,
                    Booking.start_at < nxt,
                    Booking.status.in_(COUNTED),
                )
                .order_by(Booking.start_at)
            )
        ).all()
    )
    if extra is not None and all(b.id != extra.id for b in rows):
        rows.append(extra)
    charges = []
    for booking in rows:
        priced = await price(session, recipient, booking)
        charges.append(
            Charge(str(booking.id), booking.start_at, priced.amount_krw, insured=priced.insured)
        )
    grade = Grade(recipient.care_grade) if recipient.care_grade else Grade.G5
    if recipient.care_grade is None:
        # No grade: every charge is private (limit and co-pay do not apply).
        charges = [Charge(c.key, c.start, c.amount_krw, insured=False) for c in charges]
    try:
        return split_month(year, month, grade, CopayCategory(recipient.copay_category), charges)
    except NoTableError as exc:
        raise ProblemError(
            409, "no_fee_table", "No 장기요양 fee table for that month", str(exc)
        ) from exc


async def booking_split(
    session: AsyncSession, booking: Booking
) -> tuple[CareRecipient, MonthStatement, ChargeSplit]:
    recipient = await session.get_one(CareRecipient, booking.recipient_id)
    year, month = _month_of(booking.start_at)
    month_statement = await statement(session, recipient, year, month, extra=booking)
    mine = next(c for c in month_statement.charges if c.key == str(booking.id))
    return recipient, month_statement, mine


@dataclass(frozen=True)
class Quote:
    """What the family pays for a booking, and the table that priced it."""

    family_krw: int
    pricing: TableChoice


async def quote(session: AsyncSession, booking: Booking) -> Quote:
    """The family's share (co-pay + above the limit + private) and how it was priced."""
    _, month_statement, mine = await booking_split(session, booking)
    return Quote(mine.family_krw, month_statement.pricing)


async def family_share(session: AsyncSession, booking: Booking) -> int:
    """What the family pays for this booking (co-pay + above the limit + private)."""
    return (await quote(session, booking)).family_krw


async def final_share(session: AsyncSession, booking: Booking) -> int:
    """The family's share priced with the table of the visit's own year, for settlement:
    409 `fee_table_pending` for an insured visit while that year's table is not in the data."""
    _, month_statement, mine = await booking_split(session, booking)
    pricing = month_statement.pricing
    insured = mine.private_krw == 0
    if insured and pricing.provisional:
        raise ProblemError(
            409,
            "fee_table_pending",
            "The visit's fee table is not in the data yet",
            f"This visit is priced provisionally with the {pricing.table.year} table; it is "
            f"settled once the {pricing.day.year} table file is added "
            "(docs/decisions/0014-provisional-pricing.md).",
            table_year=pricing.table.year,
        )
    return mine.family_krw
