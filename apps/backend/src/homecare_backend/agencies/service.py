"""Care agencies: platform admins register and list all; an agency admin sees only their own."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.agencies.models import Agency
from homecare_backend.agencies.schemas import AgencyIn
from homecare_backend.api import page_by_id
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError


def visible_to(user: User) -> Select[Agency]:
    stmt = select(Agency)
    if user.role == Role.AGENCY_ADMIN:
        return stmt.where(Agency.id == user.agency_id)
    if user.role != Role.PLATFORM_ADMIN:
        raise ProblemError(
            403, "forbidden_role", "Not allowed for your role", "Only admins list agencies."
        )
    return stmt


async def create(session: AsyncSession, data: AgencyIn) -> Agency:
    agency = Agency(name=data.name)
    session.add(agency)
    await session.commit()
    await session.refresh(agency)
    return agency


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[Agency], str | None]:
    return await page_by_id(session, visible_to(user), Agency.id, cursor, limit)
