"""Care logs on the real database: written by the assigned caregiver during the visit, seen by
every sharing family member from check-out on, editable until the cutoff with every version
kept, then append-only (addenda); checklists follow the care plan."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.models import Booking, CareLogRevision, OutboxEvent

Home = Any
MakeVisit = Callable[..., Awaitable[str]]
LOG: dict[str, Any] = {
    "tasks": [
        {"task": "meals", "done": True, "note": "죽 한 그릇"},
        {"task": "medication", "done": True},
        {"task": "bathing", "done": False, "note": "다음 방문에"},
    ],
    "vitals": {"systolic_mmhg": 128, "diastolic_mmhg": 82, "pulse_bpm": 72},
    "notes": "기분 좋으셨고 산책 20분 함께 했습니다.",
}


async def started(client: httpx.AsyncClient, home: Home, make_visit: MakeVisit) -> str:
    booking = await make_visit(home)
    checked = await client.post(
        f"/v1/bookings/{booking}/check-in", json=home.fix(), headers=home.caregiver.headers
    )
    assert checked.status_code == 201, checked.text
    return str(booking)


async def test_log_is_the_caregivers_and_family_sees_it_from_check_out(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    not_yet = await make_visit(home, starts_in=timedelta(hours=3))
    early = await client.put(
        f"/v1/bookings/{not_yet}/care-log", json=LOG, headers=home.caregiver.headers
    )
    assert early.status_code == 409
    assert early.json()["code"] == "visit_not_started"
    booking = await started(client, home, make_visit)
    url = f"/v1/bookings/{booking}/care-log"
    # Someone else's visit, or not a caregiver: refused, nothing written.
    assert (
        await client.put(url, json=LOG, headers=home.other_caregiver.headers)
    ).status_code == 404
    for family in (home.owner, home.viewer):
        assert (await client.put(url, json=LOG, headers=family.headers)).status_code == 403
    written = await client.put(url, json=LOG, headers=home.caregiver.headers)
    assert written.status_code == 200, written.text
    body = written.json()
    assert body["version"] == 1
    assert body["locked"] is False
    assert body["editable_until"] is None  # under way: no cutoff yet
    assert body["vitals"] == {
        "systolic_mmhg": 128,
        "diastolic_mmhg": 82,
        "pulse_bpm": 72,
        "temperature_c": None,
        "spo2_percent": None,
        "glucose_mg_dl": None,
    }
    # During the visit the family does not see it yet; the caregiver and agency do.
    for family in (home.owner, home.viewer):
        hidden = await client.get(url, headers=family.headers)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "care_log_not_found"
    assert (await client.get(url, headers=home.agency_admin.headers)).status_code == 200
    out = await client.post(
        f"/v1/bookings/{booking}/check-out", json=home.fix(), headers=home.caregiver.headers
    )
    assert out.status_code == 201
    for family in (home.owner, home.viewer):
        seen = await client.get(url, headers=family.headers)
        assert seen.status_code == 200
        assert seen.json()["notes"] == LOG["notes"]
        assert [t["task"] for t in seen.json()["tasks"]] == ["meals", "medication", "bathing"]
    for outsider in (home.stranger, home.other_caregiver, home.other_agency_admin):
        assert (await client.get(url, headers=outsider.headers)).status_code == 404
    # An edit after check-out tells every family member, and nobody else.
    edited = await client.put(
        url, json={**LOG, "notes": "저녁 식사도 챙겨 드림"}, headers=home.caregiver.headers
    )
    assert edited.json()["version"] == 2
    async with engine.connect() as conn:
        told = (
            await conn.scalars(
                select(OutboxEvent.user_id).where(
                    OutboxEvent.topic == "care_log_updated",
                    OutboxEvent.payload["booking_id"].astext == booking,
                )
            )
        ).all()
    assert sorted(told) == sorted([home.owner.user_id, home.viewer.user_id])


async def test_cutoff_then_append_only_with_history(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    booking = await started(client, home, make_visit)
    url = f"/v1/bookings/{booking}/care-log"
    cg = home.caregiver.headers
    await client.put(url, json=LOG, headers=cg)
    await client.post(f"/v1/bookings/{booking}/check-out", json=home.fix(), headers=cg)
    second = await client.put(url, json={**LOG, "notes": "수정: 산책 30분"}, headers=cg)
    assert second.status_code == 200
    cutoff = datetime.fromisoformat(second.json()["editable_until"])
    assert timedelta(hours=23) < cutoff - datetime.now(UTC) <= timedelta(hours=24)
    # A day passes: the log is past its cutoff.
    async with engine.begin() as conn:
        await conn.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(booking))
            .values(finished_at=Booking.finished_at - timedelta(hours=25))
        )
    locked = await client.put(url, json={**LOG, "notes": "덮어쓰기 시도"}, headers=cg)
    assert locked.status_code == 409
    assert locked.json()["code"] == "care_log_locked"
    assert locked.headers["content-type"] == "application/problem+json"
    added = await client.post(f"{url}/addenda", json={"text": "보호자께 전달함"}, headers=cg)
    assert added.status_code == 201, added.text
    assert added.json()["locked"] is True
    assert added.json()["notes"] == "수정: 산책 30분"  # the content is unchanged
    assert [a["text"] for a in added.json()["addenda"]] == ["보호자께 전달함"]
    history = await client.get(f"{url}/revisions", headers=home.viewer.headers)
    assert [(r["version"], r["kind"]) for r in history.json()] == [
        (1, "edit"),
        (2, "edit"),
        (3, "addendum"),
    ]
    assert history.json()[0]["content"]["notes"] == LOG["notes"]
    assert history.json()[1]["content"]["notes"] == "수정: 산책 30분"
    async with engine.connect() as conn:
        kept = await conn.scalar(select(func.count()).select_from(CareLogRevision))
    assert kept == 3  # the refused overwrite left no revision


async def test_checklist_follows_the_care_plan_and_bad_input_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home, make_visit: MakeVisit
) -> None:
    plan_url = f"/v1/recipients/{home.recipient_id}/care-plan"
    empty = await client.get(plan_url, headers=home.caregiver.headers)
    assert empty.status_code == 404  # no visit of this caregiver yet
    booking = await started(client, home, make_visit)
    assert (await client.get(plan_url, headers=home.caregiver.headers)).json()["tasks"] == []
    assert (
        await client.put(plan_url, json={"tasks": ["meals"]}, headers=home.viewer.headers)
    ).status_code == 403
    plan = await client.put(
        plan_url, json={"tasks": ["medication", "meals", "meals"]}, headers=home.owner.headers
    )
    assert plan.json()["tasks"] == ["meals", "medication"]
    url = f"/v1/bookings/{booking}/care-log"
    cg = home.caregiver.headers
    cases = [
        ({"tasks": [{"task": "meals", "done": True}]}, "checklist_mismatch"),
        (
            {"tasks": [{"task": "meals", "done": True}, {"task": "meals", "done": False}]},
            "duplicate_task",
        ),
        ({**LOG, "tasks": [{"task": "flying", "done": True}]}, "validation_failed"),
        ({**LOG, "vitals": {"pulse_bpm": 900}}, "validation_failed"),
        ({**LOG, "vitals": {"mood": "good"}}, "validation_failed"),
        ({**LOG, "notes": "x" * 4001}, "validation_failed"),
    ]
    for body, code in cases:
        refused = await client.put(url, json=body, headers=cg)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(CareLogRevision)) == 0
    ok = await client.put(
        url,
        json={
            "tasks": [
                {"task": "medication", "done": False, "note": "거부"},
                {"task": "meals", "done": True},
            ],
            "vitals": {"temperature_c": 36.6},
        },
        headers=cg,
    )
    assert ok.status_code == 200, ok.text
    missing = await client.get(
        f"/v1/bookings/{await make_visit(home, starts_in=timedelta(hours=3))}/care-log",
        headers=cg,
    )
    assert missing.status_code == 404
