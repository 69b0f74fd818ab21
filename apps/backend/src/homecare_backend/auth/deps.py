"""Authentication dependencies for route handlers.

    async def handler(user: CurrentUser) -> ...                      # any signed-in user
    async def handler(user: Annotated[User, require_role(Role.CAREGIVER)]) -> ...

Route dependencies (`CurrentUser`, `require_role`) load the user in the request's own session
(`SessionDep`, shared with the route by FastAPI's per-request dependency cache): one pool
checkout per request, not one for the user and another for the route — under load each
checkout is a wait in the pool's queue. The user is detached from that session, as before, so a
rollback in the route does not expire it. `authenticate` without a session (the SSE stream)
loads the user in a short session of its own, so the stream holds no database connection.
A token minted before a password change (older `token_version`) is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.auth.tokens import InvalidTokenError, decode_access_token
from homecare_backend.db import SessionDep
from homecare_backend.notifications import service as notifications_service
from homecare_backend.users import service as users_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_shared.logging import bind_user

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="Access token from `POST /v1/auth/login` or `POST /v1/auth/refresh`.",
)
# For EventSource clients, which cannot send headers: a single-use ticket instead of the token.
stream_ticket_scheme = APIKeyQuery(
    name="ticket",
    scheme_name="StreamTicket",
    auto_error=False,
    description=(
        "Only for `GET /v1/events`: a single-use ticket from `POST /v1/events/tickets`, valid "
        "about 60 s. Access tokens are never accepted in URLs."
    ),
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="homecare"'}


def _unauthenticated(code: str, detail: str) -> ProblemError:
    return ProblemError(401, code, "Authentication required", detail, headers=_CHALLENGE)


async def authenticate(
    request: Request, token: str | None, session: AsyncSession | None = None
) -> User:
    if not token:
        raise _unauthenticated(
            "unauthenticated",
            "Send `Authorization: Bearer <access token>`; get one from POST /v1/auth/login.",
        )
    settings = request.app.state.settings
    try:
        claims = decode_access_token(settings.jwt_secret.get_secret_value(), token)
    except InvalidTokenError as exc:
        raise _unauthenticated(
            "invalid_token",
            "The access token is invalid or expired; get a new one with POST /v1/auth/refresh.",
        ) from exc
    if session is None:
        async with request.app.state.sessions() as own:
            user = await users_service.get(own, claims.user_id)
    else:
        user = await users_service.get(session, claims.user_id)
        if user is not None:
            session.expunge(user)
    if user is None or user.token_version != claims.token_version:
        raise _unauthenticated(
            "token_revoked", "This session has ended (password changed?); sign in again."
        )
    bind_user(user.id)
    return user


async def user_from_ticket(request: Request, ticket: str) -> User:
    """The user a stream ticket was issued to; the ticket is used up by this call."""
    async with request.app.state.sessions() as session:
        redeemed = await notifications_service.redeem_ticket(session, ticket)
        user = await users_service.get(session, redeemed[0]) if redeemed else None
    if redeemed is None or user is None or user.token_version != redeemed[1]:
        raise _unauthenticated(
            "invalid_ticket",
            "The stream ticket is unknown, used or expired; get a new one with "
            "POST /v1/events/tickets.",
        )
    bind_user(user.id)
    return user


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session: SessionDep,
) -> User:
    return await authenticate(request, credentials.credentials if credentials else None, session)


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Any:
    """A dependency admitting only users with one of `roles` (403 `forbidden_role` otherwise)."""
    allowed = ", ".join(r.value for r in roles)

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise ProblemError(
                403,
                "forbidden_role",
                "Not allowed for your role",
                f"This action needs the role {allowed}; you are {user.role.value}.",
            )
        return user

    return Depends(check)


FamilyUser = Annotated[User, require_role(Role.FAMILY)]
CaregiverUser = Annotated[User, require_role(Role.CAREGIVER)]
PlatformAdmin = Annotated[User, require_role(Role.PLATFORM_ADMIN)]
