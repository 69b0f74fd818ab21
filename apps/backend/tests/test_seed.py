"""Demo data: every table `make up` shows is populated, and seeding twice changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.seed import DEMO_PASSWORD, seed


async def test_seed_is_idempotent_and_demo_logins_work(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    first = await seed(engine)
    assert all(count > 0 for count in first.values()), first
    assert {"caregiver_weekly_slots", "caregiver_days_off", "agencies"} <= set(first)
    second = await seed(engine)
    assert all(count == 0 for count in second.values()), second
    async with engine.connect() as conn:
        verified = await conn.scalar(
            text("SELECT count(*) FROM caregiver_profiles WHERE verification_status = 'verified'")
        )
    assert verified == 7
    login = await client.post(
        "/v1/auth/login", json={"email": "caregiver1@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    bookings = await client.get("/v1/bookings", headers=headers)
    assert len(bookings.json()["items"]) == 2
