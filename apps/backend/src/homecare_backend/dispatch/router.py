"""Dispatch routes: families start a dispatch for a booking; caregivers answer their offers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CaregiverUser, CurrentUser
from homecare_backend.caregivers import service as caregivers_service
from homecare_backend.db import SessionDep
from homecare_backend.dispatch import service
from homecare_backend.dispatch.schemas import DispatchOut, DispatchStartIn, OfferOut
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["dispatch"], dependencies=[STRICT_QUERY])
_ANSWER_ERRORS = {**OBJECT_ERRORS, **problem_responses(409)}


def _dispatch_service(request: Request) -> service.DispatchService:
    """The app's one `DispatchService` (its candidate source talks to the matching service)."""
    dispatch: service.DispatchService = request.app.state.dispatch
    return dispatch


DispatchServiceDep = Annotated[service.DispatchService, Depends(_dispatch_service)]


@router.post(
    "/dispatches",
    status_code=status.HTTP_201_CREATED,
    operation_id="start_dispatch",
    summary="Offer a booking to the best caregivers in waves",
    responses={**OBJECT_ERRORS, **problem_responses(409, 503)},
)
async def start_dispatch(
    data: DispatchStartIn, user: CurrentUser, session: SessionDep, dispatch: DispatchServiceDep
) -> DispatchOut:
    started = await dispatch.start(session, booking_id=data.booking_id, requested_by=user)
    return DispatchOut.model_validate(started)


@router.get(
    "/offers",
    operation_id="list_my_offers",
    summary="Your offers, newest first",
    responses=OBJECT_ERRORS,
)
async def list_my_offers(user: CaregiverUser, session: SessionDep) -> list[OfferOut]:
    profile = await caregivers_service.own_profile(session, user)
    rows = await service.offers_for(session, caregiver_id=profile.id)
    return [OfferOut.model_validate(r) for r in rows]


@router.post(
    "/offers/{offer_id}/accept",
    operation_id="accept_offer",
    summary="Accept an offer (the first caregiver to accept gets the booking)",
    responses=_ANSWER_ERRORS,
)
async def accept_offer(
    offer_id: uuid.UUID, user: CaregiverUser, session: SessionDep, dispatch: DispatchServiceDep
) -> DispatchOut:
    profile = await caregivers_service.own_profile(session, user)
    answered = await dispatch.accept(session, offer_id=offer_id, caregiver_id=profile.id)
    return DispatchOut.model_validate(answered)


@router.post(
    "/offers/{offer_id}/decline",
    operation_id="decline_offer",
    summary="Decline an offer (the next wave goes out when nobody is left)",
    responses=_ANSWER_ERRORS,
)
async def decline_offer(
    offer_id: uuid.UUID, user: CaregiverUser, session: SessionDep, dispatch: DispatchServiceDep
) -> DispatchOut:
    profile = await caregivers_service.own_profile(session, user)
    answered = await dispatch.decline(session, offer_id=offer_id, caregiver_id=profile.id)
    return DispatchOut.model_validate(answered)
