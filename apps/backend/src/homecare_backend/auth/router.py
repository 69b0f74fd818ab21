from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from homecare_backend.api import STRICT_QUERY
from homecare_backend.auth import service
from homecare_backend.auth.deps import CurrentUser
from homecare_backend.auth.schemas import LoginIn, PasswordChangeIn, RefreshIn, SignupIn, TokenPair
from homecare_backend.db import SessionDep
from homecare_backend.users.schemas import UserOut
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/auth", tags=["auth"], dependencies=[STRICT_QUERY])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/signup",
    operation_id="signup",
    status_code=status.HTTP_201_CREATED,
    summary="Create a family or caregiver account",
    responses=problem_responses(409),
)
async def signup(data: SignupIn, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.signup(session, data))


@router.post(
    "/login",
    operation_id="login",
    summary="Exchange email + password for an access and a refresh token",
    responses=problem_responses(401, 429),
)
async def login(data: LoginIn, request: Request, session: SessionDep) -> TokenPair:
    settings = request.app.state.settings
    return await service.login(
        session, settings, email=data.email, password=data.password, ip=_client_ip(request)
    )


@router.post(
    "/refresh",
    operation_id="refresh_tokens",
    summary="Rotate a refresh token (single use; replaying an old one ends the session)",
    responses=problem_responses(401),
)
async def refresh(data: RefreshIn, request: Request, session: SessionDep) -> TokenPair:
    return await service.refresh(session, request.app.state.settings, data.refresh_token)


@router.post(
    "/logout",
    operation_id="logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End the session the refresh token belongs to",
)
async def logout(data: RefreshIn, session: SessionDep) -> Response:
    await service.logout(session, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    operation_id="change_password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the password; every session of the account ends",
    responses=problem_responses(401, 403),
)
async def change_password(
    data: PasswordChangeIn, user: CurrentUser, session: SessionDep
) -> Response:
    await service.change_password(
        session, user, current=data.current_password, new=data.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
