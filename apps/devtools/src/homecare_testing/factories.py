"""Builders for backend test data: plain functions that return the column values of one row.

Tests insert them with whatever connection they hold (async fixtures, the sync engine of the
schemathesis module), so every test builds users, caregivers and bookings the same way:

    await conn.execute(insert(User).values(user_row(Role.FAMILY)))
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from homecare_backend.auth.passwords import hash_password_sync
from homecare_backend.auth.tokens import issue_access_token
from homecare_backend.config import Settings
from homecare_backend.db import new_id
from homecare_backend.users.models import Role

PASSWORD = "test-password-2026"  # noqa: S105 - the password of every test account
Row = dict[str, Any]


@cache
def password_hash(password: str = PASSWORD) -> str:
    """Argon2id hash of `password`, computed once per process (hashing is slow on purpose)."""
    return hash_password_sync(password)


def access_token(user_id: uuid.UUID, role: Role, *, ttl_s: int = 900) -> str:
    """A valid access token signed with the test settings' JWT secret."""
    secret = Settings(env="test").jwt_secret.get_secret_value()
    return issue_access_token(secret, user_id, role, 0, ttl_s)


def agency_row(*, name: str = "테스트 센터") -> Row:
    return {"id": new_id(), "name": name}


def user_row(
    role: Role,
    *,
    agency_id: uuid.UUID | None = None,
    email: str | None = None,
    password: str = PASSWORD,
) -> Row:
    """A user; `agency_id` is kept only for agency admins (as the API does)."""
    user_id = new_id()
    return {
        "id": user_id,
        "email": email or f"{role.value}-{user_id.hex[-12:]}@test.homecare.kr",
        "password_hash": password_hash(password),
        "role": role,
        "display_name": f"{role.value} {user_id.hex[:4]}",
        "agency_id": agency_id if role == Role.AGENCY_ADMIN else None,
    }


def caregiver_profile_row(
    user_id: uuid.UUID,
    *,
    agency_id: uuid.UUID | None = None,
    verified: bool = True,
    latitude: float = 37.5,
    longitude: float = 127.0,
    licence_number: str = "2026-000001",
) -> Row:
    """A caregiver profile around central Seoul: dementia care, Korean, 10 km radius."""
    return {
        "id": new_id(),
        "user_id": user_id,
        "licence_number": licence_number,
        "verification_status": "verified" if verified else "pending",
        "gender": "female",
        "skills": ["dementia"],
        "languages": ["ko"],
        "latitude": latitude,
        "longitude": longitude,
        "service_radius_km": 10.0,
        "hourly_rate_krw": 15000,
        "agency_id": agency_id,
    }


def recipient_row(family_id: uuid.UUID, **overrides: Any) -> Row:
    """A care recipient of the family `family_id` in central Seoul."""
    return {
        "id": new_id(),
        "family_id": family_id,
        "name": "김순자",
        "birth_year": 1938,
        "address": "서울 중구",
        "latitude": 37.5665,
        "longitude": 126.978,
        **overrides,
    }


def booking_row(
    recipient_id: uuid.UUID,
    *,
    start_at: datetime,
    duration: timedelta = timedelta(hours=3),
    status: str = "requested",
    caregiver_id: uuid.UUID | None = None,
) -> Row:
    return {
        "id": new_id(),
        "recipient_id": recipient_id,
        "caregiver_id": caregiver_id,
        "start_at": start_at,
        "end_at": start_at + duration,
        "status": status,
    }
