from __future__ import annotations

from fastapi import APIRouter

from homecare_backend.api import AUTH_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CurrentUser
from homecare_backend.users.schemas import UserOut

router = APIRouter(prefix="/v1", tags=["users"], dependencies=[STRICT_QUERY])


@router.get("/me", operation_id="get_me", summary="The signed-in account", responses=AUTH_ERRORS)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
