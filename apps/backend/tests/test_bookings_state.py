"""Bookings on the real database: concurrent double booking, recurring series conflicts,
every transition for every role."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from homecare_backend.bookings.service import SERVED_MOVES, TRANSITIONS
from homecare_backend.notifications.models import OutboxEvent
from homecare_backend.users.models import Role

KST = ZoneInfo("Asia/Seoul")
MakeActor = Callable[..., Awaitable[Any]]
Actor = Any


async def new_recipient(
    client: httpx.AsyncClient, family: Actor, body: dict[str, Any], **extra: Any
) -> str:
    created = await client.post("/v1/recipients", json={**body, **extra}, headers=family.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_100_concurrent_bookings_of_one_slot_give_one_booking_and_99_conflicts(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    caregiver = await make_actor(Role.CAREGIVER)
    families = [await make_actor(Role.FAMILY) for _ in range(10)]
    recipients = [await new_recipient(client, f, recipient_body) for f in families]
    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)

    async def book(i: int) -> httpx.Response:
        family = families[i % 10]
        return await client.post(
            "/v1/bookings",
            json={
                "recipient_id": recipients[i % 10],
                "caregiver_id": str(caregiver.caregiver_id),
                # Every attempt overlaps every other: same hour, start shifted by 0–29 min.
                "start_at": (start + timedelta(minutes=i % 30)).isoformat(),
                "duration_minutes": 120,
            },
            headers=family.headers,
        )

    responses = await asyncio.gather(*(book(i) for i in range(100)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 99
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "caregiver_double_booked"
    async with engine.connect() as conn:
        active = await conn.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.caregiver_id == caregiver.caregiver_id,
                Booking.status.in_(ACTIVE_STATUSES),
            )
        )
        # The refused attempts announced nothing: their outbox rows rolled back with them.
        announced = (
            await conn.scalars(
                select(OutboxEvent.payload["booking_id"].astext).where(
                    OutboxEvent.topic == "booking.status_changed",
                    OutboxEvent.payload["reason"].astext == "created",
                )
            )
        ).all()
    assert active == 1
    winner = next(r for r in responses if r.status_code == 201).json()["id"]
    assert set(announced) == {winner}


def next_weekday(weekday: int, after_days: int = 3) -> date:
    day = datetime.now(KST).date() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


async def book_ten_to_eleven(
    client: httpx.AsyncClient, family: Any, recipient_id: str, caregiver: Any, day: date
) -> httpx.Response:
    """A one-off booking of CAREGIVER on DAY, 10:00–11:00 Seoul time, by FAMILY."""
    return await client.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient_id,
            "caregiver_id": str(caregiver.caregiver_id),
            "start_at": datetime.combine(day, datetime.min.time(), KST)
            .replace(hour=10)
            .isoformat(),
            "duration_minutes": 60,
        },
        headers=family.headers,
    )


async def test_recurring_series_overlapping_a_visit_is_refused_whole_with_the_dates(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    caregiver = await make_actor(Role.CAREGIVER)
    family = await make_actor(Role.FAMILY)
    other_family = await make_actor(Role.FAMILY)
    recipient = await new_recipient(client, family, recipient_body)
    other_recipient = await new_recipient(client, other_family, recipient_body)
    first_monday = next_weekday(0)
    clash_day = first_monday + timedelta(weeks=2)
    # Someone else already has the caregiver on the third Monday, 10:00–11:00 Seoul time.
    existing = await book_ten_to_eleven(client, other_family, other_recipient, caregiver, clash_day)
    assert existing.status_code == 201, existing.text
    series = {
        "recipient_id": recipient,
        "caregiver_id": str(caregiver.caregiver_id),
        "slots": [
            {"weekday": 0, "start": "09:00", "duration_minutes": 180},
            {"weekday": 3, "start": "14:00", "duration_minutes": 120},
        ],
        "start_date": first_monday.isoformat(),
        "count": 8,
    }
    refused = await client.post("/v1/booking-series", json=series, headers=family.headers)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "series_conflicts"
    assert [c["start_at"][:10] for c in problem["conflicts"]] == [clash_day.isoformat()]
    assert clash_day.isoformat() in problem["detail"]
    async with engine.connect() as conn:
        mine = await conn.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.recipient_id == uuid.UUID(recipient))
        )
    assert mine == 0  # nothing half-written

    # Without the clash the whole series is booked: 8 visits, Mondays and Thursdays, Seoul time.
    series["start_date"] = (clash_day + timedelta(days=1)).isoformat()
    booked = await client.post("/v1/booking-series", json=series, headers=family.headers)
    assert booked.status_code == 201, booked.text
    visits = booked.json()["visits"]
    assert len(visits) == 8
    local = [datetime.fromisoformat(v["start_at"]).astimezone(KST) for v in visits]
    assert {(t.weekday(), t.hour) for t in local} == {(0, 9), (3, 14)}
    assert {v["status"] for v in visits} == {"offered"}

    # Accepting one offered visit accepts the series; cancelling one leaves the others.
    first = visits[0]["id"]
    accepted = await client.post(
        f"/v1/bookings/{first}/status", json={"status": "confirmed"}, headers=caregiver.headers
    )
    assert accepted.status_code == 200, accepted.text
    cancel = await client.post(
        f"/v1/bookings/{visits[1]['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family.headers,
    )
    assert cancel.status_code == 200, cancel.text
    again = await client.get(f"/v1/booking-series/{booked.json()['id']}", headers=family.headers)
    statuses = [v["status"] for v in again.json()["visits"]]
    assert statuses == ["confirmed", "cancelled_by_family"] + ["confirmed"] * 6


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"slots": [], "count": 3}, "validation_failed"),
        ({"end_date": "2020-01-01"}, "recurrence_ends_before_start"),
        ({"count": None}, "recurrence_unbounded"),
        (
            {
                "slots": [
                    {"weekday": 0, "start": "09:00", "duration_minutes": 120},
                    {"weekday": 0, "start": "10:00", "duration_minutes": 60},
                ]
            },
            "recurrence_overlaps_itself",
        ),
    ],
)
async def test_bad_series_are_problems_with_stable_codes(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    body: dict[str, Any],
    code: str,
) -> None:
    family = await make_actor(Role.FAMILY)
    recipient = await new_recipient(client, family, recipient_body)
    start = next_weekday(0)
    series = {
        "recipient_id": recipient,
        "slots": [{"weekday": 0, "start": "09:00", "duration_minutes": 120}],
        "start_date": start.isoformat(),
        "count": 3,
        **body,
    }
    if body.get("end_date"):
        series["count"] = None
    response = await client.post("/v1/booking-series", json=series, headers=family.headers)
    assert response.status_code == (422 if code == "validation_failed" else 409), response.text
    assert response.json()["code"] == code


async def test_every_transition_for_every_role(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Any,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    agency = await make_agency()
    caregiver = await make_actor(Role.CAREGIVER, agency_id=agency)
    actors = {
        Role.FAMILY: await make_actor(Role.FAMILY),
        Role.CAREGIVER: caregiver,
        Role.AGENCY_ADMIN: await make_actor(Role.AGENCY_ADMIN, agency_id=agency),
        Role.PLATFORM_ADMIN: await make_actor(Role.PLATFORM_ADMIN),
    }
    recipient = await new_recipient(client, actors[Role.FAMILY], recipient_body)
    created = await client.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient,
            "caregiver_id": str(caregiver.caregiver_id),
            # Within the 30-minute early-start margin, so "after start" moves are possible.
            "start_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
            "duration_minutes": 60,
        },
        headers=actors[Role.FAMILY].headers,
    )
    assert created.status_code == 201, created.text
    booking_id = uuid.UUID(created.json()["id"])
    legal_for_someone = set().union(*TRANSITIONS.values())
    checked = 0
    for role, (source, target) in itertools.product(
        actors, itertools.product(BookingStatus, BookingStatus)
    ):
        async with engine.begin() as conn:
            await conn.execute(
                update(Booking).where(Booking.id == booking_id).values(status=source)
            )
        response = await client.post(
            f"/v1/bookings/{booking_id}/status",
            json={"status": target.value},
            headers=actors[role].headers,
        )
        move = (source, target)
        if move in SERVED_MOVES:
            # Start and completion belong to check-in/check-out (visit verification).
            assert response.status_code == 409, (role, move, response.text)
            assert response.json()["code"] == "use_check_in"
        elif move in TRANSITIONS[role]:
            assert response.status_code == 200, (role, move, response.text)
            assert response.json()["status"] == target.value
        else:
            expected = 403 if move in legal_for_someone else 409
            assert response.status_code == expected, (role, move, response.text)
            body = response.json()
            assert body["code"] == ("not_your_move" if expected == 403 else "invalid_transition")
            assert body["current_status"] == source.value
        checked += 1
    assert checked == 4 * len(BookingStatus) ** 2
    # Spot checks of the table itself (what the issue asks for).
    assert (BookingStatus.OFFERED, BookingStatus.CONFIRMED) in TRANSITIONS[Role.CAREGIVER]
    assert (BookingStatus.OFFERED, BookingStatus.CONFIRMED) not in TRANSITIONS[Role.FAMILY]
    assert all(
        (BookingStatus.SETTLED, t) not in moves
        for moves in TRANSITIONS.values()
        for t in BookingStatus
    )


async def test_start_before_the_visit_is_refused(
    client: httpx.AsyncClient, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    recipient = await new_recipient(client, family, recipient_body)
    booking = (
        await client.post(
            "/v1/bookings",
            json={
                "recipient_id": recipient,
                "caregiver_id": str(caregiver.caregiver_id),
                "start_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "duration_minutes": 60,
            },
            headers=family.headers,
        )
    ).json()
    url = f"/v1/bookings/{booking['id']}/status"
    assert (
        await client.post(url, json={"status": "confirmed"}, headers=caregiver.headers)
    ).status_code == 200
    early = await client.post(
        f"/v1/bookings/{booking['id']}/check-in",
        json={
            "latitude": recipient_body["latitude"],
            "longitude": recipient_body["longitude"],
            "accuracy_m": 10,
            "device_time": datetime.now(UTC).isoformat(),
        },
        headers=caregiver.headers,
    )
    assert early.status_code == 409
    assert early.json()["code"] == "visit_not_started"
    assert early.json()["current_status"] == "confirmed"
    no_show = await client.post(url, json={"status": "no_show"}, headers=family.headers)
    assert no_show.status_code == 409
    assert no_show.json()["code"] == "visit_not_started"


async def test_a_series_changed_from_a_date_keeps_the_past_and_is_checked_whole(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    caregiver = await make_actor(Role.CAREGIVER)
    family = await make_actor(Role.FAMILY)
    other_family = await make_actor(Role.FAMILY)
    recipient = await new_recipient(client, family, recipient_body)
    other_recipient = await new_recipient(client, other_family, recipient_body)
    first_monday = next_weekday(0)
    made = await client.post(
        "/v1/booking-series",
        json={
            "recipient_id": recipient,
            "caregiver_id": str(caregiver.caregiver_id),
            "slots": [{"weekday": 0, "start": "09:00", "duration_minutes": 180}],
            "start_date": first_monday.isoformat(),
            "count": 6,
        },
        headers=family.headers,
    )
    assert made.status_code == 201, made.text
    series_id, visits = made.json()["id"], made.json()["visits"]
    accepted = await client.post(
        f"/v1/bookings/{visits[0]['id']}/status",
        json={"status": "confirmed"},
        headers=caregiver.headers,
    )
    assert accepted.status_code == 200, accepted.text
    # Someone else has the caregiver on the Tuesday of the fourth week, 10:00–11:00 Seoul.
    clash_day = first_monday + timedelta(weeks=3, days=1)
    other = await book_ten_to_eleven(client, other_family, other_recipient, caregiver, clash_day)
    assert other.status_code == 201, other.text
    from_date = first_monday + timedelta(weeks=2)
    change = {
        "from_date": from_date.isoformat(),
        "slots": [{"weekday": 1, "start": "10:00", "duration_minutes": 120}],
        "count": 3,
    }
    url = f"/v1/booking-series/{series_id}/changes"

    async def statuses() -> list[str]:
        again = await client.get(f"/v1/booking-series/{series_id}", headers=family.headers)
        return [v["status"] for v in again.json()["visits"]]

    refused = await client.post(url, json=change, headers=family.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "series_conflicts"
    assert [c["start_at"][:10] for c in refused.json()["conflicts"]] == [clash_day.isoformat()]
    assert await statuses() == ["confirmed"] * 6  # nothing changed

    change["slots"] = [{"weekday": 2, "start": "10:00", "duration_minutes": 120}]
    changed = await client.post(url, json=change, headers=family.headers)
    assert changed.status_code == 201, changed.text
    new = changed.json()
    assert new["continues_series_id"] == series_id
    local = [datetime.fromisoformat(v["start_at"]).astimezone(KST) for v in new["visits"]]
    assert [t.date() for t in local] == [from_date + timedelta(days=2 + 7 * i) for i in range(3)]
    assert {(t.hour, v["status"]) for t, v in zip(local, new["visits"], strict=True)} == {
        (10, "offered")
    }
    # The past stays; the replaced Mondays are cancelled, and the old series ends before.
    assert await statuses() == ["confirmed"] * 2 + ["cancelled_by_family"] * 4
    old = await client.get(f"/v1/booking-series/{series_id}", headers=family.headers)
    assert old.json()["end_date"] == (from_date - timedelta(days=1)).isoformat()

    today = datetime.now(KST).date().isoformat()
    too_soon = await client.post(
        f"/v1/booking-series/{new['id']}/changes",
        json={**change, "from_date": today},
        headers=family.headers,
    )
    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "series_change_out_of_range"
    stranger = await client.post(url, json=change, headers=other_family.headers)
    assert stranger.status_code == 404
