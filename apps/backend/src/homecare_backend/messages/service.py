"""Message threads, one per booking, between the booking's parties only.

The parties of a booking: every family account sharing its recipient, the assigned
caregiver, and the admins of that caregiver's agency. Nobody else reads or writes the
thread — a platform admin who may see the booking is told so (403 `not_a_party`), anyone
else finds no booking (404). Each message is announced to the other parties through the
outbox (feed, SSE, push) in the same transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.models import Booking
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.messages.models import BookingMessage, MessageRead
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError

PREVIEW_CHARS = 80


async def parties(session: AsyncSession, booking: Booking) -> dict[uuid.UUID, str]:
    """user id → the party it is in this booking's thread (`family`, `caregiver`, `agency`)."""
    found: dict[uuid.UUID, str] = dict.fromkeys(
        await recipients_service.member_user_ids(session, booking.recipient_id), "family"
    )
    if booking.caregiver_id is not None:
        profile = await session.get(CaregiverProfile, booking.caregiver_id)
        if profile is not None:
            found[profile.user_id] = "caregiver"
            if profile.agency_id is not None:
                admins = await session.scalars(
                    select(User.id).where(
                        User.role == Role.AGENCY_ADMIN, User.agency_id == profile.agency_id
                    )
                )
                found.update(dict.fromkeys(admins, "agency"))
    return found


async def _thread(
    session: AsyncSession, user: User, booking_id: uuid.UUID
) -> tuple[Booking, dict[uuid.UUID, str]]:
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise bookings_service.not_found(booking_id)
    members = await parties(session, booking)
    if user.id not in members:
        if user.role == Role.PLATFORM_ADMIN:
            raise ProblemError(
                403,
                "not_a_party",
                "Only the booking's parties use its thread",
                "The family, the assigned caregiver and their agency message each other here.",
            )
        raise bookings_service.not_found(booking_id)
    return booking, members


async def _unread(session: AsyncSession, user_id: uuid.UUID, booking_id: uuid.UUID) -> int:
    last_read = select(MessageRead.last_read_id).where(
        MessageRead.booking_id == booking_id, MessageRead.user_id == user_id
    )
    count = await session.scalar(
        select(func.count())
        .select_from(BookingMessage)
        .where(
            BookingMessage.booking_id == booking_id,
            BookingMessage.id > func.coalesce(last_read.scalar_subquery(), 0),
            BookingMessage.sender_id.is_distinct_from(user_id),
        )
    )
    return int(count or 0)


async def send(
    session: AsyncSession, user: User, booking_id: uuid.UUID, body: str
) -> BookingMessage:
    booking, members = await _thread(session, user, booking_id)
    message = BookingMessage(
        booking_id=booking.id, sender_id=user.id, sender_role=members[user.id], body=body
    )
    session.add(message)
    await session.flush()
    payload = {
        "booking_id": str(booking.id),
        "message_id": message.id,
        "sender_role": message.sender_role,
        "preview": body[:PREVIEW_CHARS],
    }
    await outbox.enqueue_many(
        session, [(u, "message.created", payload) for u in members if u != user.id]
    )
    await session.commit()
    await session.refresh(message)
    return message


async def page(
    session: AsyncSession, user: User, booking_id: uuid.UUID, *, cursor: int | None, limit: int
) -> tuple[list[BookingMessage], int | None, int]:
    """One page of the thread, oldest first, and the reader's unread count."""
    await _thread(session, user, booking_id)
    stmt = select(BookingMessage).where(BookingMessage.booking_id == booking_id)
    if cursor is not None:
        stmt = stmt.where(BookingMessage.id > cursor)
    rows = list((await session.scalars(stmt.order_by(BookingMessage.id).limit(limit + 1))).all())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor, await _unread(session, user.id, booking_id)


async def mark_read(session: AsyncSession, user: User, booking_id: uuid.UUID) -> int:
    """Everything in the thread so far is read by `user`; returns the marker (a message id)."""
    await _thread(session, user, booking_id)
    latest = await session.scalar(
        select(func.coalesce(func.max(BookingMessage.id), 0)).where(
            BookingMessage.booking_id == booking_id
        )
    )
    stmt = insert(MessageRead).values(
        booking_id=booking_id, user_id=user.id, last_read_id=int(latest or 0)
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["booking_id", "user_id"],
            # Never backwards: a slow request cannot unread what a faster one marked.
            set_={
                "last_read_id": func.greatest(MessageRead.last_read_id, stmt.excluded.last_read_id),
                "read_at": func.now(),
            },
        )
    )
    await session.commit()
    marker = await session.scalar(
        select(MessageRead.last_read_id).where(
            MessageRead.booking_id == booking_id, MessageRead.user_id == user.id
        )
    )
    return int(marker or 0)


async def unread(session: AsyncSession, user: User, booking_id: uuid.UUID) -> int:
    return await _unread(session, user.id, booking_id)


async def threads(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[tuple[uuid.UUID, int, int, object]], str | None, int]:
    """The user's threads with messages: (booking id, count, unread, last message time),
    the next cursor, and the unread total over all of them."""
    if user.role == Role.PLATFORM_ADMIN:
        return [], None, 0  # a platform admin is no party of any thread
    mine = bookings_service.visible_to(user).with_only_columns(Booking.id)
    read = and_(MessageRead.booking_id == BookingMessage.booking_id, MessageRead.user_id == user.id)
    is_unread = and_(
        BookingMessage.id > func.coalesce(MessageRead.last_read_id, 0),
        BookingMessage.sender_id.is_distinct_from(user.id),
    )
    unread_count = func.count().filter(is_unread)
    base = (
        select(BookingMessage.booking_id)
        .outerjoin(MessageRead, read)
        .where(BookingMessage.booking_id.in_(mine))
    )
    total = await session.scalar(
        select(func.count())
        .select_from(BookingMessage)
        .outerjoin(MessageRead, read)
        .where(BookingMessage.booking_id.in_(mine), is_unread)
    )
    stmt = base.add_columns(func.count(), unread_count, func.max(BookingMessage.created_at))
    if cursor is not None:
        stmt = stmt.where(BookingMessage.booking_id > cursor)
    rows = (
        await session.execute(
            stmt.group_by(BookingMessage.booking_id)
            .order_by(BookingMessage.booking_id)
            .limit(limit + 1)
        )
    ).all()
    items = [(r[0], int(r[1]), int(r[2]), r[3]) for r in rows[:limit]]
    next_cursor = str(rows[limit - 1][0]) if len(rows) > limit else None
    return items, next_cursor, int(total or 0)
