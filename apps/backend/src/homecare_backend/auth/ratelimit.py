"""Login throttling in PostgreSQL (shared by every replica): failed attempts per account since
its last success, and all attempts per client IP, within a sliding window."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.auth.models import LoginAttempt
from homecare_backend.config import Settings
from homecare_shared.errors import ProblemError


async def _blocked_until(
    session: AsyncSession, condition: object, limit: int, window: timedelta
) -> datetime | None:
    """When the `limit`-th newest matching attempt leaves the window, or None if under limit."""
    stmt = (
        select(LoginAttempt.at)
        .where(condition)  # type: ignore[arg-type]
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    at = (await session.execute(stmt)).scalar_one_or_none()
    return at + window if at is not None else None


async def check_login_allowed(
    session: AsyncSession, settings: Settings, email: str, ip: str, now: datetime
) -> None:
    window = timedelta(seconds=settings.login_window_s)
    since = now - window
    last_success = (
        select(func.coalesce(func.max(LoginAttempt.at), since))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded)
        .scalar_subquery()
    )
    account = and_(
        LoginAttempt.email == email,
        ~LoginAttempt.succeeded,
        LoginAttempt.at > since,
        LoginAttempt.at > last_success,
    )
    by_ip = and_(LoginAttempt.ip == ip, LoginAttempt.at > since)
    blocks = [
        await _blocked_until(session, account, settings.login_max_failures_per_account, window),
        await _blocked_until(session, by_ip, settings.login_max_attempts_per_ip, window),
    ]
    until = max((b for b in blocks if b is not None and b > now), default=None)
    if until is not None:
        retry_after = max(1, math.ceil((until - now).total_seconds()))
        raise ProblemError(
            429,
            "login_rate_limited",
            "Too many login attempts",
            f"Wait {retry_after} seconds before trying again (or reset your password).",
            headers={"Retry-After": str(retry_after)},
        )


async def record_attempt(
    session: AsyncSession, email: str, ip: str, succeeded: bool, now: datetime
) -> None:
    await session.execute(
        insert(LoginAttempt).values(email=email, ip=ip, succeeded=succeeded, at=now)
    )
