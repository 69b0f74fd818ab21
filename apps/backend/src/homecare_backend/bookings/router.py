from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from homecare_backend import idempotency
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
from homecare_backend.bookings.cancellation import CancelledBy
from homecare_backend.bookings.schemas import (
    BookingIn,
    BookingOut,
    CancellationTermsOut,
    SeriesChangeIn,
    SeriesIn,
    SeriesOut,
    StatusChangeIn,
)
from homecare_backend.db import SessionDep
from homecare_backend.idempotency import IdempotencyHeader
from homecare_backend.payments import service as payments_service
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/bookings", tags=["bookings"], dependencies=[STRICT_QUERY])
series_router = APIRouter(
    prefix="/v1/booking-series", tags=["bookings"], dependencies=[STRICT_QUERY]
)
_LINKS = links_by_id(
    "booking_id",
    GetBooking="get_booking",
    ChangeBookingStatus="change_booking_status",
    GetBookingSplit="get_booking_split",
    GetCancellationTerms="get_cancellation_terms",
    CreatePayment="create_payment",
)
_SERIES_LINKS = links_by_id("series_id", GetSeries="get_series")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_booking",
    summary="Book a visit for one of your care recipients (send an Idempotency-Key to retry)",
    response_model=BookingOut,
    responses={201: {"links": _LINKS}, **OBJECT_ERRORS, **problem_responses(409, 422)},
)
async def create_booking(
    data: BookingIn,
    user: FamilyUser,
    session: SessionDep,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    async def action() -> tuple[int, Any]:
        booking = await service.create(session, user, data)
        return 201, BookingOut.model_validate(booking).model_dump(mode="json")

    code, body = await idempotency.run(
        session, user.id, idempotency_key, "POST /v1/bookings", data.model_dump(mode="json"), action
    )
    return JSONResponse(body, status_code=code)


@series_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_series",
    summary="Book a weekly recurring visit: all of it, or nothing if any date conflicts",
    responses={
        201: {"links": _SERIES_LINKS},
        **OBJECT_ERRORS,
        **problem_responses(409, 422),
    },
)
async def create_series(data: SeriesIn, user: FamilyUser, session: SessionDep) -> SeriesOut:
    series, visits = await service.create_series(session, user, data)
    return SeriesOut.model_validate(
        {**_series_fields(series), "visits": [BookingOut.model_validate(v) for v in visits]}
    )


def _series_fields(series: Any) -> dict[str, Any]:
    return {
        key: getattr(series, key)
        for key in (
            "id",
            "recipient_id",
            "caregiver_id",
            "service_type",
            "slots",
            "start_date",
            "end_date",
            "visit_count",
            "materialised_until",
            "active",
            "continues_series_id",
        )
    }


@series_router.post(
    "/{series_id}/changes",
    status_code=status.HTTP_201_CREATED,
    operation_id="change_series",
    summary="Change a series from a date on (earlier visits stay; refused whole on a conflict)",
    responses={
        201: {"links": _SERIES_LINKS},
        **OBJECT_ERRORS,
        **problem_responses(409, 422),
    },
)
async def change_series(
    series_id: uuid.UUID, data: SeriesChangeIn, user: FamilyUser, session: SessionDep
) -> SeriesOut:
    series, visits = await service.change_series(session, user, series_id, data)
    return SeriesOut.model_validate(
        {**_series_fields(series), "visits": [BookingOut.model_validate(v) for v in visits]}
    )


@series_router.get(
    "/{series_id}",
    operation_id="get_series",
    summary="One recurring series with its visits so far",
    responses=OBJECT_ERRORS,
)
async def get_series(series_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> SeriesOut:
    series = await service.get_series(session, user, series_id)
    visits = await service.series_visits(session, series.id)
    return SeriesOut.model_validate(
        {**_series_fields(series), "visits": [BookingOut.model_validate(v) for v in visits]}
    )


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


@router.get(
    "/{booking_id}/cancellation",
    operation_id="get_cancellation_terms",
    summary="What cancelling this booking now would cost the family (Asia/Seoul deadline)",
    responses=OBJECT_ERRORS,
)
async def get_cancellation_terms(
    booking_id: uuid.UUID, request: Request, user: FamilyUser, session: SessionDep
) -> CancellationTermsOut:
    booking = await service.get_owned(session, user, booking_id)
    payment = await payments_service.for_booking(session, booking.id)
    paid = 0 if payment is None or payment.approved_at is None else payment.amount_krw
    paid -= 0 if payment is None else payment.refunded_krw
    deal = service.cancellation_terms(
        booking, request.app.state.cancellation_policy, max(paid, 0), CancelledBy.FAMILY
    )
    return CancellationTermsOut(
        free=deal.free,
        free_until=deal.free_until,
        charge_percent=deal.charge_percent,
        paid_krw=max(paid, 0),
        charge_krw=deal.charge_krw,
        refund_krw=deal.refund_krw,
    )


@router.post(
    "/{booking_id}/status",
    operation_id="change_booking_status",
    summary="Move a booking (each move belongs to one party; 409 gives the current state)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def change_booking_status(
    booking_id: uuid.UUID,
    data: StatusChangeIn,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
) -> BookingOut:
    booking = await service.change_status(
        session,
        user,
        booking_id,
        data.status,
        policy=request.app.state.cancellation_policy,
        provider=request.app.state.payment_provider,
    )
    return BookingOut.model_validate(booking)
