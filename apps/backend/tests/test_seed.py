"""Demo data: every table `make up` shows is populated, and seeding twice changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.bookings.models import BookingStatus
from homecare_backend.encryption import new_key
from homecare_backend.seed import (
    COMPLETED_WITH_LOG,
    DEMO_PASSWORD,
    STATEMENT_CAREGIVER,
    STATEMENT_RECIPIENT,
    THREAD_BOOKING,
    SeedRefusedError,
    demo_id,
    last_month_of_visits,
    seed,
)


async def test_seed_is_idempotent_and_demo_logins_work(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    first = await seed(engine)
    assert all(count > 0 for count in first.values()), first
    assert {"caregiver_weekly_slots", "caregiver_days_off", "agencies"} <= set(first)
    second = await seed(engine)
    assert all(count == 0 for count in second.values()), second
    async with engine.connect() as conn:
        verified = await conn.scalar(
            text("SELECT count(*) FROM caregiver_profiles WHERE verification_status = 'verified'")
        )
    assert verified == 7
    login = await client.post(
        "/v1/auth/login", json={"email": "caregiver1@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    bookings = await client.get("/v1/bookings", params={"limit": 100}, headers=headers)
    last_month = last_month_of_visits(
        demo_id("recipient", str(STATEMENT_RECIPIENT)),
        demo_id("caregiver", str(STATEMENT_CAREGIVER)),
    )
    # Two upcoming visits, and last month's served ones (the statement month).
    assert len(bookings.json()["items"]) == 2 + len(last_month)
    family2 = await client.post(
        "/v1/auth/login", json={"email": "family2@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    shared = await client.get(
        "/v1/recipients",
        headers={"Authorization": f"Bearer {family2.json()['access_token']}"},
    )
    # 서보호's own recipient and the one 한가족 shares with them (viewer).
    assert sorted(r["name"] for r in shared.json()["items"]) == ["서정자", "한말순"]
    # Visits in every state, the one under way with an open exception for the agency, and a
    # care log the sharing family member can read.
    async with engine.connect() as conn:
        states = set((await conn.execute(text("SELECT DISTINCT status FROM bookings"))).scalars())
    assert states == {s.value for s in BookingStatus}
    log = await client.get(
        f"/v1/bookings/{demo_id('booking', str(COMPLETED_WITH_LOG))}/care-log",
        headers={"Authorization": f"Bearer {family2.json()['access_token']}"},
    )
    assert log.status_code == 200, log.text
    assert log.json()["tasks"][0]["task"] == "meals"
    agency = await client.post(
        "/v1/auth/login", json={"email": "agency1@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    review = await client.get(
        "/v1/visit-exceptions",
        params={"status": "open"},
        headers={"Authorization": f"Bearer {agency.json()['access_token']}"},
    )
    assert [e["reason"] for e in review.json()["items"]] == ["outside_geofence"]


@pytest.mark.parametrize("env", ["staging", "prod"])
async def test_seed_refuses_outside_dev_and_writes_nothing(engine: AsyncEngine, env: str) -> None:
    with pytest.raises(SeedRefusedError, match=f"HOMECARE_ENV={env}"):
        await seed(engine, env=env)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM users")) == 0


def test_seed_cli_says_why_it_refuses(migrated_url: str) -> None:
    # Real-looking secrets, so the settings load as they would in a prod pod.
    secrets = {
        f"HOMECARE_{name}": "s" * 40
        for name in ("JWT_SECRET", "VAPID_PRIVATE_KEY", "FCM_CREDENTIALS", "TOSS_SECRET_KEY")
    }
    secrets["HOMECARE_ENCRYPTION_KEKS"] = f"k1={new_key()}"
    secrets["HOMECARE_ENCRYPTION_INDEX_KEY"] = new_key()
    env = {**os.environ, **secrets, "HOMECARE_ENV": "prod", "HOMECARE_DATABASE_URL": migrated_url}
    done = subprocess.run(
        [sys.executable, "-m", "homecare_backend.seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "refusing to seed demo data in HOMECARE_ENV=prod" in done.stderr


async def test_demo_month_shows_the_split(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    await seed(engine)
    login = await client.post(
        "/v1/auth/login", json={"email": "family1@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    recipients = (await client.get("/v1/recipients", headers=headers)).json()["items"]
    grade_3 = next(r for r in recipients if r["name"] == "한말순")
    assert (grade_3["care_grade"], grade_3["copay_category"]) == ("3", "standard")
    now = datetime.now(ZoneInfo("Asia/Seoul"))
    month = await client.get(
        f"/v1/billing/recipients/{grade_3['id']}/months/{now:%Y-%m}", headers=headers
    )
    assert month.status_code == 200, month.text
    view = month.json()
    assert len(view["visits"]) >= 20  # every day of the month but Sundays and holidays
    assert view["copay_percent"] == 15
    assert view["limit_used_krw"] + (view["limit_remaining_krw"] or 0) == view["limit_krw"]
    # 20+ four-hour visits pass a grade-3 limit: the demo month shows self-pay above it.
    assert sum(v["above_limit_krw"] for v in view["visits"]) > 0


async def login_headers(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    done = await client.post(
        "/v1/auth/login", json={"email": f"{login}@demo.homecare.kr", "password": DEMO_PASSWORD}
    )
    assert done.status_code == 200, done.text
    return {"Authorization": f"Bearer {done.json()['access_token']}"}


async def test_demo_statement_month_and_message_thread(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    await seed(engine)
    caregiver = await login_headers(client, "caregiver1")
    agency = await login_headers(client, "agency1")
    now = datetime.now(ZoneInfo("Asia/Seoul"))
    last = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    profile = (await client.get("/v1/me/caregiver-profile", headers=caregiver)).json()
    assert profile["id"] == str(demo_id("caregiver", str(STATEMENT_CAREGIVER)))
    mine = await client.get(f"/v1/caregivers/{profile['id']}/statements/{last}", headers=caregiver)
    assert mine.status_code == 200, mine.text
    s = mine.json()
    # Mon/Thu/Tue visits, the first Wednesday and Sunday: 12+ visits in any month.
    assert s["visits"] >= 12
    assert s["surcharge_minutes"]["evening"] > 0
    assert s["surcharge_minutes"]["night"] == 60  # the first Wednesday, 22–23
    assert s["surcharge_minutes"]["holiday"] >= 120  # the first Sunday (and any holiday)
    assert s["earnings_krw"] > s["base_krw"] > 0
    assert s["exception_visits"] == 1
    agency_id = (await client.get("/v1/agencies", headers=agency)).json()["items"][0]["id"]
    month = await client.get(f"/v1/agencies/{agency_id}/statements/{last}", headers=agency)
    assert month.status_code == 200, month.text
    # 한덕구's month (other demo visits may fall into last month too, e.g. 서정자's settled one).
    recipient = next(r for r in month.json()["recipients"] if r["name"] == "한덕구")
    assert recipient["totals"]["nhis_krw"] > 0
    assert recipient["totals"]["copay_krw"] > 0  # 감경 9%
    assert recipient["copay_percent"] == 9
    flagged = [v for v in recipient["visits"] if v["exceptions"]]
    assert [v["exceptions"] for v in flagged] == [
        [{"reason": "check_in_far_from_start", "status": "accepted"}]
    ]
    # The message thread on 한말순's next visit, readable by the sharing viewer too.
    thread = f"/v1/bookings/{demo_id('booking', str(THREAD_BOOKING))}/messages"
    for login in ("family1", "family2", "caregiver1"):
        listed = await client.get(thread, headers=await login_headers(client, login))
        assert listed.status_code == 200, listed.text
        assert [m["sender_role"] for m in listed.json()["items"]] == [
            "family",
            "caregiver",
            "family",
        ]
    # Seeded once: a second run adds no messages.
    assert (await seed(engine))["booking_messages"] == 0
