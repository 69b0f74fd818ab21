"""Dispatch routes: families start a dispatch for a booking; caregivers answer their offers."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from homecare_backend.api import OBJECT_ERRORS
from homecare_backend.auth.deps import CaregiverUser, CurrentUser
from homecare_backend.bookings.models import Booking
from homecare_backend.caregivers.service import own_profile
from homecare_backend.db import SessionDep
from homecare_backend.dispatch.models import Dispatch, DispatchOffer
from homecare_backend.dispatch.service import DispatchService
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role
from homecare_shared.errors import ProblemError
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["dispatch"])
_ANSWER_ERRORS = {**OBJECT_ERRORS, **problem_responses(409)}


class DispatchStartIn(BaseModel):
    booking_id: uuid.UUID


class DispatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    booking_id: uuid.UUID
    status: str
    wave: int
    accepted_caregiver_id: uuid.UUID | None


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dispatch_id: uuid.UUID
    wave: int
    status: str
    offered_at: datetime
    expires_at: datetime


def _service(request: Request) -> DispatchService:
    service: DispatchService | None = getattr(request.app.state, "dispatch", None)
    if service is None:
        raise ProblemError(503, "dispatch_unavailable", "Dispatch is not configured")
    return service


@router.post(
    "/dispatches",
    status_code=status.HTTP_201_CREATED,
    summary="Offer a booking to the best caregivers in waves",
    responses={**OBJECT_ERRORS, **problem_responses(409, 503)},
)
async def start_dispatch(
    data: DispatchStartIn, user: CurrentUser, session: SessionDep, request: Request
) -> DispatchOut:
    family = await session.scalar(
        select(CareRecipient.family_id)
        .join(Booking, Booking.recipient_id == CareRecipient.id)
        .where(Booking.id == data.booking_id)
    )
    if family is None or (user.role != Role.PLATFORM_ADMIN and family != user.id):
        raise ProblemError(404, "booking_not_found", "No such booking", "Check the booking id.")
    await session.rollback()  # the service uses its own transaction
    return DispatchOut.model_validate(await _service(request).start(data.booking_id))


@router.get("/dispatch/offers", summary="Your offers, newest first", responses=OBJECT_ERRORS)
async def my_offers(user: CaregiverUser, session: SessionDep) -> list[OfferOut]:
    profile = await own_profile(session, user)
    rows = await session.scalars(
        select(DispatchOffer)
        .where(DispatchOffer.caregiver_id == profile.id)
        .order_by(DispatchOffer.offered_at.desc())
        .limit(100)
    )
    return [OfferOut.model_validate(r) for r in rows]


async def _answer(
    request: Request, session: SessionDep, user: CaregiverUser, offer_id: uuid.UUID, accept: bool
) -> DispatchOut:
    caregiver_id = (await own_profile(session, user)).id
    await session.rollback()  # the service runs its own transaction
    service = _service(request)
    dispatch: Dispatch = await (
        service.accept(offer_id, caregiver_id)
        if accept
        else service.decline(offer_id, caregiver_id)
    )
    return DispatchOut.model_validate(dispatch)


@router.post(
    "/dispatch/offers/{offer_id}/accept",
    summary="Accept an offer (the first caregiver to accept gets the booking)",
    responses=_ANSWER_ERRORS,
)
async def accept_offer(
    offer_id: uuid.UUID, user: CaregiverUser, session: SessionDep, request: Request
) -> DispatchOut:
    return await _answer(request, session, user, offer_id, accept=True)


@router.post(
    "/dispatch/offers/{offer_id}/decline",
    summary="Decline an offer (the next wave goes out when nobody is left)",
    responses=_ANSWER_ERRORS,
)
async def decline_offer(
    offer_id: uuid.UUID, user: CaregiverUser, session: SessionDep, request: Request
) -> DispatchOut:
    return await _answer(request, session, user, offer_id, accept=False)
