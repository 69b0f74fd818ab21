from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from homecare_backend.api import (
    OBJECT_ERRORS,
    STRICT_QUERY,
    Page,
    PageLimit,
    UuidCursor,
    links_by_id,
)
from homecare_backend.auth.deps import CurrentUser, FamilyUser
from homecare_backend.bookings import service
from homecare_backend.bookings.schemas import BookingIn, BookingOut, StatusChangeIn
from homecare_backend.db import SessionDep
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/bookings", tags=["bookings"], dependencies=[STRICT_QUERY])
_LINKS = links_by_id(
    "booking_id", GetBooking="get_booking", ChangeBookingStatus="change_booking_status"
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_booking",
    summary="Request a visit for one of your care recipients",
    responses={201: {"links": _LINKS}, **OBJECT_ERRORS, **problem_responses(409)},
)
async def create_booking(data: BookingIn, user: FamilyUser, session: SessionDep) -> BookingOut:
    return BookingOut.model_validate(await service.create(session, user, data))


@router.get(
    "",
    operation_id="list_bookings",
    summary="Bookings you may see",
    responses=problem_responses(401),
)
async def list_bookings(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[BookingOut]:
    rows, next_cursor = await service.list_visible(session, user, cursor=cursor, limit=limit)
    return Page(items=[BookingOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{booking_id}",
    operation_id="get_booking",
    summary="One booking",
    responses=OBJECT_ERRORS,
)
async def get_booking(booking_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> BookingOut:
    return BookingOut.model_validate(await service.get_visible(session, user, booking_id))


@router.post(
    "/{booking_id}/status",
    operation_id="change_booking_status",
    summary="Move a booking (caregiver confirms/starts/completes; family cancels)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def change_booking_status(
    booking_id: uuid.UUID, data: StatusChangeIn, user: CurrentUser, session: SessionDep
) -> BookingOut:
    return BookingOut.model_validate(
        await service.change_status(session, user, booking_id, data.status)
    )
