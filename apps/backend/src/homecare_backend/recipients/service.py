"""Care recipients: a family manages its own; platform admins may read all."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.api import page_by_id
from homecare_backend.bookings.models import ACTIVE_STATUSES, Booking
from homecare_backend.payments.models import Payment, PaymentStatus
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.recipients.schemas import RecipientIn
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError


def not_found(recipient_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "recipient_not_found",
        "Care recipient not found",
        f"No care recipient {recipient_id} among those you manage.",
    )


def visible_to(user: User) -> Select[CareRecipient]:
    stmt = select(CareRecipient)
    if user.role == Role.PLATFORM_ADMIN:
        return stmt
    if user.role == Role.FAMILY:
        return stmt.where(CareRecipient.family_id == user.id)
    raise ProblemError(
        403,
        "forbidden_role",
        "Not allowed for your role",
        "Care recipients are managed by family accounts.",
    )


async def get_visible(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> CareRecipient:
    if user.role not in (Role.FAMILY, Role.PLATFORM_ADMIN):
        raise not_found(recipient_id)
    found = (
        await session.execute(visible_to(user).where(CareRecipient.id == recipient_id))
    ).scalar_one_or_none()
    if found is None:
        raise not_found(recipient_id)
    return found


async def member_user_ids(session: AsyncSession, recipient_id: uuid.UUID) -> list[uuid.UUID]:
    """Every family account sharing the recipient (the owner first)."""
    owner = await session.scalar(
        select(CareRecipient.family_id).where(CareRecipient.id == recipient_id)
    )
    return [] if owner is None else [owner]


async def get_owned(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> CareRecipient:
    recipient = await get_visible(session, user, recipient_id)
    if recipient.family_id != user.id:
        raise ProblemError(
            403, "not_owner", "Only the family can change this", "Ask the family account."
        )
    return recipient


def _values(data: RecipientIn) -> dict[str, object]:
    values = data.model_dump()
    values["conditions"] = sorted(set(values["conditions"]))
    values["preferred_languages"] = sorted(set(values["preferred_languages"]))
    return values


async def create(session: AsyncSession, user: User, data: RecipientIn) -> CareRecipient:
    recipient = CareRecipient(family_id=user.id, **_values(data))
    session.add(recipient)
    await session.commit()
    await session.refresh(recipient)
    return recipient


async def replace(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, data: RecipientIn
) -> CareRecipient:
    recipient = await get_owned(session, user, recipient_id)
    for key, value in _values(data).items():
        setattr(recipient, key, value)
    await session.commit()
    await session.refresh(recipient)
    return recipient


async def delete(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> None:
    recipient = await get_owned(session, user, recipient_id)
    active = await session.scalar(
        select(Booking.id)
        .where(Booking.recipient_id == recipient.id, Booking.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
    if active is not None:
        raise ProblemError(
            409,
            "recipient_has_active_bookings",
            "Care recipient has active bookings",
            "Cancel or complete the bookings first.",
        )
    # Payments never charged go with the recipient; charged ones are kept (refused below).
    bookings_of = select(Booking.id).where(Booking.recipient_id == recipient.id)
    await session.execute(
        sa_delete(Payment).where(
            Payment.booking_id.in_(bookings_of),
            Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.FAILED)),
        )
    )
    charged = await session.scalar(
        select(Payment.id).where(Payment.booking_id.in_(bookings_of)).limit(1)
    )
    if charged is not None:
        await session.rollback()
        raise ProblemError(
            409,
            "recipient_has_payments",
            "Care recipient has payment records",
            "Payments are kept for accounting; the recipient cannot be deleted.",
        )
    await session.delete(recipient)
    await session.commit()


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[CareRecipient], str | None]:
    """One page of what `user` may see, oldest first."""
    return await page_by_id(session, visible_to(user), CareRecipient.id, cursor, limit)
