"""Accounts: look-ups, creation (emails are unique, stored lower-case) and password changes."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend import encryption
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def by_email(session: AsyncSession, email: str) -> User | None:
    found: User | None = await session.scalar(select(User).where(User.email == email.lower()))
    return found


async def by_phone(session: AsyncSession, phone: str) -> User | None:
    """The account with this phone number, found by its blind index (the number is encrypted)."""
    index = encryption.phone_index(encryption.current(), phone)
    found: User | None = await session.scalar(select(User).where(User.phone_index == index))
    return found


async def create(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str,
    role: Role,
    display_name: str,
    phone: str | None = None,
) -> User:
    """A new account (committed); 409 `email_taken` / `phone_taken` when either is registered
    already (phones compare by their normalised blind index: 010-1234-5678 = +82 10 1234 5678)."""
    user = User(
        email=email.lower(),
        password_hash=password_hash,
        role=role,
        display_name=display_name,
        phone=phone,
        phone_index=None if phone is None else encryption.phone_index(encryption.current(), phone),
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if "uq_users_phone_index" in str(exc.orig):
            raise ProblemError(
                409,
                "phone_taken",
                "Phone number already registered",
                "This number belongs to another account; sign in with it instead.",
            ) from exc
        raise ProblemError(
            409,
            "email_taken",
            "Email already registered",
            "Sign in instead, or use another email address.",
        ) from exc
    return user


async def set_password_hash(
    session: AsyncSession, *, user_id: uuid.UUID, password_hash: str
) -> None:
    """Store a new hash and bump `token_version`, so every access token issued before stops working.

    Runs in the caller's transaction (the caller also revokes refresh tokens, then commits).
    """
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, token_version=User.token_version + 1)
    )
