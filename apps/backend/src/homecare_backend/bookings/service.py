"""Bookings: who may see and move them, with every change announced through the outbox.

Families see bookings of their recipients, caregivers the ones assigned to them, agency admins
those of their agency's caregivers, platform admins all. Double booking is refused by the
database (EXCLUDE constraint), not by a racy check here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend import metrics
from homecare_backend.api import page_by_id
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.bookings.schemas import BookingIn
from homecare_backend.caregivers import service as caregivers_service
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError

MAX_LEAD = timedelta(days=366)
S = BookingStatus
# (role, from, to) moves each party may make.
TRANSITIONS: dict[Role, set[tuple[S, S]]] = {
    Role.FAMILY: {(S.REQUESTED, S.CANCELLED), (S.CONFIRMED, S.CANCELLED)},
    Role.CAREGIVER: {
        (S.REQUESTED, S.CONFIRMED),
        (S.CONFIRMED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.COMPLETED),
        (S.REQUESTED, S.CANCELLED),
        (S.CONFIRMED, S.CANCELLED),
    },
    Role.PLATFORM_ADMIN: {(S.REQUESTED, S.CANCELLED), (S.CONFIRMED, S.CANCELLED)},
    Role.AGENCY_ADMIN: set(),
}


def not_found(booking_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404, "booking_not_found", "Booking not found", f"No booking {booking_id} that you can see."
    )


def visible_to(user: User) -> Select[Booking]:
    stmt = select(Booking)
    match user.role:
        case Role.PLATFORM_ADMIN:
            return stmt
        case Role.FAMILY:
            mine = select(CareRecipient.id).where(CareRecipient.family_id == user.id)
            return stmt.where(Booking.recipient_id.in_(mine))
        case Role.CAREGIVER:
            me = select(CaregiverProfile.id).where(CaregiverProfile.user_id == user.id)
            return stmt.where(Booking.caregiver_id.in_(me))
        case _:
            agency = select(CaregiverProfile.id).where(
                CaregiverProfile.agency_id.is_not(None),
                CaregiverProfile.agency_id == user.agency_id,
            )
            return stmt.where(Booking.caregiver_id.in_(agency))


async def get_visible(
    session: AsyncSession, user: User, booking_id: uuid.UUID, *, lock: bool = False
) -> Booking:
    stmt = visible_to(user).where(Booking.id == booking_id)
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(booking_id)
    return found


async def _announce(session: AsyncSession, booking: Booking, reason: str) -> None:
    """Tell the family and the caregiver (feed/SSE/push) and the matching index."""
    family_id = await session.scalar(
        select(CareRecipient.family_id).where(CareRecipient.id == booking.recipient_id)
    )
    caregiver_user = None
    if booking.caregiver_id is not None:
        caregiver_user = await session.scalar(
            select(CaregiverProfile.user_id).where(CaregiverProfile.id == booking.caregiver_id)
        )
        await outbox.caregiver_changed(session, booking.caregiver_id, reason)
    payload = {
        "booking_id": str(booking.id),
        "status": booking.status.value,
        "start_at": booking.start_at.isoformat(),
        "reason": reason,
    }
    users = {u for u in (family_id, caregiver_user) if u is not None}
    await outbox.enqueue_many(session, [(u, "booking.status_changed", payload) for u in users])


def _double_booked(exc: IntegrityError) -> ProblemError:
    if "ex_bookings_caregiver_no_overlap" in str(exc.orig):
        return ProblemError(
            409,
            "caregiver_double_booked",
            "The caregiver is already booked then",
            "Pick another time or another caregiver.",
        )
    raise exc


async def create(session: AsyncSession, user: User, data: BookingIn) -> Booking:
    recipient = await recipients_service.get_owned(session, user, data.recipient_id)
    now = datetime.now(UTC)
    if not now < data.start_at < now + MAX_LEAD:
        raise ProblemError(
            409,
            "booking_out_of_range",
            "Start time not bookable",
            "Bookings start in the future and at most one year ahead.",
        )
    if data.caregiver_id is not None:
        await caregivers_service.get_visible(session, user, data.caregiver_id)
    booking = Booking(
        recipient_id=recipient.id,
        caregiver_id=data.caregiver_id,
        start_at=data.start_at,
        end_at=data.start_at + timedelta(minutes=data.duration_minutes),
        status=S.REQUESTED,
        notes=data.notes,
    )
    session.add(booking)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise _double_booked(exc) from exc
    await _announce(session, booking, "created")
    await session.commit()
    metrics.BOOKING_TRANSITIONS.labels(to=booking.status.value).inc()
    await session.refresh(booking)
    return booking


async def change_status(
    session: AsyncSession, user: User, booking_id: uuid.UUID, target: BookingStatus
) -> Booking:
    booking = await get_visible(session, user, booking_id, lock=True)
    move = (booking.status, target)
    if move not in TRANSITIONS[user.role]:
        if any(move in allowed for allowed in TRANSITIONS.values()):
            raise ProblemError(
                403,
                "not_your_move",
                "Another party makes this change",
                f"As {user.role.value} you cannot move a booking to {target.value}.",
            )
        raise ProblemError(
            409,
            "invalid_transition",
            "Status change not allowed",
            f"As {user.role.value} you cannot move a booking from {booking.status.value} "
            f"to {target.value}.",
        )
    booking.status = target
    await _announce(session, booking, f"status_{target.value}")
    await session.commit()
    metrics.BOOKING_TRANSITIONS.labels(to=target.value).inc()
    await session.refresh(booking)
    return booking


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[Booking], str | None]:
    """One page of what `user` may see, oldest first."""
    return await page_by_id(session, visible_to(user), Booking.id, cursor, limit)
