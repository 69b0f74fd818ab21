from __future__ import annotations

from fastapi import APIRouter, status

from homecare_backend.agencies import service
from homecare_backend.agencies.schemas import AgencyIn, AgencyOut
from homecare_backend.api import STRICT_QUERY, Page, PageLimit, UuidCursor
from homecare_backend.auth.deps import CurrentUser, PlatformAdmin
from homecare_backend.db import SessionDep
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/agencies", tags=["agencies"], dependencies=[STRICT_QUERY])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_agency",
    summary="Register a care agency (platform admins)",
    responses=problem_responses(401, 403),
)
async def create_agency(data: AgencyIn, _admin: PlatformAdmin, session: SessionDep) -> AgencyOut:
    return AgencyOut.model_validate(await service.create(session, data))


@router.get(
    "",
    operation_id="list_agencies",
    summary="Agencies (platform admins: all; agency admins: their own)",
    responses=problem_responses(401, 403),
)
async def list_agencies(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[AgencyOut]:
    rows, next_cursor = await service.list_visible(session, user, cursor=cursor, limit=limit)
    return Page(items=[AgencyOut.model_validate(r) for r in rows], next_cursor=next_cursor)
