"""Outbox → dispatcher → feed and SSE: replay with Last-Event-ID after a reconnect, delivery
between two app instances over PostgreSQL LISTEN/NOTIFY, and stream tickets: a ticket opens one
stream, once, within its lifetime, for the user it was issued to; no access token appears in the
access log line of an SSE request (neither the request line a gateway would log, which uvicorn's
access log shows here, nor our own request log)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from homecare_backend.notifications.dispatcher import Dispatcher
from homecare_backend.notifications.outbox import enqueue_many
from homecare_backend.users.models import Role
from homecare_testing.sse import sse_events

MakeActor = Callable[..., Awaitable[Any]]


async def create_booking(
    http: httpx.AsyncClient, family: Any, caregiver: Any, recipient_body: dict[str, Any]
) -> str:
    recipient = await http.post("/v1/recipients", json=recipient_body, headers=family.headers)
    booking = await http.post(
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


async def test_dispatcher_fills_the_feed_and_skips_system_events(
    client: httpx.AsyncClient, make_actor: MakeActor, engine: AsyncEngine, migrated_url: str
) -> None:
    family = await make_actor(Role.FAMILY)
    async with engine.begin() as conn:
        session = AsyncSession(bind=conn)
        await enqueue_many(
            session,
            [
                (family.user_id, "booking.status_changed", {"status": "confirmed"}),
                (None, "caregiver.changed", {"caregiver_id": "x"}),
                (family.user_id, "big.event", {"blob": "가" * 4000}),
            ],
        )
        await session.flush()
    dispatcher = Dispatcher(engine, migrated_url)
    assert await dispatcher.drain() == 3
    assert await dispatcher.drain() == 0  # nothing is delivered twice
    feed = await client.get("/v1/notifications", headers=family.headers)
    kinds = [item["kind"] for item in feed.json()["items"]]
    assert kinds == ["big.event", "booking.status_changed"]  # newest first, no system event
    first = feed.json()["items"][1]["id"]
    intruder = await make_actor(Role.FAMILY)
    foreign = await client.post(f"/v1/notifications/{first}/read", headers=intruder.headers)
    assert foreign.status_code == 404  # object-level check: not your notification
    assert (await client.get("/v1/notifications", headers=intruder.headers)).json()["items"] == []
    read = await client.post(f"/v1/notifications/{first}/read", headers=family.headers)
    assert read.json()["read_at"] is not None
    async with engine.connect() as conn:
        pending = await conn.scalar(text("SELECT count(*) FROM outbox WHERE dispatched_at IS NULL"))
    assert pending == 0


async def test_sse_replays_missed_events_after_reconnect(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
) -> None:
    server = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        async with http.stream("GET", "/v1/events", headers=family.headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            booking_id = await create_booking(http, family, caregiver, recipient_body)
            (live,) = await sse_events(stream.aiter_lines(), 1)
        assert live["event"] == "booking.status_changed"
        assert live["data"]["payload"]["booking_id"] == booking_id
        assert live["data"]["payload"]["status"] == "offered"

        # Disconnected: two more changes happen (accepted; started by the check-in, which
        # also tells the family the caregiver arrived).
        status_url = f"/v1/bookings/{booking_id}/status"
        moved = await http.post(status_url, json={"status": "confirmed"}, headers=caregiver.headers)
        assert moved.status_code == 200
        fix = {
            "latitude": recipient_body["latitude"],
            "longitude": recipient_body["longitude"],
            "accuracy_m": 10,
            "device_time": datetime.now(UTC).isoformat(),
        }
        checked_in = await http.post(
            f"/v1/bookings/{booking_id}/check-in", json=fix, headers=caregiver.headers
        )
        assert checked_in.status_code == 201, checked_in.text
        await asyncio.sleep(0.5)

        headers = {**family.headers, "Last-Event-ID": live["id"]}
        async with http.stream("GET", "/v1/events", headers=headers) as stream:
            lines = stream.aiter_lines()
            missed = await sse_events(lines, 4)
            await http.post(
                f"/v1/bookings/{booking_id}/check-out", json=fix, headers=caregiver.headers
            )
            after, _ = await sse_events(lines, 2)
    status_events = [e for e in missed if e["event"] == "booking.status_changed"]
    assert [e["data"]["payload"]["status"] for e in status_events] == ["confirmed", "in_progress"]
    assert [e["event"] for e in missed[2:]] == ["caregiver_arrived", "visit_started"]
    assert int(missed[0]["id"]) > int(live["id"])
    assert after["data"]["payload"]["status"] == "completed"
    assert int(after["id"]) > int(missed[-1]["id"])


async def test_events_cross_instances_via_listen_notify(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
) -> None:
    writer = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    reader = await live_servers(settings_for(migrated_url, inline_dispatcher=False))
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    async with (
        httpx.AsyncClient(base_url=writer.url, timeout=10) as on_writer,
        httpx.AsyncClient(base_url=reader.url, timeout=10) as on_reader,
        on_reader.stream("GET", "/v1/events", headers=caregiver.headers) as stream,
    ):
        assert reader.app.state.hub.subscriber_count == 1
        booking_id = await create_booking(on_writer, family, caregiver, recipient_body)
        (event,) = await sse_events(stream.aiter_lines(), 1)
    assert event["data"]["payload"]["booking_id"] == booking_id
    assert event["data"]["user_id"] == str(caregiver.user_id)
    assert reader.app.state.hub.delivered == 1
    assert writer.app.state.hub.delivered == 0  # nobody subscribed there


async def test_lost_listener_ends_streams_and_replay_fills_the_gap(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
) -> None:
    server = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        async with http.stream("GET", "/v1/events", headers=family.headers) as stream:
            async with engine.begin() as conn:  # e.g. a database failover drops the LISTEN session
                killed = await conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN %homecare_events%'"
                    )
                )
            assert killed == 1
            leftover = [line async for line in stream.aiter_lines()]  # the server ends it
        assert all(not line.startswith("data") for line in leftover)
        booking_id = await create_booking(http, family, caregiver, recipient_body)
        await asyncio.sleep(0.5)
        headers = {**family.headers, "Last-Event-ID": "0"}
        async with http.stream("GET", "/v1/events", headers=headers) as stream:
            (event,) = await sse_events(stream.aiter_lines(), 1)
    assert event["data"]["payload"]["booking_id"] == booking_id
    for _ in range(50):  # the server notices the closed connection and unsubscribes
        if server.app.state.hub.subscriber_count == 0:
            break
        await asyncio.sleep(0.1)
    assert server.app.state.hub.subscriber_count == 0


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log() -> Any:
    """uvicorn's access log (the request line, query string included), captured once `enable()`
    is called (after the app is built: its logging setup disables that logger)."""
    logger = logging.getLogger("uvicorn.access")
    handler = Lines()
    was_disabled, level = logger.disabled, logger.level

    def enable() -> None:
        logger.disabled = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)

    handler.enable = enable  # type: ignore[attr-defined]
    yield handler
    logger.removeHandler(handler)
    logger.disabled, logger.level = was_disabled, level


async def ticket_for(http: httpx.AsyncClient, actor: Any) -> str:
    answer = await http.post("/v1/events/tickets", headers=actor.headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["expires_in"] == 60
    ticket: str = body["ticket"]
    return ticket


async def test_ticket_opens_one_stream_once_and_replay_works(
    migrated_url: str,
    settings_for: Callable[..., Any],
    live_servers: Callable[..., Awaitable[Any]],
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    engine: AsyncEngine,
    access_log: Lines,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = await live_servers(settings_for(migrated_url, inline_dispatcher=True))
    access_log.enable()  # type: ignore[attr-defined]
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        ticket = await ticket_for(http, family)
        async with http.stream("GET", f"/v1/events?ticket={ticket}") as stream:
            assert stream.status_code == 200
            booking_id = await create_booking(http, family, caregiver, recipient_body)
            (live,) = await sse_events(stream.aiter_lines(), 1)
        assert live["data"]["payload"]["booking_id"] == booking_id
        assert live["data"]["user_id"] == str(family.user_id)  # bound to the family

        # Used: refused, with a problem that says so.
        again = await http.get(f"/v1/events?ticket={ticket}")
        assert again.status_code == 401
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["code"] == "invalid_ticket"

        # Missed events replay on a fresh ticket with Last-Event-ID.
        moved = await http.post(
            f"/v1/bookings/{booking_id}/status",
            json={"status": "confirmed"},
            headers=caregiver.headers,
        )
        assert moved.status_code == 200
        await asyncio.sleep(0.5)
        fresh = await ticket_for(http, family)
        async with http.stream(
            "GET", f"/v1/events?ticket={fresh}", headers={"Last-Event-ID": live["id"]}
        ) as stream:
            (missed,) = await sse_events(stream.aiter_lines(), 1)
        assert missed["data"]["payload"]["status"] == "confirmed"
        assert int(missed["id"]) > int(live["id"])

        # Expired: refused (the row is aged in the database rather than waiting a minute).
        stale = await ticket_for(http, family)
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE stream_tickets SET expires_at = now() - interval '1 second'")
            )
        expired = await http.get(f"/v1/events?ticket={stale}")
        assert expired.status_code == 401
        assert expired.json()["code"] == "invalid_ticket"

        # An access token in the URL is not a way in any more.
        in_url = await http.get(f"/v1/events?access_token={family.token}")
        assert in_url.status_code == 422
        assert in_url.json()["code"] == "unknown_query_parameter"
        unknown = await http.get("/v1/events?ticket=not-a-ticket")
        assert unknown.status_code == 401
    # A password change between issuing and using voids the ticket (token_version bound).
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        bound = await ticket_for(http, caregiver)
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE users SET token_version = token_version + 1 WHERE id = :id"),
                {"id": caregiver.user_id},
            )
        revoked = await http.get(f"/v1/events?ticket={bound}")
        assert revoked.status_code == 401

    sse_lines = [line for line in access_log.lines if "/v1/events?" in line]
    assert any(ticket in line for line in sse_lines), access_log.lines  # the log is the full URL
    tokens = (family.token, caregiver.token)
    # (Leaving out the one request above that put a token in the URL on purpose, refused.)
    honest = [line for line in access_log.lines if "access_token=" not in line]
    assert len(honest) == len(access_log.lines) - 1
    assert not [line for line in honest if any(t in line for t in tokens)]
    ours = [line for line in capsys.readouterr().out.splitlines() if '"/v1/events"' in line]
    assert ours, "our request log has the SSE requests"
    assert not [line for line in ours if any(t in line for t in tokens)]
