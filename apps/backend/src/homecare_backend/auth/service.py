"""Sign-up, login, refresh-token rotation with reuse detection, logout, password change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.auth import passwords, ratelimit
from homecare_backend.auth.models import RefreshToken
from homecare_backend.auth.schemas import SignupIn, TokenPair
from homecare_backend.auth.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from homecare_backend.config import Settings
from homecare_backend.users import service as users_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_shared.logging import get_logger

log = get_logger("homecare.auth")


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid_refresh(code: str = "invalid_refresh_token") -> ProblemError:
    return ProblemError(
        401,
        code,
        "Refresh token not accepted",
        "Sign in again with POST /v1/auth/login.",
        headers={"WWW-Authenticate": 'Bearer realm="homecare"'},
    )


async def signup(session: AsyncSession, data: SignupIn) -> User:
    return await users_service.create(
        session,
        email=data.email,
        password_hash=await passwords.hash_password(data.password),
        role=Role(data.role),
        display_name=data.display_name,
        phone=data.phone,
    )


async def _issue_pair(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID
) -> TokenPair:
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_refresh_token(refresh),
            issued_at=_now(),
            expires_at=_now() + timedelta(seconds=settings.refresh_token_ttl_s),
        )
    )
    access = issue_access_token(
        settings.jwt_secret.get_secret_value(),
        user.id,
        user.role,
        user.token_version,
        settings.access_token_ttl_s,
    )
    return TokenPair(
        access_token=access, expires_in=settings.access_token_ttl_s, refresh_token=refresh
    )


async def login(
    session: AsyncSession, settings: Settings, *, email: str, password: str, ip: str
) -> TokenPair:
    email = email.lower()
    now = _now()
    await ratelimit.check_login_allowed(session, settings, email, ip, now)
    user = await users_service.by_email(session, email)
    ok = await passwords.verify_or_dummy(user.password_hash if user else None, password)
    await ratelimit.record_attempt(session, email, ip, ok, now)
    if not ok or user is None:
        await session.commit()
        raise ProblemError(
            401,
            "invalid_credentials",
            "Email or password is wrong",
            "Check both and try again.",
            headers={"WWW-Authenticate": 'Bearer realm="homecare"'},
        )
    pair = await _issue_pair(session, settings, user, uuid.uuid4())
    await session.commit()
    return pair


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def refresh(session: AsyncSession, settings: Settings, token: str) -> TokenPair:
    stmt = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_refresh_token(token))
        .with_for_update()
    )
    stored = (await session.execute(stmt)).scalar_one_or_none()
    if stored is None or stored.revoked_at is not None or stored.expires_at <= _now():
        raise _invalid_refresh()
    if stored.used_at is not None:
        # Somebody replays a rotated token: assume theft and end every session in the family.
        await _revoke_family(session, stored.family_id)
        await session.commit()
        log.warning("refresh_token_reuse", user_id=str(stored.user_id))
        raise _invalid_refresh("refresh_token_reused")
    user = await users_service.get(session, stored.user_id)
    if user is None:
        raise _invalid_refresh()
    stored.used_at = _now()
    pair = await _issue_pair(session, settings, user, stored.family_id)
    await session.commit()
    return pair


async def logout(session: AsyncSession, token: str) -> None:
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
        )
    ).scalar_one_or_none()
    if stored is not None:
        await _revoke_family(session, stored.family_id)
        await session.commit()


async def change_password(session: AsyncSession, user: User, *, current: str, new: str) -> None:
    if not await passwords.verify_or_dummy(user.password_hash, current):
        raise ProblemError(
            403, "wrong_password", "Current password is wrong", "Enter your current password."
        )
    new_hash = await passwords.hash_password(new)
    await users_service.set_password_hash(session, user_id=user.id, password_hash=new_hash)
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    await session.commit()
