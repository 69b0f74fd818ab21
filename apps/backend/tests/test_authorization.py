"""Object-level authorization: every object route, called by someone it does not belong to,
answers 403 or 404 — and the same call by the owner succeeds (so the sweep cannot pass vacuously).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from homecare_backend.users.models import Role

MakeActor = Callable[..., Awaitable[Any]]


@dataclass
class World:
    actors: dict[str, Any]
    ids: dict[str, Any]


async def build_world(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> World:
    agency_a, agency_b = await make_agency(), await make_agency()
    actors = {
        "family_a": await make_actor(Role.FAMILY),
        "family_b": await make_actor(Role.FAMILY),
        "caregiver_a": await make_actor(Role.CAREGIVER, agency_id=agency_a),
        "caregiver_b": await make_actor(Role.CAREGIVER, agency_id=agency_b),
        "agency_admin_a": await make_actor(Role.AGENCY_ADMIN, agency_id=agency_a),
        "agency_admin_b": await make_actor(Role.AGENCY_ADMIN, agency_id=agency_b),
        "admin": await make_actor(Role.PLATFORM_ADMIN),
    }
    fa, ca = actors["family_a"], actors["caregiver_a"]
    recipient = await client.post("/v1/recipients", json=recipient_body, headers=fa.headers)
    assert recipient.status_code == 201, recipient.text
    rid = recipient.json()["id"]
    # A viewer who accepted an invitation, and an invitee who has not answered yet.
    actors["viewer"], actors["invitee"] = (
        await make_actor(Role.FAMILY),
        await make_actor(Role.FAMILY),
    )
    invitations = {}
    for who in ("viewer", "invitee"):
        invited = await client.post(
            f"/v1/recipients/{rid}/invitations",
            json={"email": actors[who].email, "role": "viewer"},
            headers=fa.headers,
        )
        assert invited.status_code == 201, invited.text
        invitations[who] = invited.json()["id"]
    accepted = await client.post(
        f"/v1/invitations/{invitations['viewer']}/accept", headers=actors["viewer"].headers
    )
    assert accepted.status_code == 200, accepted.text
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    booking = await client.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient.json()["id"],
            "caregiver_id": str(ca.caregiver_id),
            "start_at": start.isoformat(),
            "duration_minutes": 120,
        },
        headers=fa.headers,
    )
    assert booking.status_code == 201, booking.text
    device = await client.post(
        "/v1/devices",
        json={"platform": "fcm", "token": "fcm-token-of-family-a"},
        headers=fa.headers,
    )
    assert device.status_code == 201
    await client.post(
        f"/v1/caregivers/{ca.caregiver_id}/days-off", json={"day": "2027-01-01"}, headers=ca.headers
    )
    payment = await client.post(f"/v1/bookings/{booking.json()['id']}/payment", headers=fa.headers)
    assert payment.status_code == 201, payment.text
    series_start = (start + timedelta(weeks=3)).date()
    series = await client.post(
        "/v1/booking-series",
        json={
            "recipient_id": recipient.json()["id"],
            "caregiver_id": str(ca.caregiver_id),
            "slots": [
                {"weekday": series_start.weekday(), "start": "09:00", "duration_minutes": 60}
            ],
            "start_date": series_start.isoformat(),
            "count": 2,
        },
        headers=fa.headers,
    )
    assert series.status_code == 201, series.text
    request_start = start + timedelta(weeks=5)
    care_request = await client.post(
        "/v1/care-requests",
        json={
            "recipient_id": recipient.json()["id"],
            "schedule": {
                "kind": "one_off",
                "start_at": request_start.isoformat(),
                "duration_minutes": 120,
            },
        },
        headers=fa.headers,
    )
    assert care_request.status_code == 201, care_request.text
    # Two visits of caregiver_a starting soon: `visit` confirmed, `visited` checked into (far
    # from the home: exceptions for review) with a care log being written.
    soon = {}
    for name, minutes in (("visit", 10), ("visited", 80)):
        made = await client.post(
            "/v1/bookings",
            json={
                "recipient_id": rid,
                "caregiver_id": str(ca.caregiver_id),
                "start_at": (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat(),
                "duration_minutes": 60,
            },
            headers=fa.headers,
        )
        assert made.status_code == 201, made.text
        soon[name] = made.json()["id"]
        accepted = await client.post(
            f"/v1/bookings/{soon[name]}/status", json={"status": "confirmed"}, headers=ca.headers
        )
        assert accepted.status_code == 200, accepted.text
    far = {**FIX, "latitude": recipient_body["latitude"] + 0.05}
    checked = await client.post(
        f"/v1/bookings/{soon['visited']}/check-in", json=far, headers=ca.headers
    )
    assert checked.status_code == 201, checked.text
    logged = await client.put(
        f"/v1/bookings/{soon['visited']}/care-log", json=CARE_LOG, headers=ca.headers
    )
    assert logged.status_code == 200, logged.text
    return World(
        actors,
        {
            "recipient": recipient.json()["id"],
            "booking": booking.json()["id"],
            "caregiver": ca.caregiver_id,
            "device": device.json()["id"],
            "agency_a": agency_a,
            "agency_b": agency_b,
            "payment": payment.json()["id"],
            "amount": payment.json()["amount_krw"],
            "order": payment.json()["order_id"],
            "series": series.json()["id"],
            "care_request": care_request.json()["id"],
            "series_next": (series_start + timedelta(weeks=1)).isoformat(),
            "series_weekday": series_start.weekday(),
            "month": start.strftime("%Y-%m"),
            "viewer": actors["viewer"].user_id,
            "invitation": invitations["invitee"],
            **soon,
            "exception": checked.json()["exceptions"][0]["id"],
        },
    )


FIX = {
    "latitude": 37.5008,
    "longitude": 127.0365,
    "accuracy_m": 10.0,
    "device_time": datetime.now(UTC).isoformat(),
}
CARE_LOG = {"tasks": [{"task": "meals", "done": True}], "notes": "점심 식사 도움"}
CAREGIVER_PUT = {
    "licence_number": "2026-000001",
    "gender": "female",
    "skills": ["dementia"],
    "languages": ["ko"],
    "latitude": 37.5,
    "longitude": 127.0,
    "service_radius_km": 10,
    "hourly_rate_krw": 16000,
}

# (route, method, path, body, owner, intruders)
ROUTES: list[tuple[str, str, str, Any, str, list[str]]] = [
    ("get recipient", "GET", "/v1/recipients/{recipient}", None, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b"]),
    ("replace recipient", "PUT", "/v1/recipients/{recipient}", "RECIPIENT", "family_a",
     ["family_b", "caregiver_a", "agency_admin_b", "admin", "viewer", "invitee"]),
    ("get booking", "GET", "/v1/bookings/{booking}", None, "family_a",
     ["family_b", "caregiver_b", "agency_admin_b"]),
    ("change booking status", "POST", "/v1/bookings/{booking}/status", {"status": "confirmed"},
     "caregiver_a", ["family_b", "caregiver_b", "agency_admin_b", "family_a"]),
    ("get caregiver", "GET", "/v1/caregivers/{caregiver}", None, "caregiver_a",
     ["caregiver_b", "agency_admin_b"]),
    ("replace caregiver", "PUT", "/v1/caregivers/{caregiver}", CAREGIVER_PUT, "caregiver_a",
     ["caregiver_b", "family_a", "agency_admin_b", "admin"]),
    ("get availability", "GET", "/v1/caregivers/{caregiver}/availability", None, "caregiver_a",
     ["caregiver_b", "agency_admin_b"]),
    ("replace availability", "PUT", "/v1/caregivers/{caregiver}/availability",
     {"weekly_slots": [{"weekday": 0, "start": "09:00", "end": "12:00"}]}, "caregiver_a",
     ["caregiver_b", "family_a", "agency_admin_b"]),
    ("add day off", "POST", "/v1/caregivers/{caregiver}/days-off", {"day": "2027-02-01"},
     "caregiver_a", ["caregiver_b", "family_a", "agency_admin_b"]),
    ("remove day off", "DELETE", "/v1/caregivers/{caregiver}/days-off/2027-01-01", None,
     "caregiver_a", ["caregiver_b", "family_a", "agency_admin_b"]),
    ("set verification", "PUT", "/v1/caregivers/{caregiver}/verification",
     {"status": "verified"}, "admin", ["caregiver_a", "caregiver_b", "family_a", "agency_admin_b"]),
    ("set agency", "PUT", "/v1/caregivers/{caregiver}/agency", {"agency_id": "{agency_b}"},
     "admin", ["caregiver_a", "family_a", "agency_admin_b"]),
    ("delete device", "DELETE", "/v1/devices/{device}", None, "family_a",
     ["family_b", "caregiver_a", "admin"]),
    ("booking split", "GET", "/v1/billing/bookings/{booking}/split", None, "family_a",
     ["family_b", "caregiver_b", "agency_admin_b"]),
    ("recipient month", "GET", "/v1/billing/recipients/{recipient}/months/{month}", None,
     "family_a", ["family_b", "caregiver_a", "agency_admin_b"]),
    ("cancellation terms", "GET", "/v1/bookings/{booking}/cancellation", None, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("create payment", "POST", "/v1/bookings/{booking}/payment", None, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("get payment", "GET", "/v1/payments/{payment}", None, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "viewer"]),
    ("confirm payment", "POST", "/v1/payments/{payment}/confirm",
     {"payment_key": "manual-key-1", "amount_krw": "AMOUNT"}, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("confirm payment by order", "POST", "/v1/payments/by-order/{order}/confirm",
     {"payment_key": "manual-key-2", "amount_krw": "AMOUNT"}, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("get series", "GET", "/v1/booking-series/{series}", None, "family_a",
     ["family_b", "caregiver_b", "agency_admin_b"]),
    ("change series", "POST", "/v1/booking-series/{series}/changes",
     {"from_date": "{series_next}", "count": 1,
      "slots": [{"weekday": "WEEKDAY", "start": "11:00", "duration_minutes": 60}]},
     "family_a", ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin"]),
    ("get care request", "GET", "/v1/care-requests/{care_request}", None, "viewer",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "invitee"]),
    ("choose care candidate", "POST", "/v1/care-requests/{care_request}/choose",
     {"caregiver_id": "{caregiver}"}, "family_a",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin",
     "viewer", "invitee"]),
    ("dispatch care request", "POST", "/v1/care-requests/{care_request}/dispatch", None,
     "family_a", ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin",
     "viewer", "invitee"]),
    ("cancel care request", "POST", "/v1/care-requests/{care_request}/cancel", None,
     "family_a", ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "admin",
     "viewer", "invitee"]),
    ("delete recipient", "DELETE", "/v1/recipients/{recipient}", None, "admin",
     ["family_b", "caregiver_a", "agency_admin_b", "viewer"]),
    ("list members", "GET", "/v1/recipients/{recipient}/members", None, "viewer",
     ["family_b", "caregiver_a", "caregiver_b", "agency_admin_b", "invitee"]),
    ("remove member", "DELETE", "/v1/recipients/{recipient}/members/{viewer}", None, "family_a",
     ["family_b", "caregiver_a", "agency_admin_b", "admin", "invitee"]),
    ("invite member", "POST", "/v1/recipients/{recipient}/invitations",
     {"email": "new-member@test.homecare.kr", "role": "viewer"}, "family_a",
     ["family_b", "caregiver_a", "agency_admin_b", "admin", "viewer", "invitee"]),
    ("list invitations", "GET", "/v1/recipients/{recipient}/invitations", None, "family_a",
     ["family_b", "caregiver_a", "agency_admin_b", "admin", "viewer", "invitee"]),
    ("revoke invitation", "DELETE", "/v1/recipients/{recipient}/invitations/{invitation}", None,
     "family_a", ["family_b", "caregiver_a", "agency_admin_b", "admin", "viewer", "invitee"]),
    ("accept invitation", "POST", "/v1/invitations/{invitation}/accept", None, "invitee",
     ["family_a", "family_b", "caregiver_a", "agency_admin_b", "admin", "viewer"]),
    ("decline invitation", "POST", "/v1/invitations/{invitation}/decline", None, "invitee",
     ["family_a", "family_b", "caregiver_a", "agency_admin_b", "admin", "viewer"]),
    ("check in", "POST", "/v1/bookings/{visit}/check-in", FIX, "caregiver_a",
     ["family_a", "family_b", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("check out", "POST", "/v1/bookings/{visited}/check-out", FIX, "caregiver_a",
     ["family_a", "family_b", "caregiver_b", "agency_admin_b", "admin", "viewer"]),
    ("get visit", "GET", "/v1/bookings/{visited}/visit", None, "viewer",
     ["family_b", "caregiver_b", "agency_admin_b", "invitee"]),
    ("resolve visit exception", "POST", "/v1/visit-exceptions/{exception}/resolve",
     {"decision": "accepted", "note": ""}, "admin",
     ["agency_admin_b", "family_a", "caregiver_a", "viewer"]),
    ("get visit site", "GET", "/v1/recipients/{recipient}/visit-site", None, "admin",
     ["agency_admin_b", "family_a", "caregiver_a", "viewer"]),
    ("replace visit site", "PUT", "/v1/recipients/{recipient}/visit-site",
     {"radius_m": 150, "accuracy_cap_m": 30, "tag_code": "TAG-1234"}, "admin",
     ["agency_admin_b", "family_a", "caregiver_a", "viewer"]),
    ("write care log", "PUT", "/v1/bookings/{visited}/care-log", CARE_LOG, "caregiver_a",
     ["caregiver_b", "family_a", "viewer", "agency_admin_b", "admin"]),
    ("get care log", "GET", "/v1/bookings/{visited}/care-log", None, "caregiver_a",
     ["family_b", "caregiver_b", "agency_admin_b", "invitee"]),
    ("add care log addendum", "POST", "/v1/bookings/{visited}/care-log/addenda",
     {"text": "보호자께 전달"}, "caregiver_a",
     ["caregiver_b", "family_a", "viewer", "agency_admin_b", "admin"]),
    ("care log revisions", "GET", "/v1/bookings/{visited}/care-log/revisions", None,
     "caregiver_a", ["family_b", "caregiver_b", "agency_admin_b", "invitee"]),
    ("get care plan", "GET", "/v1/recipients/{recipient}/care-plan", None, "viewer",
     ["family_b", "caregiver_b", "agency_admin_b", "invitee"]),
    ("replace care plan", "PUT", "/v1/recipients/{recipient}/care-plan",
     {"tasks": ["meals", "medication"]}, "family_a",
     ["viewer", "family_b", "caregiver_a", "agency_admin_b", "admin"]),
    *[
        (f"caregiver statement{suffix}", "GET",
         f"/v1/caregivers/{{caregiver}}/statements/{{month}}{suffix}", None, "caregiver_a",
         ["caregiver_b", "agency_admin_b", "family_a", "viewer"])
        for suffix in ("", "/csv", "/pdf")
    ],
    *[
        (f"agency statement{suffix}", "GET",
         f"/v1/agencies/{{agency_a}}/statements/{{month}}{suffix}", None, "agency_admin_a",
         ["agency_admin_b", "caregiver_a", "family_a", "viewer"])
        for suffix in ("", "/csv", "/pdf")
    ],
]  # fmt: skip


def fill(value: Any, ids: dict[str, Any], recipient_body: dict[str, Any]) -> Any:
    named = {"RECIPIENT": recipient_body, "AMOUNT": ids["amount"], "WEEKDAY": ids["series_weekday"]}
    if isinstance(value, str) and value in named:
        return named[value]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids, recipient_body) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids, recipient_body) for v in value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "body", "owner", "intruders"),
    [pytest.param(*r[1:], id=r[0]) for r in ROUTES],
)
async def test_other_users_get_403_or_404(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    owner: str,
    intruders: list[str],
) -> None:
    world = await build_world(client, make_actor, make_agency, recipient_body)
    url = fill(path, world.ids, recipient_body)
    payload = fill(body, world.ids, recipient_body)
    for intruder in intruders:
        actor = world.actors[intruder]
        response = await client.request(method, url, json=payload, headers=actor.headers)
        assert response.status_code in (403, 404), (intruder, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    unauthenticated = await client.request(method, url, json=payload)
    assert unauthenticated.status_code == 401
    if path == "/v1/recipients/{recipient}" and method == "DELETE":
        # The admin may read but not delete a family's recipient; the family may, once the
        # active booking is cancelled.
        family = world.actors["family_a"]
        assert (await client.delete(url, headers=family.headers)).status_code == 409
        series = await client.get(
            f"/v1/booking-series/{world.ids['series']}", headers=family.headers
        )
        done = await client.post(
            f"/v1/bookings/{world.ids['visited']}/check-out",
            json=FIX,
            headers=world.actors["caregiver_a"].headers,
        )
        assert done.status_code == 201, done.text
        visits = [world.ids["booking"], world.ids["visit"]]
        for booking_id in [*visits, *(v["id"] for v in series.json()["visits"])]:
            await client.post(
                f"/v1/bookings/{booking_id}/status",
                json={"status": "cancelled_by_family"},
                headers=family.headers,
            )
        owner_response = await client.delete(url, headers=family.headers)
    else:
        owner_response = await client.request(
            method, url, json=payload, headers=world.actors[owner].headers
        )
    assert owner_response.status_code < 300, owner_response.text


async def test_lists_are_scoped(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> None:
    world = await build_world(client, make_actor, make_agency, recipient_body)
    a = world.actors

    async def ids(path: str, who: str) -> set[str]:
        response = await client.get(path, headers=a[who].headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("/v1/recipients", "family_a") == {world.ids["recipient"]}
    assert await ids("/v1/recipients", "family_b") == set()
    assert await ids("/v1/recipients", "viewer") == {world.ids["recipient"]}
    assert await ids("/v1/recipients", "invitee") == set()
    assert (await client.get("/v1/recipients", headers=a["caregiver_a"].headers)).status_code == 403
    series = await client.get(
        f"/v1/booking-series/{world.ids['series']}", headers=a["family_a"].headers
    )
    visits = {
        world.ids["booking"],
        world.ids["visit"],
        world.ids["visited"],
        *(v["id"] for v in series.json()["visits"]),
    }
    assert len(visits) == 5
    assert await ids("/v1/bookings", "family_a") == visits
    assert await ids("/v1/bookings", "caregiver_a") == visits
    assert await ids("/v1/bookings", "viewer") == visits
    assert await ids("/v1/bookings", "invitee") == set()
    assert await ids("/v1/bookings", "caregiver_b") == set()
    assert await ids("/v1/bookings", "agency_admin_b") == set()
    assert await ids("/v1/caregivers", "agency_admin_b") == {str(a["caregiver_b"].caregiver_id)}
    assert await ids("/v1/caregivers", "caregiver_a") == {str(a["caregiver_a"].caregiver_id)}
    assert len(await ids("/v1/caregivers", "admin")) == 2
    assert await ids("/v1/care-requests", "family_a") == {world.ids["care_request"]}
    assert await ids("/v1/care-requests", "family_b") == set()
    assert await ids("/v1/care-requests", "viewer") == {world.ids["care_request"]}
    assert await ids("/v1/care-requests", "invitee") == set()
    assert await ids("/v1/care-requests", "admin") == {world.ids["care_request"]}
    for role in ("caregiver_a", "agency_admin_b"):
        listed = await client.get("/v1/care-requests", headers=a[role].headers)
        assert listed.status_code == 403
    assert len(await ids("/v1/bookings", "admin")) == 5
    # Visit exceptions: the reviewing agency's (none here: caregiver_a is agency a's) and all.
    assert await ids("/v1/visit-exceptions", "agency_admin_b") == set()
    assert world.ids["exception"] in await ids("/v1/visit-exceptions", "admin")
    refused = await client.get("/v1/visit-exceptions", headers=a["family_a"].headers)
    assert refused.status_code == 403
