from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY, PageLimit, UuidCursor
from homecare_backend.auth.deps import CaregiverUser, CurrentUser, FamilyUser
from homecare_backend.db import SessionDep
from homecare_backend.reviews import service
from homecare_backend.reviews.schemas import ReplyIn, ReviewIn, ReviewOut, ReviewPage
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["reviews"], dependencies=[STRICT_QUERY])


@router.post(
    "/bookings/{booking_id}/review",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_review",
    summary="Review a completed visit (its family, once); updates the caregiver's rating",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def create_review(
    booking_id: uuid.UUID, data: ReviewIn, user: FamilyUser, session: SessionDep
) -> ReviewOut:
    return ReviewOut.model_validate(await service.create(session, user, booking_id, data))


@router.get(
    "/bookings/{booking_id}/review",
    operation_id="get_booking_review",
    summary="The visit's review, if it has one",
    responses=OBJECT_ERRORS,
)
async def get_booking_review(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ReviewOut:
    return ReviewOut.model_validate(await service.for_booking(session, user, booking_id))


@router.post(
    "/reviews/{review_id}/reply",
    operation_id="reply_to_review",
    summary="The reviewed caregiver's reply (once)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def reply_to_review(
    review_id: uuid.UUID, data: ReplyIn, user: CaregiverUser, session: SessionDep
) -> ReviewOut:
    return ReviewOut.model_validate(await service.reply(session, user, review_id, data.body))


@router.get(
    "/caregivers/{caregiver_id}/reviews",
    operation_id="list_caregiver_reviews",
    summary="A caregiver's reviews and rating summary",
    responses=OBJECT_ERRORS,
)
async def list_caregiver_reviews(
    caregiver_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    cursor: UuidCursor = None,
    limit: PageLimit = 50,
) -> ReviewPage:
    profile, rows, next_cursor = await service.of_caregiver(
        session, user, caregiver_id, cursor=cursor, limit=limit
    )
    return ReviewPage(
        items=[ReviewOut.model_validate(r) for r in rows],
        next_cursor=next_cursor,
        rating_avg=profile.rating_avg,
        rating_count=profile.rating_count,
    )
