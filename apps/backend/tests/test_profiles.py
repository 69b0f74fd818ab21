"""Recipients, caregiver profiles, availability, verification and bookings through the API,
including the change events the matching service relies on and the database's double-booking
guard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.models import CaregiverWeeklySlot, OutboxEvent
from homecare_backend.notifications.hub import asyncpg_dsn
from homecare_backend.users.models import Role

MakeActor = Callable[..., Awaitable[Any]]
PROFILE = {
    "licence_number": "2026-123456",
    "gender": "male",
    "skills": ["mobility", "bathing", "mobility"],
    "languages": ["ko", "en"],
    "latitude": 37.5663,
    "longitude": 126.9019,
    "service_radius_km": 7.5,
    "hourly_rate_krw": 16000,
}


async def test_family_manages_several_recipients(
    client: httpx.AsyncClient, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family = await make_actor(Role.FAMILY)
    ids = []
    for name in ("한말순", "한덕구", "한영자"):
        r = await client.post(
            "/v1/recipients", json={**recipient_body, "name": name}, headers=family.headers
        )
        assert r.status_code == 201
        ids.append(r.json()["id"])
    first = await client.get("/v1/recipients?limit=2", headers=family.headers)
    assert [i["id"] for i in first.json()["items"]] == ids[:2]
    cursor = first.json()["next_cursor"]
    rest = await client.get(f"/v1/recipients?limit=2&cursor={cursor}", headers=family.headers)
    assert [i["id"] for i in rest.json()["items"]] == ids[2:]
    assert rest.json()["next_cursor"] is None
    updated = await client.put(
        f"/v1/recipients/{ids[0]}",
        json={**recipient_body, "care_grade": "cognitive", "preferred_gender": None},
        headers=family.headers,
    )
    assert updated.json()["care_grade"] == "cognitive"
    assert updated.json()["preferred_gender"] is None


async def test_caregiver_profile_lifecycle_and_change_events(
    client: httpx.AsyncClient, make_actor: MakeActor, engine: AsyncEngine, migrated_url: str
) -> None:
    listener = await asyncpg.connect(asyncpg_dsn(migrated_url))
    changed: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(
        "homecare_caregiver_changed", lambda *args: changed.put_nowait(args[3])
    )
    try:
        signup = await client.post(
            "/v1/auth/signup",
            json={
                "email": "cg@example.kr",
                "password": "caregiver-pass-1",
                "display_name": "박민수",
                "role": "caregiver",
            },
        )
        assert signup.status_code == 201
        login = await client.post(
            "/v1/auth/login", json={"email": "cg@example.kr", "password": "caregiver-pass-1"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await client.post("/v1/caregivers", json=PROFILE, headers=headers)
        assert created.status_code == 201, created.text
        profile = created.json()
        assert profile["verification_status"] == "pending"
        assert profile["skills"] == ["bathing", "mobility"]
        assert profile["rating_avg"] is None
        assert await asyncio.wait_for(changed.get(), 5) == profile["id"]
        again = await client.post("/v1/caregivers", json=PROFILE, headers=headers)
        assert again.status_code == 409

        # Families cannot see an unverified caregiver; an admin verifies; now they can.
        family = await make_actor(Role.FAMILY)
        url = f"/v1/caregivers/{profile['id']}"
        assert (await client.get(url, headers=family.headers)).status_code == 404
        admin = await make_actor(Role.PLATFORM_ADMIN)
        verified = await client.put(
            f"{url}/verification", json={"status": "verified"}, headers=admin.headers
        )
        assert verified.json()["verification_status"] == "verified"
        assert verified.json()["verified_at"] is not None
        assert await asyncio.wait_for(changed.get(), 5) == profile["id"]
        assert (await client.get(url, headers=family.headers)).status_code == 200

        # A new licence number needs verification again.
        moved = await client.put(
            url, json={**PROFILE, "licence_number": "2027-000001"}, headers=headers
        )
        assert moved.json()["verification_status"] == "pending"

        slots = {
            "weekly_slots": [
                {"weekday": 0, "start": "09:00", "end": "13:00"},
                {"weekday": 0, "start": "14:00", "end": "18:00"},
                {"weekday": 6, "start": "10:00", "end": "12:00"},
            ]
        }
        put = await client.put(f"{url}/availability", json=slots, headers=headers)
        assert put.status_code == 200
        assert put.json()["weekly_slots"] == slots["weekly_slots"]
        day_off = await client.post(
            f"{url}/days-off", json={"day": "2026-12-25", "reason": "성탄절"}, headers=headers
        )
        assert day_off.json()["days_off"] == [{"day": "2026-12-25", "reason": "성탄절"}]
        assert (
            await client.post(f"{url}/days-off", json={"day": "2026-12-25"}, headers=headers)
        ).status_code == 409
        overlap = {
            "weekly_slots": [
                {"weekday": 1, "start": "09:00", "end": "13:00"},
                {"weekday": 1, "start": "12:00", "end": "15:00"},
            ]
        }
        bad = await client.put(f"{url}/availability", json=overlap, headers=headers)
        assert bad.status_code == 409
        assert bad.json()["code"] == "invalid_availability"
        backwards = {"weekly_slots": [{"weekday": 1, "start": "13:00", "end": "09:00"}]}
        assert (
            await client.put(f"{url}/availability", json=backwards, headers=headers)
        ).status_code == 409
    finally:
        await listener.close()
    async with engine.connect() as conn:
        slot_count = await conn.scalar(select(func.count()).select_from(CaregiverWeeklySlot))
        events = await conn.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == "caregiver.changed")
        )
    assert slot_count == 3  # the refused replacements changed nothing
    assert events == 5  # created, verified, licence change, availability, day off; not refusals


async def test_double_booking_is_refused_by_the_database(
    client: httpx.AsyncClient, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    recipient = (
        await client.post("/v1/recipients", json=recipient_body, headers=family.headers)
    ).json()
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)

    async def book(offset_minutes: int) -> httpx.Response:
        return await client.post(
            "/v1/bookings",
            json={
                "recipient_id": recipient["id"],
                "caregiver_id": str(caregiver.caregiver_id),
                "start_at": (start + timedelta(minutes=offset_minutes)).isoformat(),
                "duration_minutes": 120,
            },
            headers=family.headers,
        )

    first = await book(0)
    assert first.status_code == 201
    clash = await book(60)
    assert clash.status_code == 409
    assert clash.json()["code"] == "caregiver_double_booked"
    assert (await book(120)).status_code == 201  # back to back is fine
    # Cancelling frees the slot.
    await client.post(
        f"/v1/bookings/{first.json()['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family.headers,
    )
    assert (await book(0)).status_code == 201


async def test_booking_transitions_follow_the_roles(
    client: httpx.AsyncClient, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    recipient = (
        await client.post("/v1/recipients", json=recipient_body, headers=family.headers)
    ).json()
    booking = (
        await client.post(
            "/v1/bookings",
            json={
                "recipient_id": recipient["id"],
                "caregiver_id": str(caregiver.caregiver_id),
                "start_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
                "duration_minutes": 180,
            },
            headers=family.headers,
        )
    ).json()
    url = f"/v1/bookings/{booking['id']}/status"
    moved = await client.post(url, json={"status": "confirmed"}, headers=caregiver.headers)
    assert moved.json()["status"] == "confirmed"
    fix = {
        "latitude": recipient_body["latitude"],
        "longitude": recipient_body["longitude"],
        "accuracy_m": 10,
        "device_time": datetime.now(UTC).isoformat(),
    }
    for step, target in (("check-in", "in_progress"), ("check-out", "completed")):
        checked = await client.post(
            f"/v1/bookings/{booking['id']}/{step}", json=fix, headers=caregiver.headers
        )
        assert checked.json()["booking_status"] == target, checked.text
    late = await client.post(url, json={"status": "cancelled_by_family"}, headers=family.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "invalid_transition"


async def test_bad_input_is_4xx_problem_and_writes_nothing(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    family = await make_actor(Role.FAMILY)
    h = {**family.headers, "content-type": "application/json"}
    cases = [
        b'{"name": "x", ',  # malformed JSON
        b'{"name": 5}',  # wrong type
        __import__("json").dumps({**recipient_body, "latitude": 91}).encode(),
        __import__("json").dumps({**recipient_body, "longitude": -181}).encode(),
        __import__("json").dumps({**recipient_body, "care_grade": "6"}).encode(),
        __import__("json").dumps({**recipient_body, "conditions": ["flying"]}).encode(),
        __import__("json").dumps({**recipient_body, "name": "a\u0000b"}).encode(),
        __import__("json").dumps({**recipient_body, "birth_year": 10**12}).encode(),
        b"[]",
    ]
    for body in cases:
        response = await client.post("/v1/recipients", content=body, headers=h)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "validation_failed"
    huge = await client.post(
        "/v1/recipients",
        content=b'{"notes": "' + b"x" * (1024 * 1024) + b'"}',
        headers=h,
    )
    assert huge.status_code == 413
    bad_cursor = await client.get("/v1/recipients?cursor=not-a-uuid", headers=family.headers)
    assert bad_cursor.status_code == 422
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM care_recipients")) == 0
