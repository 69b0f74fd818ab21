"""Messages only between a booking's parties (family, assigned caregiver, its agency), live over
SSE, with unread counts; reviews once per completed visit, the caregiver's rating summary updated
in the same transaction and seen by the matching index (its real feed over LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.users.models import Role
from homecare_matching.config import Settings as MatchingSettings
from homecare_matching.main import create_app as create_matching_app

SEOUL = timezone(timedelta(hours=9), "Asia/Seoul")  # no DST in Korea since 1988

MakeActor = Callable[..., Awaitable[Any]]


@dataclass
class Cast:
    actors: dict[str, Any]
    booking_id: str


async def cast(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> Cast:
    agency_a, agency_b = await make_agency(), await make_agency()
    actors = {
        "family": await make_actor(Role.FAMILY),
        "caregiver": await make_actor(Role.CAREGIVER, agency_id=agency_a),
        "agency": await make_actor(Role.AGENCY_ADMIN, agency_id=agency_a),
        "family_b": await make_actor(Role.FAMILY),
        "caregiver_b": await make_actor(Role.CAREGIVER, agency_id=agency_b),
        "agency_b": await make_actor(Role.AGENCY_ADMIN, agency_id=agency_b),
        "admin": await make_actor(Role.PLATFORM_ADMIN),
    }
    booking_id = await new_booking(client, actors, recipient_body)
    return Cast(actors, booking_id)


async def new_booking(
    client: httpx.AsyncClient, actors: dict[str, Any], recipient_body: dict[str, Any]
) -> str:
    family, caregiver = actors["family"], actors["caregiver"]
    recipient = await client.post("/v1/recipients", json=recipient_body, headers=family.headers)
    assert recipient.status_code == 201, recipient.text
    booking = await client.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient.json()["id"],
            "caregiver_id": str(caregiver.caregiver_id),
            "start_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
            "duration_minutes": 120,
        },
        headers=family.headers,
    )
    assert booking.status_code == 201, booking.text
    return str(booking.json()["id"])


# Start and completion are check-in and check-out (visit verification) with a GPS fix.
_BY_CHECK = {"in_progress": "check-in", "completed": "check-out"}


async def move(client: httpx.AsyncClient, booking_id: str, actor: Any, *targets: str) -> None:
    for target in targets:
        if target in _BY_CHECK:
            fix = {
                "latitude": 37.5008,
                "longitude": 127.0365,
                "accuracy_m": 10,
                "device_time": datetime.now(UTC).isoformat(),
            }
            url = f"/v1/bookings/{booking_id}/{_BY_CHECK[target]}"
            moved = await client.post(url, json=fix, headers=actor.headers)
            assert moved.status_code == 201, moved.text
            continue
        moved = await client.post(
            f"/v1/bookings/{booking_id}/status", json={"status": target}, headers=actor.headers
        )
        assert moved.status_code == 200, moved.text


async def count(engine: AsyncEngine, sql: str, **params: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def test_messages_only_between_the_bookings_parties(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> None:
    world = await cast(client, make_actor, make_agency, recipient_body)
    a, url = world.actors, f"/v1/bookings/{world.booking_id}/messages"

    sent = await client.post(url, json={"body": "내일 9시 맞으시죠?"}, headers=a["family"].headers)
    assert sent.status_code == 201, sent.text
    assert sent.json()["sender_role"] == "family"
    notified = await count(
        engine,
        "SELECT count(*) FROM outbox WHERE topic = 'message.created' AND user_id = ANY(:ids)",
        ids=[a["caregiver"].user_id, a["agency"].user_id],
    )
    assert notified == 2  # the other parties, in the same transaction; not the sender
    answer = await client.post(
        url, json={"body": "네, 9시에 뵙겠습니다."}, headers=a["caregiver"].headers
    )
    assert answer.status_code == 201
    assert answer.json()["sender_role"] == "caregiver"

    for party in ("family", "caregiver", "agency"):
        thread = await client.get(url, headers=a[party].headers)
        assert thread.status_code == 200, (party, thread.text)
        assert [m["body"] for m in thread.json()["items"]] == [
            "내일 9시 맞으시죠?",
            "네, 9시에 뵙겠습니다.",
        ]
    assert (await client.get(url, headers=a["family"].headers)).json()["unread_count"] == 1
    assert (await client.get(url, headers=a["agency"].headers)).json()["unread_count"] == 2
    threads = await client.get("/v1/message-threads", headers=a["family"].headers)
    assert threads.json()["unread_total"] == 1
    assert threads.json()["items"][0]["message_count"] == 2
    read = await client.post(f"{url}/read", headers=a["family"].headers)
    assert read.json()["unread_count"] == 0
    assert read.json()["last_read_id"] == answer.json()["id"]
    assert (await client.get(url, headers=a["family"].headers)).json()["unread_count"] == 0
    agency_threads = await client.get("/v1/message-threads", headers=a["agency"].headers)
    assert agency_threads.json()["unread_total"] == 2  # read markers are per person

    before = await count(engine, "SELECT count(*) FROM booking_messages")
    for outsider, status in (
        ("family_b", 404),
        ("caregiver_b", 404),
        ("agency_b", 404),
        ("admin", 403),
    ):
        who = a[outsider]
        for method, path, body in (
            ("GET", url, None),
            ("POST", url, {"body": "끼어들기"}),
            ("POST", f"{url}/read", None),
        ):
            response = await client.request(method, path, json=body, headers=who.headers)
            assert response.status_code == status, (outsider, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            expected = "not_a_party" if status == 403 else "booking_not_found"
            assert response.json()["code"] == expected
        listed = await client.get("/v1/message-threads", headers=who.headers)
        assert listed.json() == {"items": [], "next_cursor": None, "unread_total": 0}
    assert await count(engine, "SELECT count(*) FROM booking_messages") == before  # none written
    assert (await client.get(url)).status_code == 401
    unknown = await client.get(f"/v1/bookings/{uuid.uuid4()}/messages", headers=a["family"].headers)
    assert unknown.status_code == 404


async def sse(lines: AsyncIterator[str], wanted: str, wait_s: float = 10) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        event = ""
        async for line in lines:
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == wanted:
                found: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return found
        raise AssertionError("stream ended")

    return await asyncio.wait_for(read(), wait_s)


async def test_a_message_arrives_live_on_the_other_partys_stream(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> None:
    server = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        world = await cast(http, make_actor, make_agency, recipient_body)
        a = world.actors
        ticket = (await http.post("/v1/events/tickets", headers=a["caregiver"].headers)).json()
        async with http.stream("GET", f"/v1/events?ticket={ticket['ticket']}") as stream:
            sent = await http.post(
                f"/v1/bookings/{world.booking_id}/messages",
                json={"body": "현관 비밀번호는 1234입니다"},
                headers=a["family"].headers,
            )
            assert sent.status_code == 201
            event = await sse(stream.aiter_lines(), "message.created")
    assert event["user_id"] == str(a["caregiver"].user_id)
    assert event["payload"]["booking_id"] == world.booking_id
    assert event["payload"]["message_id"] == sent.json()["id"]
    assert event["payload"]["preview"] == "현관 비밀번호는 1234입니다"


@pytest.fixture
async def matching(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real matching service, its index fed from this database (LISTEN/NOTIFY)."""
    app = create_matching_app(
        MatchingSettings(env="test", database_url=migrated_url, index_retry_seconds=0.2)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as http,
    ):
        yield http


async def rating_in_index(matching: httpx.AsyncClient, caregiver_id: str) -> float | None:
    # 10:00 Seoul time nine days ahead: inside the caregiver's 00:00-23:30 slots whatever the
    # hour the test runs (a window of "now + 9 days" crossed 23:30 Seoul time at 13:30-15:00 UTC).
    seoul = datetime.now(SEOUL) + timedelta(days=9)
    start = seoul.replace(hour=10, minute=0, second=0, microsecond=0)
    answer = await matching.post(
        "/v1/match",
        json={
            "latitude": 37.5,
            "longitude": 127.0,
            "windows": [
                {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
            ],
            "k": 100,
        },
    )
    if answer.status_code != 200:
        return None
    for result in answer.json()["results"]:
        if result["caregiver_id"] == caregiver_id:
            value: float = result["breakdown"]["rating"]["value"]
            return value
    return None


async def until(probe: Callable[[], Awaitable[bool]], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await probe():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


async def test_one_review_per_completed_visit_updates_rating_and_matching(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
    matching: httpx.AsyncClient,
) -> None:
    world = await cast(client, make_actor, make_agency, recipient_body)
    a, booking = world.actors, world.booking_id
    cid = str(a["caregiver"].caregiver_id)
    every_hour = [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)]
    slots = await client.put(
        f"/v1/caregivers/{cid}/availability",
        json={"weekly_slots": every_hour},
        headers=a["caregiver"].headers,
    )
    assert slots.status_code == 200, slots.text
    review_url = f"/v1/bookings/{booking}/review"

    early = await client.post(review_url, json={"rating": 5}, headers=a["family"].headers)
    assert early.status_code == 409
    assert early.json()["code"] == "visit_not_completed"
    assert early.json()["current_status"] == "offered"
    await move(client, booking, a["caregiver"], "confirmed", "in_progress")
    still = await client.post(review_url, json={"rating": 5}, headers=a["family"].headers)
    assert still.json()["code"] == "visit_not_completed"
    await move(client, booking, a["caregiver"], "completed")
    assert await count(engine, "SELECT count(*) FROM reviews") == 0

    async def index_says(value: float) -> bool:
        return await rating_in_index(matching, cid) == pytest.approx(value, abs=1e-6)

    await until(lambda: index_says(0.8), 15)  # unrated: the prior (matching's scoring)
    assert (await client.get(review_url, headers=a["family"].headers)).status_code == 404
    for outsider, status in (("family_b", 404), ("caregiver", 403), ("admin", 403)):
        refused = await client.post(review_url, json={"rating": 1}, headers=a[outsider].headers)
        assert refused.status_code == status, (outsider, refused.text)
    written = await client.post(
        review_url, json={"rating": 5, "body": "정말 친절하셨어요"}, headers=a["family"].headers
    )
    assert written.status_code == 201, written.text
    profile = (await client.get(f"/v1/caregivers/{cid}", headers=a["caregiver"].headers)).json()
    assert (profile["rating_avg"], profile["rating_count"]) == (5.0, 1)
    # Bayesian mean (5·1 + 4·5) / 6 / 5: the index follows the NOTIFY of the review's transaction.
    assert await until(lambda: index_says(25 / 30), 2.0) < 2.0

    again = await client.post(review_url, json={"rating": 1}, headers=a["family"].headers)
    assert again.status_code == 409
    assert again.json()["code"] == "review_exists"
    assert await count(engine, "SELECT count(*) FROM reviews") == 1

    second = await new_booking(client, a, recipient_body)
    await move(client, second, a["caregiver"], "confirmed", "in_progress", "completed")
    both = await asyncio.gather(
        *(
            client.post(
                f"/v1/bookings/{second}/review", json={"rating": r}, headers=a["family"].headers
            )
            for r in (2, 2)
        )
    )
    assert sorted(r.status_code for r in both) == [201, 409]  # a race still ends in one review
    listed = await client.get(f"/v1/caregivers/{cid}/reviews", headers=a["family"].headers)
    assert (listed.json()["rating_avg"], listed.json()["rating_count"]) == (3.5, 2)
    assert [r["rating"] for r in listed.json()["items"]] == [5, 2]

    reply_url = f"/v1/reviews/{written.json()['id']}/reply"
    other = await client.post(reply_url, json={"body": "?"}, headers=a["caregiver_b"].headers)
    assert other.status_code == 404
    by_family = await client.post(reply_url, json={"body": "?"}, headers=a["family"].headers)
    assert by_family.status_code == 403
    replied = await client.post(
        reply_url, json={"body": "감사합니다!"}, headers=a["caregiver"].headers
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["reply"] == "감사합니다!"
    assert replied.json()["replied_at"] is not None
    twice = await client.post(reply_url, json={"body": "또"}, headers=a["caregiver"].headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "reply_exists"
    shown = await client.get(review_url, headers=a["agency"].headers)
    assert shown.json()["reply"] == "감사합니다!"
