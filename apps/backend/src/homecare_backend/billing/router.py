from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CurrentUser
from homecare_backend.billing import service
from homecare_backend.billing.schemas import BookingSplitOut, ChargeSplitOut, MonthOut
from homecare_backend.bookings import service as bookings_service
from homecare_backend.db import SessionDep
from homecare_backend.recipients import service as recipients_service
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/billing", tags=["billing"], dependencies=[STRICT_QUERY])
Month = Annotated[
    str,
    Path(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (Asia/Seoul)"),
]


@router.get(
    "/bookings/{booking_id}/split",
    operation_id="get_booking_split",
    summary="The booking's split (NHIS, co-pay, above-limit self-pay), before confirmation",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def get_booking_split(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> BookingSplitOut:
    booking = await bookings_service.get_visible(session, user, booking_id)
    recipient, statement, mine = await service.booking_split(session, booking)
    return BookingSplitOut(
        booking=ChargeSplitOut.of(mine),
        provisional=statement.pricing.provisional,
        month=MonthOut.of(recipient.id, recipient.care_grade, statement),
    )


@router.get(
    "/recipients/{recipient_id}/months/{month}",
    operation_id="get_recipient_month",
    summary="A recipient's month to date: limit used, co-pay, above-limit self-pay",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def get_recipient_month(
    recipient_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> MonthOut:
    recipient = await recipients_service.get_visible(session, user, recipient_id)
    year, mon = (int(part) for part in month.split("-"))
    statement = await service.statement(session, recipient, year, mon)
    return MonthOut.of(recipient.id, recipient.care_grade, statement)
