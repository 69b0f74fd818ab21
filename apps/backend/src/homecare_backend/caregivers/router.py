from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response, status

from homecare_backend.api import (
    OBJECT_ERRORS,
    STRICT_QUERY,
    Page,
    PageLimit,
    UuidCursor,
    links_by_id,
)
from homecare_backend.auth.deps import CaregiverUser, CurrentUser
from homecare_backend.caregivers import service
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.caregivers.schemas import (
    AgencyMembershipIn,
    Availability,
    AvailabilityOut,
    CaregiverIn,
    CaregiverOut,
    DayOffIn,
    VerificationIn,
)
from homecare_backend.db import SessionDep
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/caregivers", tags=["caregivers"], dependencies=[STRICT_QUERY])
CONFLICT = problem_responses(409)
_LINKS = links_by_id(
    "caregiver_id",
    GetCaregiver="get_caregiver",
    GetAvailability="get_availability",
    ReplaceAvailability="replace_availability",
    AddDayOff="add_day_off",
)


def out(profile: CaregiverProfile) -> CaregiverOut:
    return CaregiverOut.model_validate(profile)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_caregiver_profile",
    summary="Create your caregiver profile (starts unverified)",
    responses={201: {"links": _LINKS}, **problem_responses(401, 403, 409)},
)
async def create_caregiver_profile(
    data: CaregiverIn, user: CaregiverUser, session: SessionDep
) -> CaregiverOut:
    return out(await service.create(session, user, data))


@router.get(
    "",
    operation_id="list_caregivers",
    summary="Caregivers you may see (families: verified; agency admins: their agency's)",
    responses=problem_responses(401),
)
async def list_caregivers(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[CaregiverOut]:
    rows, next_cursor = await service.list_visible(session, user, cursor=cursor, limit=limit)
    return Page(items=[out(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{caregiver_id}",
    operation_id="get_caregiver",
    summary="One caregiver profile",
    responses=OBJECT_ERRORS,
)
async def get_caregiver(
    caregiver_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> CaregiverOut:
    return out(await service.get_visible(session, user, caregiver_id))


@router.put(
    "/{caregiver_id}",
    operation_id="replace_caregiver_profile",
    summary="Replace your profile (a new licence number needs verification again)",
    responses=OBJECT_ERRORS,
)
async def replace_caregiver_profile(
    caregiver_id: uuid.UUID, data: CaregiverIn, user: CurrentUser, session: SessionDep
) -> CaregiverOut:
    return out(await service.replace(session, user, caregiver_id, data))


@router.get(
    "/{caregiver_id}/availability",
    operation_id="get_availability",
    summary="Weekly slots and days off (Asia/Seoul)",
    responses=OBJECT_ERRORS,
)
async def get_availability(
    caregiver_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> AvailabilityOut:
    profile = await service.get_visible(session, user, caregiver_id)
    return await service.availability(session, profile)


@router.put(
    "/{caregiver_id}/availability",
    operation_id="replace_availability",
    summary="Replace the weekly slots (caregiver or their agency admin)",
    responses={**OBJECT_ERRORS, **CONFLICT},
)
async def replace_availability(
    caregiver_id: uuid.UUID, data: Availability, user: CurrentUser, session: SessionDep
) -> AvailabilityOut:
    return await service.replace_availability(session, user, caregiver_id, data)


@router.post(
    "/{caregiver_id}/days-off",
    status_code=status.HTTP_201_CREATED,
    operation_id="add_day_off",
    summary="Add a day off (an exception to the weekly slots)",
    responses={**OBJECT_ERRORS, **CONFLICT},
)
async def add_day_off(
    caregiver_id: uuid.UUID, data: DayOffIn, user: CurrentUser, session: SessionDep
) -> AvailabilityOut:
    return await service.add_day_off(session, user, caregiver_id, data)


@router.delete(
    "/{caregiver_id}/days-off/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="remove_day_off",
    summary="Remove a day off",
    responses=OBJECT_ERRORS,
)
async def remove_day_off(
    caregiver_id: uuid.UUID, day: date, user: CurrentUser, session: SessionDep
) -> Response:
    await service.remove_day_off(session, user, caregiver_id, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{caregiver_id}/verification",
    operation_id="set_verification",
    summary="Set the licence verification status (platform admins)",
    responses=OBJECT_ERRORS,
)
async def set_verification(
    caregiver_id: uuid.UUID, data: VerificationIn, user: CurrentUser, session: SessionDep
) -> CaregiverOut:
    return out(await service.set_verification(session, user, caregiver_id, data))


@router.put(
    "/{caregiver_id}/agency",
    operation_id="set_agency",
    summary="Set or clear the caregiver's agency (platform admins)",
    responses={**OBJECT_ERRORS, **CONFLICT},
)
async def set_agency(
    caregiver_id: uuid.UUID, data: AgencyMembershipIn, user: CurrentUser, session: SessionDep
) -> CaregiverOut:
    return out(await service.set_agency(session, user, caregiver_id, data.agency_id))


# The signed-in caregiver's own profile, beside `/v1/me` (users domain).
me_router = APIRouter(prefix="/v1/me", tags=["users", "caregivers"], dependencies=[STRICT_QUERY])


@me_router.get(
    "/caregiver-profile",
    operation_id="get_own_caregiver_profile",
    summary="Your own caregiver profile",
    responses=OBJECT_ERRORS,
)
async def get_own_caregiver_profile(user: CaregiverUser, session: SessionDep) -> CaregiverOut:
    return out(await service.own_profile(session, user))
