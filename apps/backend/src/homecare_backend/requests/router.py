"""Care request routes: a family asks, sees the ranked candidates, picks one or dispatches."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY, Page, PageLimit, UuidCursor
from homecare_backend.auth.deps import CurrentUser, FamilyUser
from homecare_backend.db import SessionDep
from homecare_backend.requests import service
from homecare_backend.requests.schemas import CareRequestIn, CareRequestOut, ChooseIn
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/care-requests", tags=["care requests"], dependencies=[STRICT_QUERY])
_BY_ID = {"care_request_id": "$response.body#/id"}
_LINKS = {
    "GetCareRequest": {"operationId": "get_care_request", "parameters": _BY_ID},
    "ChooseCandidate": {
        "operationId": "choose_care_candidate",
        "parameters": _BY_ID,
        "requestBody": {"caregiver_id": "$response.body#/candidates/0/caregiver_id"},
    },
}
# What a request led to: its booking, the booking's payment.
_BOOKING_LINKS = {
    "GetBooking": {
        "operationId": "get_booking",
        "parameters": {"booking_id": "$response.body#/booking_id"},
    },
    "CreatePayment": {
        "operationId": "create_payment",
        "parameters": {"booking_id": "$response.body#/booking_id"},
    },
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_care_request",
    summary="Ask for care for one of your recipients; matching ranks caregivers at once",
    responses={201: {"links": _LINKS}, **OBJECT_ERRORS, **problem_responses(409, 422, 503)},
)
async def create_care_request(
    data: CareRequestIn, request: Request, user: FamilyUser, session: SessionDep
) -> CareRequestOut:
    created = await service.create(session, user, data, request.app.state.matcher)
    return CareRequestOut.model_validate(created)


@router.get(
    "",
    operation_id="list_care_requests",
    summary="Care requests for the recipients you share (owner or viewer), oldest first",
    responses=OBJECT_ERRORS,
)
async def list_care_requests(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[CareRequestOut]:
    rows, next_cursor = await service.list_visible(session, user, cursor=cursor, limit=limit)
    return Page(items=[CareRequestOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{care_request_id}",
    operation_id="get_care_request",
    summary="One care request with its ranked candidates and what it led to",
    responses=OBJECT_ERRORS,
)
async def get_care_request(
    care_request_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> CareRequestOut:
    return CareRequestOut.model_validate(await service.get_visible(session, user, care_request_id))


@router.post(
    "/{care_request_id}/choose",
    operation_id="choose_care_candidate",
    summary="Pick a candidate: the visit (or weekly series) is offered to them",
    responses={200: {"links": _BOOKING_LINKS}, **OBJECT_ERRORS, **problem_responses(409, 422)},
)
async def choose_care_candidate(
    care_request_id: uuid.UUID, data: ChooseIn, user: FamilyUser, session: SessionDep
) -> CareRequestOut:
    chosen = await service.choose(
        session, user, request_id=care_request_id, caregiver_id=data.caregiver_id
    )
    return CareRequestOut.model_validate(chosen)


@router.post(
    "/{care_request_id}/dispatch",
    operation_id="dispatch_care_request",
    summary="Offer the request in waves to its ranked candidates instead of picking one",
    responses={200: {"links": _BOOKING_LINKS}, **OBJECT_ERRORS, **problem_responses(409)},
)
async def dispatch_care_request(
    care_request_id: uuid.UUID, request: Request, user: FamilyUser, session: SessionDep
) -> CareRequestOut:
    started = await service.dispatch(
        session, user, request_id=care_request_id, dispatcher=request.app.state.dispatch
    )
    return CareRequestOut.model_validate(started)


@router.post(
    "/{care_request_id}/cancel",
    operation_id="cancel_care_request",
    summary="Withdraw an open care request",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def cancel_care_request(
    care_request_id: uuid.UUID, user: FamilyUser, session: SessionDep
) -> CareRequestOut:
    return CareRequestOut.model_validate(await service.cancel(session, user, care_request_id))
