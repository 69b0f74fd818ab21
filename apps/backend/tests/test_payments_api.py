"""Payments through the API, on the real database, against the local Toss contract server:
one charge under concurrent retries, reconciliation after a timeout, refunds by the
cancellation policy, the webhook, and bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from homecare_backend.billing import tables
from homecare_backend.billing.calculator import is_public_holiday
from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.payments import service as payments_service
from homecare_backend.users.models import Role
from homecare_devtools.toss_contract import Fault, TossContractServer

KST = ZoneInfo("Asia/Seoul")
SECRET = "test_sk_contract_payments_0123456789"
MakeActor = Callable[..., Awaitable[Any]]


@dataclass
class World:
    http: httpx.AsyncClient
    toss: TossContractServer
    app: Any


@pytest.fixture
def toss_server() -> TossContractServer:
    return TossContractServer(SECRET, hang_s=0.6)


@pytest.fixture
async def world(
    migrated_url: str,
    toss_server: TossContractServer,
    serve_asgi: Callable[[Any], Awaitable[str]],
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    url = await serve_asgi(toss_server.app)
    settings = Settings(
        env="test",
        database_url=migrated_url,
        payments_provider="toss",
        toss_base_url=url,
        toss_secret_key=SecretStr(SECRET),
        **{"toss_timeout_s": 2.0, "toss_attempts": 3, **overrides},
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
        yield World(http, toss_server, app)
    await app.state.payment_provider.aclose()
    await app.state.hub.close()
    await app.state.engine.dispose()


def visit_start(min_hours_ahead: float) -> datetime:
    """10:00 Seoul on the first ordinary weekday at least this far ahead."""
    moment = datetime.now(KST) + timedelta(hours=min_hours_ahead)
    day = moment.date() + timedelta(days=1)
    while day.weekday() >= 5 or is_public_holiday(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=KST)


async def booked(
    world: World,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    *,
    start: datetime | None = None,
) -> tuple[Any, Any, dict[str, Any]]:
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    recipient = await world.http.post("/v1/recipients", json=recipient_body, headers=family.headers)
    booking = await world.http.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient.json()["id"],
            "caregiver_id": str(caregiver.caregiver_id),
            "start_at": (start or visit_start(72)).isoformat(),
            "duration_minutes": 120,
        },
        headers=family.headers,
    )
    assert booking.status_code == 201, booking.text
    return family, caregiver, booking.json()


async def payment_for(world: World, family: Any, booking: dict[str, Any]) -> dict[str, Any]:
    split = await world.http.get(
        f"/v1/billing/bookings/{booking['id']}/split", headers=family.headers
    )
    assert split.status_code == 200, split.text
    created = await world.http.post(f"/v1/bookings/{booking['id']}/payment", headers=family.headers)
    assert created.status_code == 201, created.text
    payment: dict[str, Any] = created.json()
    # The server's amount is the family's share of the split, never a client's figure.
    assert payment["amount_krw"] == split.json()["booking"]["family_krw"]
    again = await world.http.post(f"/v1/bookings/{booking['id']}/payment", headers=family.headers)
    assert (again.status_code, again.json()["id"]) == (200, payment["id"])
    return payment


def approve(world: World, payment: dict[str, Any], key: str) -> dict[str, Any]:
    """What the provider's payment window does: the family approves, we get a paymentKey."""
    world.toss.authorize(key, payment["order_id"], payment["amount_krw"])
    return {"payment_key": key, "amount_krw": payment["amount_krw"]}


async def pin(world: World, booking: dict[str, Any], start: datetime, status: str = "") -> None:
    """Move a booking made through the API to a fixed date (the API only books the next year,
    so an amount asserted on "now + N days" would change with the year and the weekday)."""
    async with world.app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE bookings SET end_at = CAST(:start AS timestamptz) + (end_at - start_at), "
                "start_at = :start, "
                "status = COALESCE(NULLIF(CAST(:status AS text), ''), status) WHERE id = :id"
            ),
            {"start": start, "status": status, "id": booking["id"]},
        )


async def split_of(world: World, family: Any, booking: dict[str, Any]) -> dict[str, Any]:
    got = await world.http.get(
        f"/v1/billing/bookings/{booking['id']}/split", headers=family.headers
    )
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_split_of_a_weekday_grade_3_visit(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    await pin(world, booking, datetime(2026, 3, 10, 10, tzinfo=KST))  # an ordinary Tuesday
    split = await split_of(world, family, booking)
    mine = split["booking"]
    assert mine["nhis_krw"] + mine["copay_krw"] + mine["above_limit_krw"] == mine["amount_krw"]
    assert split["month"]["care_grade"] == "3"
    assert split["month"]["copay_percent"] == 15
    # 2026 table, 120 minutes on an ordinary weekday: 45,430; 15% = 6,814.5 → 6,814.
    assert (mine["amount_krw"], mine["copay_krw"], mine["nhis_krw"]) == (45430, 6814, 38616)
    assert "home_care_fee" in split["month"]["unverified_figures"]
    assert split["provisional"] is False
    assert split["month"]["pricing"]["table_year"] == 2026
    assert split["month"]["pricing"]["reason"] is None


# Two hours on Tuesday 2027-03-09 and Tuesday 2031-05-13, 10:00 Seoul: no table for either year.
MAR_2027 = datetime(2027, 3, 9, 10, tzinfo=KST)
MAY_2031 = datetime(2031, 5, 13, 10, tzinfo=KST)


@pytest.mark.parametrize("start", [MAR_2027, MAY_2031], ids=["2027-03", "2031-05"])
async def test_a_year_without_a_table_is_priced_provisionally_and_says_so(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any], start: datetime
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    await pin(world, booking, start)
    split = await split_of(world, family, booking)
    # The latest table in force (2026) prices it: the same 45,430 / 6,814 as in 2026.
    mine = split["booking"]
    assert (mine["amount_krw"], mine["copay_krw"], mine["nhis_krw"]) == (45430, 6814, 38616)
    pricing = split["month"]["pricing"]
    assert split["provisional"] is True
    assert (pricing["provisional"], pricing["table_year"]) == (True, 2026)
    assert pricing["effective_to"] == "2026-12-31"
    assert "제2025-247호" in pricing["notice"]
    assert f"No 장기요양 table for {start.year}" in pricing["reason"]
    month = await world.http.get(
        f"/v1/billing/recipients/{booking['recipient_id']}/months/{start:%Y-%m}",
        headers=family.headers,
    )
    assert month.json()["pricing"]["provisional"] is True
    # The payment keeps the agreed amount and records how it was priced.
    payment = await payment_for(world, family, booking)
    assert (payment["amount_krw"], payment["table_year"]) == (6814, 2026)
    assert payment["priced_provisionally"] is True


async def test_a_date_before_the_first_table_has_no_price(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    await pin(world, booking, datetime(2019, 6, 4, 10, tzinfo=KST))
    got = await world.http.get(
        f"/v1/billing/bookings/{booking['id']}/split", headers=family.headers
    )
    assert (got.status_code, got.json()["code"]) == (409, "no_fee_table")
    made = await world.http.post(f"/v1/bookings/{booking['id']}/payment", headers=family.headers)
    assert (made.status_code, made.json()["code"]) == (409, "no_fee_table")


def with_2027_table(monkeypatch: pytest.MonkeyPatch, fee_120: int) -> None:
    """What the operator's step adds once the 2027 notice is out: a ltc-2027.json. The figures
    here are a TEST FIXTURE (the 2026 table with another 120-minute fee), not 2027's."""
    current = tables.all_tables()
    base = next(t for t in current if t.year == 2026)
    fees = base.home_care_fee.model_copy(
        update={"by_minutes": {**base.home_care_fee.by_minutes, 120: fee_120}}
    )
    fake = base.model_copy(
        update={
            "year": 2027,
            "effective_from": date(2027, 1, 1),
            "effective_to": date(2027, 12, 31),
            "source": "test fixture, not a notice",
            "home_care_fee": fees,
        }
    )
    monkeypatch.setattr(tables, "all_tables", lambda: (*current, fake))


@pytest.mark.parametrize(
    ("fee_120", "refund"),
    [
        (40000, 814),  # lower: 15% of 40,000 = 6,000; 6,814 paid → 814 back
        (50000, 0),  # higher: 7,500 by the new table, but the family pays what it agreed to
    ],
    ids=["lower-refunded", "higher-not-charged"],
)
async def test_settlement_waits_for_the_table_then_refunds_a_lower_share(
    world: World,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    fee_120: int,
    refund: int,
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    await pin(world, booking, MAR_2027)
    paid = await pay(world, family, booking, f"pk_provisional_{fee_120}")
    assert (paid["amount_krw"], paid["priced_provisionally"]) == (6814, True)
    await pin(world, booking, MAR_2027, status="completed")
    admin = await make_actor(Role.PLATFORM_ADMIN)
    url = f"/v1/bookings/{booking['id']}/status"
    early = await world.http.post(url, json={"status": "settled"}, headers=admin.headers)
    assert early.status_code == 409, early.text
    assert (early.json()["code"], early.json()["table_year"]) == ("fee_table_pending", 2026)
    state = await world.http.get(f"/v1/bookings/{booking['id']}", headers=admin.headers)
    assert state.json()["status"] == "completed"  # nothing half-written

    with_2027_table(monkeypatch, fee_120)
    settled = await world.http.post(url, json={"status": "settled"}, headers=admin.headers)
    assert (settled.status_code, settled.json()["status"]) == (200, "settled"), settled.text
    after = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (after["amount_krw"], after["refunded_krw"], after["refund_due_krw"]) == (
        6814,
        refund,
        0,
    )
    expected = "PARTIAL_CANCELED" if refund else "DONE"
    assert world.toss.status(f"pk_provisional_{fee_120}") == expected


async def test_50_concurrent_retries_with_one_key_charge_once(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_concurrent")
    world.toss.inject("confirm", Fault.TIMEOUT_AFTER)  # the charging call takes 0.6 s
    headers = {**family.headers, "Idempotency-Key": "confirm-once"}
    url = f"/v1/payments/{payment['id']}/confirm"
    responses = await asyncio.gather(
        *(world.http.post(url, json=body, headers=headers) for _ in range(50))
    )
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, [r.text for r in responses if r.status_code not in (200, 409)]
    assert codes.count(200) >= 1
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["code"] == "idempotency_request_in_progress"
    assert world.toss.charges["pk_concurrent"] == 1
    replay = await world.http.post(url, json=body, headers=headers)
    assert (replay.status_code, replay.json()["status"]) == (200, "paid")
    assert replay.json() == next(r.json() for r in responses if r.status_code == 200)
    assert world.toss.charges["pk_concurrent"] == 1


async def test_concurrent_confirms_with_different_keys_charge_once(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_many_keys")
    url = f"/v1/payments/{payment['id']}/confirm"
    responses = await asyncio.gather(
        *(
            world.http.post(url, json=body, headers={**family.headers, "Idempotency-Key": f"k{i}"})
            for i in range(20)
        )
    )
    assert world.toss.charges["pk_many_keys"] == 1
    for response in responses:
        assert response.status_code in (200, 409), response.text
        if response.status_code == 409:
            assert response.json()["code"] in ("payment_already_confirmed", "payment_in_progress")
    final = await world.http.get(f"/v1/payments/{payment['id']}", headers=family.headers)
    assert final.json()["status"] == "paid"


@pytest.mark.parametrize("world", [{"toss_timeout_s": 0.3, "toss_attempts": 1}], indirect=True)
async def test_timeout_after_charge_reconciles_to_one_charge(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_timeout")
    world.toss.inject("confirm", Fault.TIMEOUT_AFTER)  # charges, then no answer in time
    headers = {**family.headers, "Idempotency-Key": "confirm-timeout"}
    url = f"/v1/payments/{payment['id']}/confirm"
    unknown = await world.http.post(url, json=body, headers=headers)
    assert unknown.status_code == 503, unknown.text
    assert unknown.json()["code"] == "payment_outcome_unknown"
    assert unknown.headers["retry-after"] == "5"
    assert world.toss.charges["pk_timeout"] == 1
    state = await world.http.get(f"/v1/payments/{payment['id']}", headers=family.headers)
    assert state.json()["status"] == "confirming"
    # The client retries with the same key: we ask the provider first and find the charge.
    retried = await world.http.post(url, json=body, headers=headers)
    assert (retried.status_code, retried.json()["status"]) == (200, "paid")
    assert world.toss.charges["pk_timeout"] == 1


@pytest.mark.parametrize("world", [{"toss_timeout_s": 0.3, "toss_attempts": 1}], indirect=True)
async def test_worker_reconciles_a_confirm_nobody_retried(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_worker")
    world.toss.inject("confirm", Fault.TIMEOUT_AFTER)
    url = f"/v1/payments/{payment['id']}/confirm"
    assert (await world.http.post(url, json=body, headers=family.headers)).status_code == 503
    await asyncio.sleep(0.7)  # the contract server finishes its slow answer
    settled = await payments_service.reconcile_stale(
        world.app.state.sessions, world.app.state.payment_provider, older_than=timedelta(0)
    )
    assert settled == 1
    state = await world.http.get(f"/v1/payments/{payment['id']}", headers=family.headers)
    assert state.json()["status"] == "paid"
    assert world.toss.charges["pk_worker"] == 1


async def test_provider_error_charges_nothing_and_a_retry_succeeds(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_provider_error")
    world.toss.inject("confirm", Fault.PROVIDER_ERROR)
    url = f"/v1/payments/{payment['id']}/confirm"
    failed = await world.http.post(url, json=body, headers=family.headers)
    assert failed.status_code == 503
    assert failed.json()["code"] == "payment_provider_unavailable"
    assert world.toss.charges["pk_provider_error"] == 0
    ok = await world.http.post(url, json=body, headers=family.headers)
    assert (ok.status_code, ok.json()["status"]) == (200, "paid")
    assert world.toss.charges["pk_provider_error"] == 1


async def test_bad_confirms_are_problems_and_charge_nothing(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, "pk_bad")
    url = f"/v1/payments/{payment['id']}/confirm"
    wrong = await world.http.post(
        url, json={**body, "amount_krw": body["amount_krw"] - 1}, headers=family.headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "amount_mismatch")
    assert wrong.json()["expected_amount_krw"] == payment["amount_krw"]
    stranger = await make_actor(Role.FAMILY)
    assert (await world.http.post(url, json=body, headers=stranger.headers)).status_code == 404
    other = await world.http.post(f"/v1/bookings/{booking['id']}/payment", headers=stranger.headers)
    assert other.status_code == 404

    headers = {**family.headers, "Idempotency-Key": "k-bad"}
    assert (await world.http.post(url, json=body, headers=headers)).status_code == 200
    reused = await world.http.post(url, json={**body, "payment_key": "pk_other"}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    double = await world.http.post(url, json=body, headers=family.headers)
    assert (double.status_code, double.json()["code"]) == (409, "payment_already_confirmed")
    assert world.toss.charges["pk_bad"] == 1

    # Another payment cannot be confirmed with a payment key that is already used.
    family3, _, booking3 = await booked(world, make_actor, recipient_body)
    payment3 = await payment_for(world, family3, booking3)
    taken = await world.http.post(
        f"/v1/payments/{payment3['id']}/confirm",
        json={"payment_key": "pk_bad", "amount_krw": payment3["amount_krw"]},
        headers=family3.headers,
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "payment_key_used")

    # A payment for a cancelled booking cannot be confirmed.
    family2, _, booking2 = await booked(world, make_actor, recipient_body)
    payment2 = await payment_for(world, family2, booking2)
    body2 = approve(world, payment2, "pk_cancelled")
    cancel = await world.http.post(
        f"/v1/bookings/{booking2['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family2.headers,
    )
    assert cancel.status_code == 200
    refused = await world.http.post(
        f"/v1/payments/{payment2['id']}/confirm", json=body2, headers=family2.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "booking_not_payable")
    assert world.toss.charges["pk_cancelled"] == 0


async def pay(world: World, family: Any, booking: dict[str, Any], key: str) -> dict[str, Any]:
    payment = await payment_for(world, family, booking)
    body = approve(world, payment, key)
    paid = await world.http.post(
        f"/v1/payments/{payment['id']}/confirm", json=body, headers=family.headers
    )
    assert paid.status_code == 200, paid.text
    return dict(paid.json())


async def test_refunds_follow_the_cancellation_policy(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    # More than 24 h ahead: free, full refund.
    family, _, early = await booked(world, make_actor, recipient_body)
    paid = await pay(world, family, early, "pk_early")
    terms = await world.http.get(f"/v1/bookings/{early['id']}/cancellation", headers=family.headers)
    assert terms.json()["free"] is True
    assert terms.json()["refund_krw"] == paid["amount_krw"]
    await world.http.post(
        f"/v1/bookings/{early['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family.headers,
    )
    after = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (after["status"], after["refunded_krw"], after["refund_due_krw"]) == (
        "refunded",
        paid["amount_krw"],
        0,
    )
    assert world.toss.status("pk_early") == "CANCELED"

    # Starting in under 24 h: half is kept (rounded down), the rest refunded.
    soon = datetime.now(UTC) + timedelta(hours=3)
    family, caregiver, late = await booked(world, make_actor, recipient_body, start=soon)
    paid = await pay(world, family, late, "pk_late")
    terms = (
        await world.http.get(f"/v1/bookings/{late['id']}/cancellation", headers=family.headers)
    ).json()
    kept = paid["amount_krw"] * 50 // 100
    assert (terms["free"], terms["charge_krw"]) == (False, kept)
    await world.http.post(
        f"/v1/bookings/{late['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family.headers,
    )
    after = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (after["status"], after["refunded_krw"]) == (
        "partially_refunded",
        paid["amount_krw"] - kept,
    )
    assert world.toss.status("pk_late") == "PARTIAL_CANCELED"

    # The caregiver cancels late: full refund.
    family, caregiver, by_caregiver = await booked(world, make_actor, recipient_body, start=soon)
    paid = await pay(world, family, by_caregiver, "pk_caregiver")
    url = f"/v1/bookings/{by_caregiver['id']}/status"
    await world.http.post(url, json={"status": "confirmed"}, headers=caregiver.headers)
    cancel = await world.http.post(
        url, json={"status": "cancelled_by_caregiver"}, headers=caregiver.headers
    )
    assert cancel.status_code == 200, cancel.text
    after = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (after["status"], after["refunded_krw"]) == ("refunded", paid["amount_krw"])


async def test_refund_that_fails_stays_due_and_the_worker_sends_it(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    paid = await pay(world, family, booking, "pk_refund_later")
    world.toss.inject("cancel", Fault.SERVER_ERROR, times=3)
    cancel = await world.http.post(
        f"/v1/bookings/{booking['id']}/status",
        json={"status": "cancelled_by_family"},
        headers=family.headers,
    )
    assert cancel.status_code == 200  # the cancellation stands
    due = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (due["status"], due["refund_due_krw"]) == ("paid", paid["amount_krw"])
    sent = await payments_service.send_due_refunds(
        world.app.state.sessions, world.app.state.payment_provider
    )
    assert sent == 1
    done = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
    assert (done["status"], done["refund_due_krw"]) == ("refunded", 0)


async def test_webhook_is_verified_by_refetching_and_replay_safe(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    # Forged: claims DONE for a payment the provider never saw → not applied.
    forged = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": "pk_forged", "orderId": payment["order_id"], "status": "DONE"},
    }
    answer = await world.http.post("/v1/payments/webhooks/toss", json=forged)
    assert answer.json() == {"received": False}
    state = await world.http.get(f"/v1/payments/{payment['id']}", headers=family.headers)
    assert state.json()["status"] == "pending"

    body = approve(world, payment, "pk_hook")
    confirmed = await world.http.post(
        f"/v1/payments/{payment['id']}/confirm", json=body, headers=family.headers
    )
    paid = confirmed.json()
    assert paid["status"] == "paid"
    # Refunded at the provider directly (e.g. from its dashboard): the webhook tells us.
    await world.app.state.payment_provider.cancel("pk_hook", "dashboard", None, "dash-1")
    event = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": "pk_hook", "orderId": paid["order_id"], "status": "CANCELED"},
    }
    for _ in range(2):  # a replay changes nothing
        answer = await world.http.post("/v1/payments/webhooks/toss", json=event)
        assert answer.json() == {"received": True}
        state = (await world.http.get(f"/v1/payments/{paid['id']}", headers=family.headers)).json()
        assert (state["status"], state["refunded_krw"]) == ("refunded", paid["amount_krw"])
    unknown = {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "x", "orderId": "y"}}
    assert (await world.http.post("/v1/payments/webhooks/toss", json=unknown)).json() == {
        "received": False
    }


CLIENT_KEY = "test_ck_contractClientKey0123"


@pytest.mark.parametrize("world", [{"toss_client_key": CLIENT_KEY}], indirect=True)
async def test_the_spa_gets_the_provider_and_the_public_client_key(
    world: World, make_actor: MakeActor
) -> None:
    family = await make_actor(Role.FAMILY)
    got = await world.http.get("/v1/payment-config", headers=family.headers)
    assert got.status_code == 200, got.text
    assert got.json() == {
        "provider": "toss",
        "toss_client_key": CLIENT_KEY,
        "customer_key": f"hc-{family.user_id.hex}",
    }
    assert SECRET not in got.text  # the secret key stays on the server
    assert (await world.http.get("/v1/payment-config")).status_code == 401


async def test_manual_provider_hands_out_no_client_key(
    migrated_url: str, make_actor: MakeActor
) -> None:
    settings = Settings(
        env="test", database_url=migrated_url, toss_client_key="test_ck_unusedWithManual1"
    )
    app = create_app(settings)
    family = await make_actor(Role.FAMILY)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            got = await http.get("/v1/payment-config", headers=family.headers)
    finally:
        await app.state.hub.close()
        await app.state.engine.dispose()
    assert got.status_code == 200, got.text
    assert (got.json()["provider"], got.json()["toss_client_key"]) == ("manual", None)


async def test_the_success_redirect_confirms_by_order_once(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    """What the SPA's success page sends: Toss's paymentKey, orderId and amount, with an
    Idempotency-Key made of them (a reload of the page sends the same request again)."""
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    world.toss.authorize("pk_by_order", payment["order_id"], payment["amount_krw"])
    url = f"/v1/payments/by-order/{payment['order_id']}/confirm"
    body = {"payment_key": "pk_by_order", "amount_krw": payment["amount_krw"]}
    headers = {**family.headers, "Idempotency-Key": "toss:pk_by_order"}
    first = await world.http.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["id"], first.json()["status"]) == (payment["id"], "paid")
    reload = await world.http.post(url, json=body, headers=headers)
    assert (reload.status_code, reload.json()) == (200, first.json())
    fresh_key = {**family.headers, "Idempotency-Key": "toss:pk_by_order:again"}
    again = await world.http.post(url, json=body, headers=fresh_key)
    assert (again.status_code, again.json()["code"]) == (409, "payment_already_confirmed")
    assert world.toss.charges["pk_by_order"] == 1


async def test_a_tampered_or_foreign_order_is_refused_and_charges_nothing(
    world: World, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> None:
    family, _, booking = await booked(world, make_actor, recipient_body)
    payment = await payment_for(world, family, booking)
    world.toss.authorize("pk_tampered", payment["order_id"], payment["amount_krw"])
    url = f"/v1/payments/by-order/{payment['order_id']}/confirm"
    body = {"payment_key": "pk_tampered", "amount_krw": payment["amount_krw"]}
    tampered = await world.http.post(url, json={**body, "amount_krw": 100}, headers=family.headers)
    assert (tampered.status_code, tampered.json()["code"]) == (409, "amount_mismatch")
    assert tampered.headers["content-type"] == "application/problem+json"
    assert tampered.json()["expected_amount_krw"] == payment["amount_krw"]
    stranger = await make_actor(Role.FAMILY)
    foreign = await world.http.post(url, json=body, headers=stranger.headers)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "payment_not_found")
    unknown = await world.http.post(
        "/v1/payments/by-order/hc-0000000000000000/confirm", json=body, headers=family.headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "payment_not_found")
    bad = await world.http.post(
        "/v1/payments/by-order/hc%20%3Cx%3E/confirm", json=body, headers=family.headers
    )
    assert bad.status_code == 422
    # Only POST: another method is 405, not a lookup of a payment id.
    assert (await world.http.get(url, headers=family.headers)).status_code == 405
    assert world.toss.charges["pk_tampered"] == 0
    assert world.toss.requests["confirm"] == 0
    # The genuine redirect still goes through afterwards.
    ok = await world.http.post(url, json=body, headers=family.headers)
    assert (ok.status_code, ok.json()["status"]) == (200, "paid")
    assert world.toss.charges["pk_tampered"] == 1
