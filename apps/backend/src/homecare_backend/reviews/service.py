"""Reviews: after a completed visit, one per visit from its family; the caregiver replies once.

Writing a review updates the caregiver's rating summary (`caregiver_profiles.rating_avg`,
`rating_count`, which matching ranks by) in the same transaction, recomputed from the reviews
under a lock on the caregiver's row, and NOTIFYs the matching index like every caregiver change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.api import page_by_id
from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.caregivers import service as caregivers_service
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.reviews.models import Review
from homecare_backend.reviews.schemas import ReviewIn
from homecare_backend.users.models import User
from homecare_shared.errors import ProblemError

REVIEWABLE = (BookingStatus.COMPLETED, BookingStatus.SETTLED)


def _exists() -> ProblemError:
    return ProblemError(
        409, "review_exists", "This visit is already reviewed", "One review per visit."
    )


def review_not_found(what: uuid.UUID) -> ProblemError:
    return ProblemError(
        404, "review_not_found", "Review not found", f"No review {what} you can see."
    )


async def create(
    session: AsyncSession, user: User, booking_id: uuid.UUID, data: ReviewIn
) -> Review:
    booking = await session.get(Booking, booking_id)
    if booking is None or user.id not in await recipients_service.member_user_ids(
        session, booking.recipient_id
    ):
        raise bookings_service.not_found(booking_id)
    if booking.status not in REVIEWABLE or booking.caregiver_id is None:
        raise ProblemError(
            409,
            "visit_not_completed",
            "The visit is not completed yet",
            "A visit is reviewed once the caregiver has completed it.",
            current_status=booking.status.value,
        )
    # The caregiver's row first: concurrent reviews of one caregiver queue here, so each
    # recomputed summary includes the others.
    profile = (
        await session.execute(
            select(CaregiverProfile)
            .where(CaregiverProfile.id == booking.caregiver_id)
            .with_for_update()
        )
    ).scalar_one()
    if await session.scalar(select(Review.id).where(Review.booking_id == booking.id)) is not None:
        raise _exists()
    review = Review(
        booking_id=booking.id,
        caregiver_id=profile.id,
        author_id=user.id,
        rating=data.rating,
        body=data.body,
    )
    session.add(review)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise _exists() from exc
    avg, count = (
        await session.execute(
            select(func.avg(Review.rating), func.count()).where(Review.caregiver_id == profile.id)
        )
    ).one()
    profile.rating_avg = round(float(avg), 2)
    profile.rating_count = int(count)
    await outbox.caregiver_changed(session, profile.id, "review")
    await outbox.notify_user(
        session,
        profile.user_id,
        "review.created",
        {"booking_id": str(booking.id), "review_id": str(review.id), "rating": review.rating},
    )
    await session.commit()
    await session.refresh(review)
    return review


async def for_booking(session: AsyncSession, user: User, booking_id: uuid.UUID) -> Review:
    booking = await bookings_service.get_visible(session, user, booking_id)
    review = await session.scalar(select(Review).where(Review.booking_id == booking.id))
    if review is None:
        raise ProblemError(
            404, "review_not_found", "No review yet", f"Visit {booking_id} has no review."
        )
    return review


async def reply(session: AsyncSession, user: User, review_id: uuid.UUID, body: str) -> Review:
    """The reviewed caregiver's one reply (404 for any other caregiver)."""
    found = (
        await session.execute(
            select(Review, CaregiverProfile.user_id)
            .join(CaregiverProfile, CaregiverProfile.id == Review.caregiver_id)
            .where(Review.id == review_id)
            .with_for_update(of=Review)
        )
    ).one_or_none()
    if found is None or found[1] != user.id:
        raise review_not_found(review_id)
    review = found[0]
    if review.reply is not None:
        raise ProblemError(
            409, "reply_exists", "Already replied", "A caregiver replies to a review once."
        )
    review.reply = body
    review.replied_at = func.now()
    if review.author_id is not None:
        await outbox.notify_user(
            session,
            review.author_id,
            "review.replied",
            {"booking_id": str(review.booking_id), "review_id": str(review.id)},
        )
    await session.commit()
    await session.refresh(review)
    return review


async def of_caregiver(
    session: AsyncSession,
    user: User,
    caregiver_id: uuid.UUID,
    *,
    cursor: uuid.UUID | None,
    limit: int,
) -> tuple[CaregiverProfile, list[Review], str | None]:
    profile = await caregivers_service.get_visible(session, user, caregiver_id)
    rows, next_cursor = await page_by_id(
        session, select(Review).where(Review.caregiver_id == profile.id), Review.id, cursor, limit
    )
    return profile, rows, next_cursor
