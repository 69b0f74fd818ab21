"""Care requests against the real matching app (its index fed from the same embedded
PostgreSQL, served on a real port): ranked, explained candidates stored with the request; the
family picks one (→ offered booking or series) or dispatches in waves to the stored ranking.
Bad input is a problem+json with a stable code and writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.caregivers.models import CaregiverWeeklySlot
from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.models import Booking, CaregiverProfile, CareRequest
from homecare_backend.users.models import Role
from homecare_devtools.pytest_plugin import free_port
from homecare_matching.config import Settings as MatchingSettings
from homecare_matching.main import create_app as create_matching_app

SEOUL = ZoneInfo("Asia/Seoul")
Actor = Any  # conftest.Actor (fixtures are typed loosely, as in the other test modules)
MakeActor = Any


def make_settings(url: str, **overrides: Any) -> Settings:
    return Settings(env="test", database_url=url, log_json=True, **overrides)


@pytest.fixture
async def world(
    engine: AsyncEngine, migrated_url: str, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """Caregivers (near with the skill, nearer without it, far away), then matching started on
    a real port (its index loads them), then the API pointed at it."""
    near = await make_actor(Role.CAREGIVER, latitude=37.51, longitude=127.03)
    nearer_no_skill = await make_actor(Role.CAREGIVER, latitude=37.5008, longitude=127.0365)
    second = await make_actor(Role.CAREGIVER, latitude=37.53, longitude=127.06)
    far = await make_actor(Role.CAREGIVER, latitude=35.1, longitude=129.0)
    async with engine.begin() as conn:
        await conn.execute(
            CaregiverProfile.__table__.update()
            .where(CaregiverProfile.id == nearer_no_skill.caregiver_id)
            .values(skills=["meal"])
        )
        for actor in (near, nearer_no_skill, second, far):
            for weekday in range(7):
                await conn.execute(
                    insert(CaregiverWeeklySlot).values(
                        caregiver_id=actor.caregiver_id,
                        weekday=weekday,
                        start_time=time(6),
                        end_time=time(22),
                    )
                )
    matching = create_matching_app(
        MatchingSettings(env="test", database_url=migrated_url, index_retry_seconds=0.2)
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(matching, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    matching_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=matching_url) as probe:
        for _ in range(400):
            if server.started and (await probe.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("matching did not become ready")
    app = create_app(make_settings(migrated_url, matching_url=matching_url))
    family = await make_actor(Role.FAMILY)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://backend"
    ) as client:
        made = await client.post("/v1/recipients", json=recipient_body, headers=family.headers)
        assert made.status_code == 201, made.text
        yield {
            "client": client,
            "family": family,
            "recipient_id": made.json()["id"],
            "near": near,
            "second": second,
            "nearer_no_skill": nearer_no_skill,
            "far": far,
            "app": app,
        }
    await app.state.hub.close()
    await app.state.engine.dispose()
    server.should_exit = True
    await asyncio.wait_for(task, 15)


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    today = datetime.now(SEOUL).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def one_off(start: datetime, minutes: int = 180) -> dict[str, Any]:
    return {"kind": "one_off", "start_at": start.isoformat(), "duration_minutes": minutes}


def in_days(days: int, hour: int = 10) -> datetime:
    day = datetime.now(SEOUL).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), SEOUL)


async def count_requests(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(CareRequest)) or 0)


async def test_candidates_are_ranked_and_explained_then_the_family_picks_one(
    world: dict[str, Any], engine: AsyncEngine
) -> None:
    client: httpx.AsyncClient = world["client"]
    family: Actor = world["family"]
    made = await client.post(
        "/v1/care-requests",
        json={
            "recipient_id": world["recipient_id"],
            "service_type": "home_care",
            "schedule": one_off(in_days(3)),
            "required_skills": ["dementia"],
            "notes": "산책을 좋아하세요",
        },
        headers=family.headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    ranked = [c["caregiver_id"] for c in body["candidates"]]
    # The nearest caregiver lacks the skill and the far one is out of range: both excluded.
    assert ranked == [str(world["near"].caregiver_id), str(world["second"].caregiver_id)]
    assert [c["rank"] for c in body["candidates"]] == [1, 2]
    assert body["excluded"]["skills"] == 1
    assert body["excluded"]["distance"] == 1
    top = body["candidates"][0]
    assert top["score"] == pytest.approx(
        sum(part["contribution"] for part in top["breakdown"].values()), abs=1e-6
    )
    assert set(top["breakdown"]) >= {"distance", "rating", "continuity", "language"}
    assert body["status"] == "open"
    assert body["booking_id"] is None

    picked = await client.post(
        f"/v1/care-requests/{body['id']}/choose",
        json={"caregiver_id": ranked[1]},
        headers=family.headers,
    )
    assert picked.status_code == 200, picked.text
    chosen = picked.json()
    assert chosen["status"] == "offered"
    assert chosen["chosen_caregiver_id"] == ranked[1]
    booking = await client.get(f"/v1/bookings/{chosen['booking_id']}", headers=family.headers)
    assert booking.json()["caregiver_id"] == ranked[1]
    assert booking.json()["status"] == "offered"
    assert booking.json()["notes"] == "산책을 좋아하세요"

    again = await client.post(
        f"/v1/care-requests/{body['id']}/choose",
        json={"caregiver_id": ranked[0]},
        headers=family.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "care_request_not_open"
    assert again.json()["current_status"] == "offered"
    listed = await client.get("/v1/care-requests", headers=family.headers)
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]


async def test_weekly_request_becomes_a_series_offered_to_the_pick(
    world: dict[str, Any],
) -> None:
    client: httpx.AsyncClient = world["client"]
    family: Actor = world["family"]
    start = next_weekday(0)
    made = await client.post(
        "/v1/care-requests",
        json={
            "recipient_id": world["recipient_id"],
            "schedule": {
                "kind": "weekly",
                "slots": [
                    {"weekday": 0, "start": "09:00", "duration_minutes": 180},
                    {"weekday": 3, "start": "14:00", "duration_minutes": 120},
                ],
                "start_date": start.isoformat(),
                "count": 6,
            },
        },
        headers=family.headers,
    )
    assert made.status_code == 201, made.text
    request = made.json()
    assert request["candidates"], request
    pick = request["candidates"][0]["caregiver_id"]
    chosen = await client.post(
        f"/v1/care-requests/{request['id']}/choose",
        json={"caregiver_id": pick},
        headers=family.headers,
    )
    assert chosen.status_code == 200, chosen.text
    series = await client.get(
        f"/v1/booking-series/{chosen.json()['series_id']}", headers=family.headers
    )
    visits = series.json()["visits"]
    assert len(visits) == 6
    assert {v["caregiver_id"] for v in visits} == {pick}
    assert visits[0]["id"] == chosen.json()["booking_id"]
    first = datetime.fromisoformat(visits[0]["start_at"]).astimezone(SEOUL)
    assert (first.date(), first.time()) == (start, time(9))


async def test_dispatch_offers_the_stored_ranking_and_an_accept_takes_the_series(
    world: dict[str, Any], engine: AsyncEngine
) -> None:
    client: httpx.AsyncClient = world["client"]
    family: Actor = world["family"]
    made = await client.post(
        "/v1/care-requests",
        json={
            "recipient_id": world["recipient_id"],
            "schedule": {
                "kind": "weekly",
                "slots": [{"weekday": 2, "start": "10:00", "duration_minutes": 120}],
                "start_date": next_weekday(2).isoformat(),
                "count": 3,
            },
            "required_skills": ["dementia"],
        },
        headers=family.headers,
    )
    assert made.status_code == 201, made.text
    started = await client.post(
        f"/v1/care-requests/{made.json()['id']}/dispatch", headers=family.headers
    )
    assert started.status_code == 200, started.text
    request = started.json()
    assert request["status"] == "dispatching"
    assert request["dispatch_id"]
    second: Actor = world["second"]
    offers = await client.get("/v1/offers", headers=second.headers)
    assert len(offers.json()) == 1, offers.text  # both candidates are in the first wave
    accepted = await client.post(
        f"/v1/offers/{offers.json()[0]['id']}/accept", headers=second.headers
    )
    assert accepted.status_code == 200, accepted.text
    series = await client.get(f"/v1/booking-series/{request['series_id']}", headers=family.headers)
    assert series.json()["caregiver_id"] == str(second.caregiver_id)
    assert {(v["caregiver_id"], v["status"]) for v in series.json()["visits"]} == {
        (str(second.caregiver_id), "confirmed")
    }
    again = await client.post(
        f"/v1/care-requests/{made.json()['id']}/dispatch", headers=family.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "care_request_not_open"


async def test_bad_requests_are_refused_with_stable_codes_and_nothing_written(
    world: dict[str, Any],
    engine: AsyncEngine,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
) -> None:
    client: httpx.AsyncClient = world["client"]
    family: Actor = world["family"]
    monday = next_weekday(0)

    async def ask(schedule: dict[str, Any], recipient_id: str | None = None) -> httpx.Response:
        return await client.post(
            "/v1/care-requests",
            json={"recipient_id": recipient_id or world["recipient_id"], "schedule": schedule},
            headers=family.headers,
        )

    weekly = {"kind": "weekly", "slots": [{"weekday": 2, "start": "09:00", "duration_minutes": 60}]}
    cases = {
        "booking_out_of_range": one_off(datetime.now(UTC) - timedelta(hours=1)),
        "recurrence_ends_before_start": {
            **weekly,
            "start_date": monday.isoformat(),
            "end_date": (monday - timedelta(days=1)).isoformat(),
        },
        # Monday to Tuesday never meets a Wednesday slot.
        "recurrence_no_occurrence": {
            **weekly,
            "start_date": monday.isoformat(),
            "end_date": (monday + timedelta(days=1)).isoformat(),
        },
        "recurrence_overlaps_itself": {
            "kind": "weekly",
            "slots": [
                {"weekday": 2, "start": "09:00", "duration_minutes": 120},
                {"weekday": 2, "start": "10:00", "duration_minutes": 60},
            ],
            "start_date": monday.isoformat(),
            "count": 2,
        },
    }
    for code, schedule in cases.items():
        answer = await ask(schedule)
        assert answer.status_code == 409, (code, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == code
    shapeless = await ask({"kind": "one_off", "start_at": in_days(2).isoformat()})
    assert shapeless.status_code == 422

    other = await make_actor(Role.FAMILY)
    theirs = await client.post("/v1/recipients", json=recipient_body, headers=other.headers)
    foreign = await ask(one_off(in_days(2)), theirs.json()["id"])
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "recipient_not_found"
    assert await count_requests(engine) == 0

    made = await ask(one_off(in_days(2)))
    request_id = made.json()["id"]
    stranger = await client.post(
        f"/v1/care-requests/{request_id}/choose",
        json={"caregiver_id": str(world["far"].caregiver_id)},
        headers=family.headers,
    )
    assert stranger.status_code == 409
    assert stranger.json()["code"] == "not_a_candidate"
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(Booking)) == 0
    # Someone else's request: not found for another family, a role error for a caregiver.
    peek = await client.get(f"/v1/care-requests/{request_id}", headers=other.headers)
    assert peek.status_code == 404
    assert peek.json()["code"] == "care_request_not_found"
    grab = await client.post(
        f"/v1/care-requests/{request_id}/choose",
        json={"caregiver_id": made.json()["candidates"][0]["caregiver_id"]},
        headers=other.headers,
    )
    assert grab.status_code == 404
    caregiver_list = await client.get("/v1/care-requests", headers=world["near"].headers)
    assert caregiver_list.status_code == 403
    cancelled = await client.post(f"/v1/care-requests/{request_id}/cancel", headers=family.headers)
    assert cancelled.json()["status"] == "cancelled"


async def test_matching_unreachable_is_a_503_and_stores_nothing(
    migrated_url: str, engine: AsyncEngine, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    app = create_app(make_settings(migrated_url, matching_url=f"http://127.0.0.1:{free_port()}"))
    family = await make_actor(Role.FAMILY)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://backend"
        ) as client:
            made = await client.post("/v1/recipients", json=recipient_body, headers=family.headers)
            answer = await client.post(
                "/v1/care-requests",
                json={"recipient_id": made.json()["id"], "schedule": one_off(in_days(2))},
                headers=family.headers,
            )
    finally:
        await app.state.hub.close()
        await app.state.engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["code"] == "matching_unavailable"
    assert await count_requests(engine) == 0


async def test_sharing_members_see_requests_and_only_owners_act(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Any, make_actor: MakeActor
) -> None:
    """A viewer of a shared recipient reads its care requests and candidates; picking,
    dispatching, withdrawing and asking are for owners (403 not_owner); an unrelated family
    gets 404 and an empty list. A second owner acts on a request the first one made."""
    owner, viewer, stranger = home.owner, home.viewer, home.stranger
    await make_actor(Role.CAREGIVER)  # a verified caregiver for the stand-in matcher to rank
    made = await client.post(
        "/v1/care-requests",
        json={"recipient_id": home.recipient_id, "schedule": one_off(in_days(4))},
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    request = made.json()
    assert request["candidates"], request
    url = f"/v1/care-requests/{request['id']}"

    seen = await client.get(url, headers=viewer.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["candidates"] == request["candidates"]
    listed = await client.get("/v1/care-requests", headers=viewer.headers)
    assert [r["id"] for r in listed.json()["items"]] == [request["id"]]

    before = await count_requests(engine)
    asked = await client.post(
        "/v1/care-requests",
        json={"recipient_id": home.recipient_id, "schedule": one_off(in_days(5))},
        headers=viewer.headers,
    )
    assert (asked.status_code, asked.json()["code"]) == (403, "not_owner")
    pick = {"caregiver_id": request["candidates"][0]["caregiver_id"]}
    for action, body in (("choose", pick), ("dispatch", None), ("cancel", None)):
        refused = await client.post(f"{url}/{action}", json=body, headers=viewer.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_owner"), action
    assert await count_requests(engine) == before
    unchanged = await client.get(url, headers=owner.headers)
    assert (unchanged.json()["status"], unchanged.json()["booking_id"]) == ("open", None)

    for action, body in (("", None), ("/choose", pick), ("/cancel", None)):
        method = "GET" if not action else "POST"
        hidden = await client.request(method, f"{url}{action}", json=body, headers=stranger.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "care_request_not_found")
    theirs = await client.get("/v1/care-requests", headers=stranger.headers)
    assert theirs.json()["items"] == []

    # A second owner (invited as owner) withdraws the request the first owner made.
    co_owner = await make_actor(Role.FAMILY)
    invited = await client.post(
        f"/v1/recipients/{home.recipient_id}/invitations",
        json={"email": co_owner.email, "role": "owner"},
        headers=owner.headers,
    )
    accepted = await client.post(
        f"/v1/invitations/{invited.json()['id']}/accept", headers=co_owner.headers
    )
    assert accepted.status_code == 200, accepted.text
    withdrawn = await client.post(f"{url}/cancel", headers=co_owner.headers)
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "cancelled")
