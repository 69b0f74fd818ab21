from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from homecare_backend.agencies.models import Agency
from homecare_backend.api import STRICT_QUERY, Page, PageLimit, UuidCursor, page_by_id, text
from homecare_backend.auth.deps import CurrentUser, PlatformAdmin
from homecare_backend.db import SessionDep
from homecare_backend.users.models import Role
from homecare_shared.errors import ProblemError
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/agencies", tags=["agencies"], dependencies=[STRICT_QUERY])


class AgencyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "행복방문요양센터"}]})
    name: Annotated[str, text(1, 200)]


class AgencyOut(AgencyIn):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    created_at: datetime


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_agency",
    summary="Register a care agency (platform admins)",
    responses=problem_responses(401, 403),
)
async def create_agency(data: AgencyIn, _admin: PlatformAdmin, session: SessionDep) -> AgencyOut:
    agency = Agency(name=data.name)
    session.add(agency)
    await session.commit()
    await session.refresh(agency)
    return AgencyOut.model_validate(agency)


@router.get(
    "",
    operation_id="list_agencies",
    summary="Agencies (platform admins: all; agency admins: their own)",
    responses=problem_responses(401, 403),
)
async def list_agencies(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[AgencyOut]:
    stmt = select(Agency)
    if user.role == Role.AGENCY_ADMIN:
        stmt = stmt.where(Agency.id == user.agency_id)
    elif user.role != Role.PLATFORM_ADMIN:
        raise ProblemError(
            403, "forbidden_role", "Not allowed for your role", "Only admins list agencies."
        )
    rows, next_cursor = await page_by_id(session, stmt, Agency.id, cursor, limit)
    return Page(items=[AgencyOut.model_validate(r) for r in rows], next_cursor=next_cursor)
