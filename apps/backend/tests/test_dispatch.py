"""Dispatch: waves, expiry, first accept wins under concurrency, survives a restart, HTTP routes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from homecare_backend.bookings.models import Booking
from homecare_backend.db import create_engine, session_factory
from homecare_backend.dispatch.models import Dispatch, DispatchOffer
from homecare_backend.dispatch.service import DispatchService, DispatchSettings
from homecare_backend.models import CareRecipient, OutboxEvent
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_testing import factories

START = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def ranked(ids: Sequence[uuid.UUID]) -> Any:
    """A fixed ranking standing in for the matching service (its ranking is tested there)."""

    async def source(_session: AsyncSession, _booking: Booking) -> Sequence[uuid.UUID]:
        return list(ids)

    return source


async def open_booking(engine: AsyncEngine, family_id: uuid.UUID) -> uuid.UUID:
    recipient = factories.recipient_row(family_id)
    booking = factories.booking_row(recipient["id"], start_at=START)
    async with engine.begin() as conn:
        await conn.execute(insert(CareRecipient).values(recipient))
        await conn.execute(insert(Booking).values(booking))
    booking_id: uuid.UUID = booking["id"]
    return booking_id


class Steps:
    """Each dispatch step in a session of its own, as each HTTP request (or tick) has one."""

    def __init__(self, engine: AsyncEngine, service: DispatchService) -> None:
        self.sessions = session_factory(engine)
        self.service = service

    async def start(self, booking_id: uuid.UUID, family_id: uuid.UUID) -> Dispatch:
        async with self.sessions() as session:
            family = await session.get(User, family_id)
            assert family is not None
            return await self.service.start(session, booking_id=booking_id, requested_by=family)

    async def tick(self) -> int:
        async with self.sessions() as session:
            return await self.service.tick(session)

    async def accept(self, offer_id: uuid.UUID, caregiver_id: uuid.UUID | None) -> Dispatch:
        assert caregiver_id is not None
        async with self.sessions() as session:
            return await self.service.accept(session, offer_id=offer_id, caregiver_id=caregiver_id)

    async def decline(self, offer_id: uuid.UUID, caregiver_id: uuid.UUID | None) -> Dispatch:
        assert caregiver_id is not None
        async with self.sessions() as session:
            return await self.service.decline(session, offer_id=offer_id, caregiver_id=caregiver_id)


async def offers(engine: AsyncEngine, dispatch_id: uuid.UUID) -> list[DispatchOffer]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(DispatchOffer)
            .where(DispatchOffer.dispatch_id == dispatch_id)
            .order_by(DispatchOffer.wave, DispatchOffer.offered_at)
        )
        return list(rows)


@pytest.fixture
async def world(engine: AsyncEngine, make_actor: Any) -> dict[str, Any]:
    family = await make_actor(Role.FAMILY)
    caregivers = [await make_actor(Role.CAREGIVER) for _ in range(5)]
    booking_id = await open_booking(engine, family.user_id)
    return {"family": family, "caregivers": caregivers, "booking_id": booking_id}


async def test_waves_expire_and_advance_until_exhausted(
    engine: AsyncEngine, world: dict[str, Any]
) -> None:
    ids = [c.caregiver_id for c in world["caregivers"]]
    clock = Clock()
    service = Steps(engine, DispatchService(ranked(ids), DispatchSettings(wave_size=2), clock))
    dispatch = await service.start(world["booking_id"], world["family"].user_id)
    first = await offers(engine, dispatch.id)
    assert [(o.caregiver_id, o.wave, o.status) for o in first] == [
        (ids[0], 1, "pending"),
        (ids[1], 1, "pending"),
    ]
    assert first[0].expires_at == clock.now + timedelta(minutes=10)  # default expiry

    clock.now += timedelta(minutes=9, seconds=59)
    assert await service.tick() == 0  # not expired yet
    clock.now += timedelta(seconds=1)
    assert await service.tick() == 1
    rows = await offers(engine, dispatch.id)
    assert [o.status for o in rows] == ["expired", "expired", "pending", "pending"]
    assert [o.caregiver_id for o in rows[2:]] == ids[2:4]

    with pytest.raises(ProblemError) as late:
        await service.accept(rows[0].id, ids[0])
    assert late.value.code == "offer_expired"

    # declining the whole wave sends the next one at once
    await service.decline(rows[2].id, ids[2])
    assert len(await offers(engine, dispatch.id)) == 4
    await service.decline(rows[3].id, ids[3])
    rows = await offers(engine, dispatch.id)
    assert [(o.caregiver_id, o.wave) for o in rows[4:]] == [(ids[4], 3)]

    clock.now += timedelta(minutes=10)
    await service.tick()
    async with session_factory(engine)() as session:
        final = await session.get(Dispatch, dispatch.id)
        assert final is not None
        assert final.status == "exhausted"
        booking = await session.get(Booking, world["booking_id"])
        assert booking is not None
        assert booking.caregiver_id is None


async def test_first_accept_wins_under_concurrency(
    engine: AsyncEngine, world: dict[str, Any]
) -> None:
    ids = [c.caregiver_id for c in world["caregivers"]]
    service = Steps(engine, DispatchService(ranked(ids), DispatchSettings(wave_size=5)))
    dispatch = await service.start(world["booking_id"], world["family"].user_id)
    wave = await offers(engine, dispatch.id)
    assert len(wave) == 5

    async def accept(offer: DispatchOffer) -> str:
        try:
            await service.accept(offer.id, offer.caregiver_id)
        except ProblemError as exc:
            return exc.code
        return "won"

    outcomes = await asyncio.gather(*(accept(o) for o in wave))
    assert outcomes.count("won") == 1
    assert sorted(o for o in outcomes if o != "won") == ["offer_withdrawn"] * 4
    winner = wave[outcomes.index("won")].caregiver_id

    async with session_factory(engine)() as session:
        booking = await session.get(Booking, world["booking_id"])
        assert booking is not None
        assert (booking.caregiver_id, booking.status) == (winner, "confirmed")
        final = await session.get(Dispatch, dispatch.id)
        assert final is not None
        assert (final.status, final.accepted_caregiver_id) == ("accepted", winner)
        statuses = {o.caregiver_id: o.status for o in await offers(engine, dispatch.id)}
        assert statuses.pop(winner) == "accepted"
        assert set(statuses.values()) == {"withdrawn"}
        withdrawn_notices = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == "offer_withdrawn")
        )
        assert withdrawn_notices == 4


async def test_dispatch_continues_after_a_restart(
    migrated_url: str, engine: AsyncEngine, world: dict[str, Any]
) -> None:
    ids = [c.caregiver_id for c in world["caregivers"]]
    clock = Clock()
    before = Steps(engine, DispatchService(ranked(ids), DispatchSettings(wave_size=1), clock))
    dispatch = await before.start(world["booking_id"], world["family"].user_id)

    # a new process: new engine, new service, nothing shared in memory
    fresh_engine = create_engine(migrated_url)
    try:

        async def unreachable(_s: AsyncSession, _b: Booking) -> Sequence[uuid.UUID]:
            raise AssertionError("a running dispatch must not ask matching again")

        after = Steps(
            fresh_engine, DispatchService(unreachable, DispatchSettings(wave_size=1), clock)
        )
        clock.now += timedelta(minutes=11)
        assert await after.tick() == 1
        rows = await offers(fresh_engine, dispatch.id)
        assert [(o.caregiver_id, o.status) for o in rows] == [
            (ids[0], "expired"),
            (ids[1], "pending"),
        ]
        await after.accept(rows[1].id, ids[1])
    finally:
        await fresh_engine.dispose()


async def test_offer_routes_for_caregivers(
    client: httpx.AsyncClient, engine: AsyncEngine, world: dict[str, Any], make_actor: Any
) -> None:
    caregivers = world["caregivers"]
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: Any = transport.app
    app.state.dispatch = DispatchService(
        ranked([c.caregiver_id for c in caregivers]), DispatchSettings(wave_size=2)
    )
    stranger = await make_actor(Role.FAMILY)
    body = {"booking_id": str(world["booking_id"])}
    assert (
        await client.post("/v1/dispatches", json=body, headers=stranger.headers)
    ).status_code == 404
    started = await client.post("/v1/dispatches", json=body, headers=world["family"].headers)
    assert started.status_code == 201, started.text
    again = await client.post("/v1/dispatches", json=body, headers=world["family"].headers)
    assert again.json()["code"] == "dispatch_exists"

    first, second = caregivers[0], caregivers[1]
    mine = (await client.get("/v1/offers", headers=first.headers)).json()
    assert [o["status"] for o in mine] == ["pending"]
    offer_id = mine[0]["id"]
    # another caregiver cannot answer someone else's offer
    other = await client.post(f"/v1/offers/{offer_id}/accept", headers=second.headers)
    assert other.status_code == 404
    won = await client.post(f"/v1/offers/{offer_id}/accept", headers=first.headers)
    assert won.status_code == 200, won.text
    assert won.json()["accepted_caregiver_id"] == str(first.caregiver_id)
    twice = await client.post(f"/v1/offers/{offer_id}/decline", headers=first.headers)
    assert twice.json()["code"] == "offer_already_answered"
    theirs = (await client.get("/v1/offers", headers=second.headers)).json()
    late = await client.post(f"/v1/offers/{theirs[0]['id']}/accept", headers=second.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "offer_withdrawn"
    family_cannot = await client.get("/v1/offers", headers=world["family"].headers)
    assert family_cannot.status_code == 403
