"""Visit verification (EVV) on the real database: geofence in/out/widened/capped, tags, every
exception reason, bad input refused with nothing written, served times priced by billing, live
events to every family member sharing the recipient (and to nobody else)."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.models import Booking, OutboxEvent, VisitCheck, VisitException
from homecare_backend.visits import geofence
from homecare_testing.sse import sse_events

MakeVisit = Callable[..., Awaitable[str]]


M_PER_DEG_LAT = geofence.EARTH_RADIUS_M * math.pi / 180
Home = Any


def reasons(response: httpx.Response) -> list[str]:
    return [e["reason"] for e in response.json()["exceptions"]]


def test_geofence_arithmetic() -> None:
    home = (37.5008, 127.0365)

    def at(north_m: float) -> tuple[float, float]:
        return home[0] + north_m / M_PER_DEG_LAT, home[1]

    inside = geofence.check(home=home, fix=at(80), accuracy_m=10, radius_m=100, accuracy_cap_m=50)
    assert (inside.inside, round(inside.distance_m), inside.allowed_m) == (True, 80, 110)
    outside = geofence.check(home=home, fix=at(130), accuracy_m=10, radius_m=100, accuracy_cap_m=50)
    assert (outside.inside, outside.allowed_m) == (False, 110)
    widened = geofence.check(home=home, fix=at(130), accuracy_m=40, radius_m=100, accuracy_cap_m=50)
    assert (widened.inside, widened.allowed_m) == (True, 140)
    capped = geofence.check(home=home, fix=at(130), accuracy_m=500, radius_m=100, accuracy_cap_m=20)
    assert (capped.inside, capped.allowed_m) == (False, 120)
    # Real distance: Seoul City Hall to Gangnam station is about 8.9 km.
    assert 8_500 < geofence.distance_m(37.5663, 126.9779, 37.4979, 127.0276) < 9_300


@pytest.mark.parametrize(
    ("north_m", "accuracy_m", "inside"),
    [
        pytest.param(60, 10, True, id="in"),
        pytest.param(130, 10, False, id="out"),
        pytest.param(130, 40, True, id="widened-by-accuracy"),
        pytest.param(180, 400, False, id="capped"),
    ],
)
async def test_geofence_through_check_in(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    home: Home,
    make_visit: MakeVisit,
    north_m: float,
    accuracy_m: float,
    inside: bool,
) -> None:
    # Default fence: 100 m, at most 50 m of the fix's inaccuracy widens it.
    booking = await make_visit(home)
    checked = await client.post(
        f"/v1/bookings/{booking}/check-in",
        json=home.fix(north_m, accuracy_m),
        headers=home.caregiver.headers,
    )
    assert checked.status_code == 201, checked.text
    body = checked.json()
    assert body["check"]["inside_geofence"] is inside
    assert body["check"]["allowed_m"] == 100 + min(accuracy_m, 50)
    assert round(body["check"]["distance_m"]) == north_m
    assert reasons(checked) == ([] if inside else ["outside_geofence"])
    assert body["booking_status"] == "in_progress"


async def test_home_settings_and_tag_match_mismatch_missing(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    first = await make_visit(home)
    site_url = f"/v1/recipients/{home.recipient_id}/visit-site"
    default = await client.get(site_url, headers=home.agency_admin.headers)
    assert default.json() == {
        "recipient_id": home.recipient_id,
        "radius_m": 100,
        "accuracy_cap_m": 50,
        "has_tag": False,
        "updated_at": None,
    }
    # Only the agency whose caregiver serves the home (or a platform admin) keeps it.
    for intruder in (home.other_agency_admin, home.owner, home.caregiver):
        refused = await client.put(
            site_url, json={"radius_m": 500, "accuracy_cap_m": 0}, headers=intruder.headers
        )
        assert refused.status_code in (403, 404), refused.text
    site = await client.put(
        site_url,
        json={"radius_m": 200, "accuracy_cap_m": 0, "tag_code": "NHIS-TAG-7731"},
        headers=home.agency_admin.headers,
    )
    assert site.status_code == 200, site.text
    assert site.json()["has_tag"] is True
    assert "NHIS-TAG-7731" not in site.text

    # 150 m away with 30 m accuracy: inside the 200 m fence (no widening: cap 0).
    matched = await client.post(
        f"/v1/bookings/{first}/check-in",
        json=home.fix(150, 30, tag_code="NHIS-TAG-7731"),
        headers=home.caregiver.headers,
    )
    assert matched.json()["check"]["tag"] == "match"
    assert matched.json()["check"]["allowed_m"] == 200
    assert reasons(matched) == []
    mismatched = await client.post(
        f"/v1/bookings/{first}/check-out",
        json=home.fix(0, 5, tag_code="NHIS-TAG-0000"),
        headers=home.caregiver.headers,
    )
    assert mismatched.json()["check"]["tag"] == "mismatch"
    assert reasons(mismatched) == ["tag_mismatch"]
    assert mismatched.json()["booking_status"] == "completed"
    second = await make_visit(home, starts_in=timedelta(hours=3))
    async with engine.begin() as conn:  # the next visit is later today; it starts on time
        await conn.execute(
            Booking.__table__.update()
            .where(Booking.id == uuid.UUID(second))
            .values(start_at=datetime.now(UTC), end_at=datetime.now(UTC) + timedelta(hours=1))
        )
    missing = await client.post(
        f"/v1/bookings/{second}/check-in", json=home.fix(0, 5), headers=home.caregiver.headers
    )
    assert missing.json()["check"]["tag"] == "missing"
    assert reasons(missing) == ["tag_missing"]


async def test_every_exception_reason_is_recorded_for_agency_review(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    late = await make_visit(home, starts_in=timedelta(minutes=-90))
    far = await client.post(
        f"/v1/bookings/{late}/check-in", json=home.fix(400, 20), headers=home.caregiver.headers
    )
    assert far.status_code == 201
    assert sorted(reasons(far)) == ["check_in_far_from_start", "outside_geofence"]
    assert "90 min after" in far.json()["exceptions"][0]["detail"]
    left = await client.post(
        f"/v1/bookings/{late}/check-out", json=home.fix(), headers=home.caregiver.headers
    )
    assert reasons(left) == []
    forgot = await make_visit(
        home, starts_in=timedelta(minutes=-160), duration=timedelta(minutes=60)
    )
    out = await client.post(
        f"/v1/bookings/{forgot}/check-out", json=home.fix(0, 10), headers=home.caregiver.headers
    )
    assert out.status_code == 201, out.text
    assert reasons(out) == ["check_out_without_check_in"]
    assert out.json()["booking_status"] == "completed"
    tagged = await make_visit(home, starts_in=timedelta(hours=5))  # a later visit, same home
    async with engine.begin() as conn:
        await conn.execute(
            Booking.__table__.update()
            .where(Booking.id == uuid.UUID(tagged))
            .values(start_at=datetime.now(UTC), end_at=datetime.now(UTC) + timedelta(minutes=30))
        )
    await client.put(
        f"/v1/recipients/{home.recipient_id}/visit-site",
        json={"radius_m": 100, "accuracy_cap_m": 50, "tag_code": "TAG-1"},
        headers=home.agency_admin.headers,
    )
    no_tag = await client.post(
        f"/v1/bookings/{tagged}/check-in", json=home.fix(), headers=home.caregiver.headers
    )
    wrong_tag = await client.post(
        f"/v1/bookings/{tagged}/check-out",
        json=home.fix(tag_code="TAG-2"),
        headers=home.caregiver.headers,
    )
    assert reasons(no_tag) == ["tag_missing"]
    assert reasons(wrong_tag) == ["tag_mismatch"]

    listed = await client.get(
        "/v1/visit-exceptions", params={"status": "open"}, headers=home.agency_admin.headers
    )
    assert listed.status_code == 200
    assert sorted(e["reason"] for e in listed.json()["items"]) == [
        "check_in_far_from_start",
        "check_out_without_check_in",
        "outside_geofence",
        "tag_mismatch",
        "tag_missing",
    ]
    other = await client.get("/v1/visit-exceptions", headers=home.other_agency_admin.headers)
    assert other.json()["items"] == []
    # Each exception was announced to the caregiver's agency admin (feed, SSE, push), and to no
    # other agency.
    async with engine.connect() as conn:
        told = (
            await conn.execute(
                select(OutboxEvent.user_id, OutboxEvent.payload["reason"].astext).where(
                    OutboxEvent.topic == "visit_exception",
                    OutboxEvent.user_id.in_(
                        [home.agency_admin.user_id, home.other_agency_admin.user_id]
                    ),
                )
            )
        ).all()
    assert sorted(reason for _, reason in told) == sorted(
        e["reason"] for e in listed.json()["items"]
    )
    assert {user for user, _ in told} == {home.agency_admin.user_id}
    for nosy in (home.owner, home.caregiver):
        assert (await client.get("/v1/visit-exceptions", headers=nosy.headers)).status_code == 403
    first = listed.json()["items"][0]["id"]
    url = f"/v1/visit-exceptions/{first}/resolve"
    body = {"decision": "accepted", "note": "GPS 음영 지역"}
    refused = await client.post(url, json=body, headers=home.other_agency_admin.headers)
    assert refused.status_code == 404
    resolved = await client.post(url, json=body, headers=home.agency_admin.headers)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "accepted"
    again = await client.post(url, json=body, headers=home.agency_admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "exception_already_resolved"
    # The family sees the verified visit, exceptions included.
    seen = await client.get(f"/v1/bookings/{late}/visit", headers=home.viewer.headers)
    assert seen.status_code == 200
    assert seen.json()["check_in"]["inside_geofence"] is False
    assert len(seen.json()["exceptions"]) == 2
    assert (
        await client.get(f"/v1/bookings/{late}/visit", headers=home.stranger.headers)
    ).status_code == 404


async def count_checks(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        checks = await conn.scalar(select(func.count()).select_from(VisitCheck))
        exceptions = await conn.scalar(select(func.count()).select_from(VisitException))
    return checks or 0, exceptions or 0


async def test_bad_input_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    booking = await make_visit(home)
    url = f"/v1/bookings/{booking}"
    cg = home.caregiver.headers
    before_in = await client.post(
        f"{url}/check-out",
        json=home.fix(device_time=(datetime.now(UTC) - timedelta(hours=1)).isoformat()),
        headers=cg,
    )
    assert before_in.status_code == 201  # no check-in: recorded, flagged (see the reason test)
    booking = await make_visit(home, starts_in=timedelta(minutes=130))
    url = f"/v1/bookings/{booking}"
    baseline = await count_checks(engine)
    too_early = await client.post(f"{url}/check-in", json=home.fix(), headers=cg)
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "visit_not_started"
    async with engine.begin() as conn:
        await conn.execute(
            Booking.__table__.update()
            .where(Booking.id == uuid.UUID(booking))
            .values(start_at=datetime.now(UTC), end_at=datetime.now(UTC) + timedelta(hours=1))
        )
    cases: list[tuple[dict[str, Any], int, str]] = [
        (home.fix() | {"latitude": 91}, 422, "validation_failed"),
        (home.fix() | {"longitude": -180.5}, 422, "validation_failed"),
        (home.fix(accuracy_m=0), 422, "validation_failed"),
        (home.fix(accuracy_m=-5), 422, "validation_failed"),
        (home.fix(accuracy_m=20_000), 422, "validation_failed"),
        (home.fix() | {"latitude": 0, "longitude": 0}, 422, "impossible_fix"),
        (
            home.fix(device_time=(datetime.now(UTC) - timedelta(days=3)).isoformat()),
            422,
            "implausible_device_time",
        ),
        (home.fix(device_time="2026-12-01T09:00:00"), 422, "validation_failed"),  # no offset
    ]
    for body, status, code in cases:
        refused = await client.post(f"{url}/check-in", json=body, headers=cg)
        assert refused.status_code == status, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == code
    for who, status in ((home.other_caregiver, 404), (home.owner, 403), (home.viewer, 403)):
        refused = await client.post(f"{url}/check-in", json=home.fix(), headers=who.headers)
        assert refused.status_code == status, refused.text
    via_status = await client.post(f"{url}/status", json={"status": "in_progress"}, headers=cg)
    assert via_status.status_code == 409
    assert via_status.json()["code"] == "use_check_in"
    assert await count_checks(engine) == baseline
    async with engine.connect() as conn:
        assert (
            await conn.scalar(select(Booking.status).where(Booking.id == uuid.UUID(booking)))
            == "confirmed"
        )

    checked_in = await client.post(f"{url}/check-in", json=home.fix(), headers=cg)
    assert checked_in.status_code == 201
    baseline = await count_checks(engine)
    double = await client.post(f"{url}/check-in", json=home.fix(), headers=cg)
    assert double.status_code == 409
    assert double.json()["code"] == "already_checked_in"
    earlier = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    backwards = await client.post(
        f"{url}/check-out", json=home.fix(device_time=earlier), headers=cg
    )
    assert backwards.status_code == 409
    assert backwards.json()["code"] == "check_out_before_check_in"
    assert await count_checks(engine) == baseline
    done = await client.post(f"{url}/check-out", json=home.fix(), headers=cg)
    assert done.status_code == 201
    twice = await client.post(f"{url}/check-out", json=home.fix(), headers=cg)
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_checked_out"


async def test_served_times_are_what_billing_prices(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    booking = await make_visit(home)
    split_url = f"/v1/billing/bookings/{booking}/split"
    planned = await client.get(split_url, headers=home.owner.headers)
    assert planned.json()["booking"]["amount_krw"] > 0  # two planned hours
    checked_in = await client.post(
        f"/v1/bookings/{booking}/check-in", json=home.fix(), headers=home.caregiver.headers
    )
    checked_out = await client.post(
        f"/v1/bookings/{booking}/check-out", json=home.fix(), headers=home.caregiver.headers
    )
    seen = (await client.get(f"/v1/bookings/{booking}/visit", headers=home.owner.headers)).json()
    assert seen["started_at"] == checked_in.json()["check"]["recorded_at"]
    assert seen["finished_at"] == checked_out.json()["check"]["recorded_at"]
    # Served for seconds, not the planned two hours: under 30 minutes is not billable.
    served = await client.get(split_url, headers=home.owner.headers)
    assert served.json()["booking"]["amount_krw"] == 0


async def test_events_reach_every_sharing_member_and_nobody_else(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_home: Callable[[httpx.AsyncClient], Awaitable[Home]],
    make_visit: MakeVisit,
) -> None:
    server = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        home = await make_home(http)
        booking = await make_visit(home)
        await asyncio.sleep(1)  # events of the set-up (invitations) are delivered before we listen
        async with (
            http.stream("GET", "/v1/events", headers=home.owner.headers) as owner_stream,
            http.stream("GET", "/v1/events", headers=home.viewer.headers) as viewer_stream,
            http.stream("GET", "/v1/events", headers=home.stranger.headers) as stranger_stream,
        ):
            for stream in (owner_stream, viewer_stream, stranger_stream):
                assert stream.status_code == 200
            checked_in = await http.post(
                f"/v1/bookings/{booking}/check-in",
                json=home.fix(500, 10),  # outside the fence: an exception as well
                headers=home.caregiver.headers,
            )
            assert checked_in.status_code == 201
            await http.post(
                f"/v1/bookings/{booking}/check-out", json=home.fix(), headers=home.caregiver.headers
            )
            wanted = ["caregiver_arrived", "visit_started", "visit_exception", "visit_completed"]
            for stream in (owner_stream, viewer_stream):
                events = await sse_events(stream.aiter_lines(), 6)
                visit_events = [e for e in events if e["event"] != "booking.status_changed"]
                assert [e["event"] for e in visit_events] == wanted
                assert all(e["data"]["payload"]["booking_id"] == booking for e in events)
                assert visit_events[2]["data"]["payload"]["reason"] == "outside_geofence"
            with pytest.raises(TimeoutError):
                await sse_events(stranger_stream.aiter_lines(), 1, wait_s=2)
