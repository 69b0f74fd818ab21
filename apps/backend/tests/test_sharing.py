"""Family sharing on the real database: invitations by e-mail, owner/viewer rights, members."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from homecare_backend.models import RecipientMember, User
from homecare_backend.notifications.models import OutboxEvent
from homecare_backend.recipients import service as recipients_service
from homecare_backend.users.models import Role
from homecare_testing import factories

MakeActor = Callable[..., Awaitable[Any]]


async def share(
    client: httpx.AsyncClient, owner: Any, recipient_id: str, member: Any, role: str = "viewer"
) -> dict[str, Any]:
    invited = await client.post(
        f"/v1/recipients/{recipient_id}/invitations",
        json={"email": member.email.upper(), "role": role},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    mine = await client.get("/v1/invitations", headers=member.headers)
    assert [i["id"] for i in mine.json()] == [invited.json()["id"]]
    accepted = await client.post(
        f"/v1/invitations/{invited.json()['id']}/accept", headers=member.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    body: dict[str, Any] = accepted.json()
    return body


def booking_body(recipient_id: str, days: int = 3) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    return {"recipient_id": recipient_id, "start_at": start.isoformat(), "duration_minutes": 120}


async def test_viewer_sees_but_does_not_manage_and_owner_member_manages(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    owner, viewer, co_owner = [await make_actor(Role.FAMILY) for _ in range(3)]
    created = await client.post("/v1/recipients", json=recipient_body, headers=owner.headers)
    rid = created.json()["id"]
    booked = await client.post("/v1/bookings", json=booking_body(rid), headers=owner.headers)
    assert booked.status_code == 201
    bid = booked.json()["id"]
    # Before accepting, the invitee sees nothing.
    assert (await client.get(f"/v1/recipients/{rid}", headers=viewer.headers)).status_code == 404
    await share(client, owner, rid, viewer)
    await share(client, owner, rid, co_owner, role="owner")

    assert (await client.get(f"/v1/recipients/{rid}", headers=viewer.headers)).status_code == 200
    assert (await client.get(f"/v1/bookings/{bid}", headers=viewer.headers)).status_code == 200
    refused = [
        await client.put(f"/v1/recipients/{rid}", json=recipient_body, headers=viewer.headers),
        await client.post("/v1/bookings", json=booking_body(rid, 4), headers=viewer.headers),
        await client.post(f"/v1/bookings/{bid}/payment", headers=viewer.headers),
        await client.get(f"/v1/bookings/{bid}/cancellation", headers=viewer.headers),
        await client.post(
            f"/v1/bookings/{bid}/status",
            json={"status": "cancelled_by_family"},
            headers=viewer.headers,
        ),
        await client.post(
            f"/v1/recipients/{rid}/invitations",
            json={"email": "someone@test.homecare.kr"},
            headers=viewer.headers,
        ),
        await client.delete(f"/v1/recipients/{rid}", headers=viewer.headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert {r.json()["code"] for r in refused[:-1]} <= {"not_owner", "not_your_move"}
    # An `owner` member books and pays like the first owner.
    second = await client.post("/v1/bookings", json=booking_body(rid, 5), headers=co_owner.headers)
    assert second.status_code == 201, second.text
    pay = await client.post(f"/v1/bookings/{second.json()['id']}/payment", headers=co_owner.headers)
    assert pay.status_code == 201, pay.text
    assert (
        await client.get(f"/v1/payments/{pay.json()['id']}", headers=viewer.headers)
    ).status_code == 404

    members = await client.get(f"/v1/recipients/{rid}/members", headers=viewer.headers)
    assert [(m["user_id"], m["role"], m["primary"]) for m in members.json()] == [
        (str(owner.user_id), "owner", True),
        (str(viewer.user_id), "viewer", False),
        (str(co_owner.user_id), "owner", False),
    ]
    async with AsyncSession(engine) as session:
        ids = await recipients_service.member_user_ids(session, uuid.UUID(rid))
        assert ids == [owner.user_id, viewer.user_id, co_owner.user_id]
        # The co-owner's booking was announced to every member.
        told = (
            await session.scalars(
                select(OutboxEvent.user_id).where(
                    OutboxEvent.topic == "booking.status_changed",
                    OutboxEvent.payload["booking_id"].astext == second.json()["id"],
                )
            )
        ).all()
    assert set(told) == {owner.user_id, viewer.user_id, co_owner.user_id}


async def test_bad_invitations_are_refused_with_stable_codes(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    owner, viewer, other = [await make_actor(Role.FAMILY) for _ in range(3)]
    caregiver = await make_actor(Role.CAREGIVER)
    rid = (await client.post("/v1/recipients", json=recipient_body, headers=owner.headers)).json()[
        "id"
    ]
    await share(client, owner, rid, viewer)
    url = f"/v1/recipients/{rid}/invitations"

    async def invite(email: str) -> httpx.Response:
        return await client.post(url, json={"email": email}, headers=owner.headers)

    for email, code in [
        (viewer.email, "already_sharing"),
        (owner.email, "already_sharing"),
        (caregiver.email, "not_a_family_account"),
    ]:
        refused = await invite(email)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == code
    first = await invite(other.email)
    assert first.status_code == 201
    again = await invite(other.email.upper())
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_pending"
    pending = await client.get(url, headers=owner.headers)
    assert [i["id"] for i in pending.json()] == [first.json()["id"]]
    declined = await client.post(
        f"/v1/invitations/{first.json()['id']}/decline", headers=other.headers
    )
    assert declined.json()["status"] == "declined"
    twice = await client.post(f"/v1/invitations/{first.json()['id']}/accept", headers=other.headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "invitation_not_pending"
    assert (await client.get(f"/v1/recipients/{rid}", headers=other.headers)).status_code == 404
    # Nothing half-written: still exactly one membership.
    async with engine.connect() as conn:
        rows = (await conn.execute(select(RecipientMember.user_id))).scalars().all()
    assert rows == [viewer.user_id]


async def test_invitation_waits_for_an_account_and_members_leave(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    owner, viewer = await make_actor(Role.FAMILY), await make_actor(Role.FAMILY)
    rid = (await client.post("/v1/recipients", json=recipient_body, headers=owner.headers)).json()[
        "id"
    ]
    invited = await client.post(
        f"/v1/recipients/{rid}/invitations",
        json={"email": "Later.Signup@test.homecare.kr"},
        headers=owner.headers,
    )
    assert invited.status_code == 201
    row = factories.user_row(Role.FAMILY, email="later.signup@test.homecare.kr")
    async with engine.begin() as conn:
        await conn.execute(insert(User).values(row))
    late = {"Authorization": f"Bearer {factories.access_token(row['id'], Role.FAMILY)}"}
    mine = await client.get("/v1/invitations", headers=late)
    assert [i["id"] for i in mine.json()] == [invited.json()["id"]]
    await client.post(f"/v1/invitations/{invited.json()['id']}/accept", headers=late)
    assert (await client.get(f"/v1/recipients/{rid}", headers=late)).status_code == 200

    await share(client, owner, rid, viewer)
    members_url = f"/v1/recipients/{rid}/members"
    # A viewer cannot remove others, but may leave; the first owner always stays.
    other = await client.delete(f"{members_url}/{row['id']}", headers=viewer.headers)
    assert other.status_code == 403
    assert (
        await client.delete(f"{members_url}/{viewer.user_id}", headers=viewer.headers)
    ).status_code == 204
    assert (await client.get(f"/v1/recipients/{rid}", headers=viewer.headers)).status_code == 404
    primary = await client.delete(f"{members_url}/{owner.user_id}", headers=owner.headers)
    assert primary.status_code == 409
    assert primary.json()["code"] == "primary_owner_stays"
    gone = await client.delete(f"{members_url}/{viewer.user_id}", headers=owner.headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "member_not_found"
    assert (
        await client.delete(f"{members_url}/{row['id']}", headers=owner.headers)
    ).status_code == 204
    assert (await client.get(f"/v1/recipients/{rid}", headers=late)).status_code == 404
