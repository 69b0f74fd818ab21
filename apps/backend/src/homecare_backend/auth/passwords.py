"""Argon2id password hashing (OWASP minimum: m=19 MiB, t=2, p=1), off the event loop.

`verify_or_dummy` always runs one Argon2 verification, also for unknown accounts, so the time a
login takes does not reveal whether the email exists.
"""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32)
_DUMMY_HASH = HASHER.hash("not-a-real-password-only-for-timing")


def hash_password_sync(password: str) -> str:
    return HASHER.hash(password)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(HASHER.hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_or_dummy(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no account (`None`) checks a dummy hash and fails."""
    ok = await anyio.to_thread.run_sync(_verify, stored_hash or _DUMMY_HASH, password)
    return ok and stored_hash is not None
