from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY, Page, PageLimit, UuidCursor
from homecare_backend.auth.deps import CaregiverUser, CurrentUser
from homecare_backend.db import SessionDep
from homecare_backend.visits import service
from homecare_backend.visits.models import CheckKind, VisitCheck
from homecare_backend.visits.schemas import (
    CheckResultOut,
    FixIn,
    ResolutionIn,
    VisitCheckOut,
    VisitExceptionOut,
    VisitOut,
    VisitSiteIn,
    VisitSiteOut,
)
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["visits"], dependencies=[STRICT_QUERY])
_CHECK_ERRORS = {**OBJECT_ERRORS, **problem_responses(409, 422)}


def _check(check: VisitCheck) -> VisitCheckOut:
    return VisitCheckOut.model_validate(
        {
            **{k: getattr(check, k) for k in VisitCheckOut.model_fields if hasattr(check, k)},
            "inside_geofence": check.distance_m <= check.allowed_m,
        }
    )


def _result(verdict: service.Verdict) -> CheckResultOut:
    return CheckResultOut(
        check=_check(verdict.check),
        exceptions=[VisitExceptionOut.model_validate(e) for e in verdict.exceptions],
        booking_status=verdict.booking.status,
    )


@router.post(
    "/bookings/{booking_id}/check-in",
    status_code=status.HTTP_201_CREATED,
    operation_id="check_in_visit",
    summary="Check in at the home (assigned caregiver): GPS fix and tag; starts the visit",
    responses=_CHECK_ERRORS,
)
async def check_in_visit(
    booking_id: uuid.UUID, fix: FixIn, request: Request, user: CaregiverUser, session: SessionDep
) -> CheckResultOut:
    rules = service.policy(request.app.state.settings)
    return _result(await service.check_in(session, user, booking_id, fix, rules))


@router.post(
    "/bookings/{booking_id}/check-out",
    status_code=status.HTTP_201_CREATED,
    operation_id="check_out_visit",
    summary="Check out of the home (assigned caregiver): GPS fix and tag; completes the visit",
    responses=_CHECK_ERRORS,
)
async def check_out_visit(
    booking_id: uuid.UUID, fix: FixIn, request: Request, user: CaregiverUser, session: SessionDep
) -> CheckResultOut:
    rules = service.policy(request.app.state.settings)
    return _result(await service.check_out(session, user, booking_id, fix, rules))


@router.get(
    "/bookings/{booking_id}/visit",
    operation_id="get_visit",
    summary="The visit as verified: planned and served times, checks, exceptions",
    responses=OBJECT_ERRORS,
)
async def get_visit(booking_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VisitOut:
    booking, checks, exceptions = await service.visit(session, user, booking_id)
    check_in, check_out = checks.get(CheckKind.CHECK_IN), checks.get(CheckKind.CHECK_OUT)
    return VisitOut(
        booking_id=booking.id,
        status=booking.status,
        start_at=booking.start_at,
        end_at=booking.end_at,
        started_at=booking.started_at,
        finished_at=booking.finished_at,
        check_in=_check(check_in) if check_in else None,
        check_out=_check(check_out) if check_out else None,
        exceptions=[VisitExceptionOut.model_validate(e) for e in exceptions],
    )


@router.get(
    "/visit-exceptions",
    operation_id="list_visit_exceptions",
    summary="Visit exceptions to review (agency: its caregivers' visits; platform admin: all)",
    responses=problem_responses(401, 403),
)
async def list_visit_exceptions(
    user: CurrentUser,
    session: SessionDep,
    exception_status: Annotated[
        Literal["open", "accepted", "rejected"] | None,
        Query(alias="status", description="Only exceptions in this state"),
    ] = None,
    cursor: UuidCursor = None,
    limit: PageLimit = 50,
) -> Page[VisitExceptionOut]:
    rows, next_cursor = await service.list_exceptions(
        session, user, status=exception_status, cursor=cursor, limit=limit
    )
    return Page(items=[VisitExceptionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/visit-exceptions/{exception_id}/resolve",
    operation_id="resolve_visit_exception",
    summary="Accept or reject a visit exception after review (agency)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def resolve_visit_exception(
    exception_id: uuid.UUID, data: ResolutionIn, user: CurrentUser, session: SessionDep
) -> VisitExceptionOut:
    return VisitExceptionOut.model_validate(
        await service.resolve(session, user, exception_id, data)
    )


@router.get(
    "/recipients/{recipient_id}/visit-site",
    operation_id="get_visit_site",
    summary="A home's verification settings: fence radius, accuracy cap, whether a tag is set",
    responses=OBJECT_ERRORS,
)
async def get_visit_site(
    recipient_id: uuid.UUID, request: Request, user: CurrentUser, session: SessionDep
) -> VisitSiteOut:
    rules = service.policy(request.app.state.settings)
    rid, radius, cap, has_tag, updated = await service.get_site(session, user, recipient_id, rules)
    return VisitSiteOut(
        recipient_id=rid, radius_m=radius, accuracy_cap_m=cap, has_tag=has_tag, updated_at=updated
    )


@router.put(
    "/recipients/{recipient_id}/visit-site",
    operation_id="replace_visit_site",
    summary="Set a home's fence radius, accuracy cap and tag code (agency)",
    responses=OBJECT_ERRORS,
)
async def replace_visit_site(
    recipient_id: uuid.UUID, data: VisitSiteIn, user: CurrentUser, session: SessionDep
) -> VisitSiteOut:
    site = await service.put_site(session, user, recipient_id, data)
    return VisitSiteOut(
        recipient_id=site.recipient_id,
        radius_m=site.radius_m,
        accuracy_cap_m=site.accuracy_cap_m,
        has_tag=site.tag_digest is not None,
        updated_at=site.updated_at,
    )
