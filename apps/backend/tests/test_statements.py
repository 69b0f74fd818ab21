"""Monthly statements against hand-computed months, on the real embedded PostgreSQL.

The home's caregiver (hourly rate 15,000 KRW, from the test factories) serves its recipient, a
인지지원 grade (2025 limit 657,400 KRW, standard co-pay 15%). 2025 방문요양 fees: 60 min 24,580 ·
90 min 33,120 · 120 min 42,160 · 240 min 68,030. Visits are inserted as served (checked out),
with served times that differ from the planned ones where that matters.

March 2025 (surcharges, all within the limit) and April 2025 (crossing the limit, after another
agency's visit used part of it) are worked out in the comments next to each figure.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.models import Booking, CareRecipient, User
from homecare_backend.visits.models import VisitCheck, VisitException
from homecare_testing import factories

SEOUL = ZoneInfo("Asia/Seoul")
Home = Any  # conftest.Home (tests import no helpers from conftest)


def kst(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SEOUL)


async def served_visit(
    engine: AsyncEngine,
    home: Home,
    *,
    day: str,
    planned: tuple[str, str],
    served: tuple[str, str] | None = None,
    caregiver_id: uuid.UUID | None = None,
    status: str = "completed",
    exception: tuple[str, str] | None = None,
) -> uuid.UUID:
    """A visit of the home's recipient; served (checked in and out) unless `status` says not."""
    start, end = kst(day, planned[0]), kst(day, planned[1])
    row = factories.booking_row(
        uuid.UUID(home.recipient_id),
        start_at=start,
        duration=end - start,
        status=status,
        caregiver_id=caregiver_id or home.caregiver.caregiver_id,
    )
    if status == "completed":
        actual = served or planned
        row |= {"started_at": kst(day, actual[0]), "finished_at": kst(day, actual[1])}
    async with engine.begin() as conn:
        await conn.execute(insert(Booking).values(row))
        if exception is not None:
            check_id = uuid.uuid4()
            await conn.execute(
                insert(VisitCheck).values(
                    id=check_id,
                    booking_id=row["id"],
                    caregiver_id=row["caregiver_id"],
                    kind="check_in",
                    latitude=home.lat,
                    longitude=home.lon,
                    accuracy_m=10.0,
                    device_time=row["started_at"],
                    recorded_at=row["started_at"],
                    distance_m=0.0,
                    allowed_m=100.0,
                    tag="not_registered",
                )
            )
            await conn.execute(
                insert(VisitException).values(
                    booking_id=row["id"],
                    check_id=check_id,
                    reason=exception[0],
                    detail="test",
                    status=exception[1],
                )
            )
    booking_id: uuid.UUID = row["id"]
    return booking_id


async def cognitive_grade(engine: AsyncEngine, home: Home) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(CareRecipient)
            .where(CareRecipient.id == uuid.UUID(home.recipient_id))
            .values(care_grade="cognitive", copay_category="standard")
        )


async def march(engine: AsyncEngine, home: Home) -> None:
    """Four served visits with surcharges, one cancelled, one planned for later."""
    # Tue 4 Mar, 09:00–11:00: 120 min, no surcharge.
    await served_visit(engine, home, day="2025-03-04", planned=("09:00", "11:00"))
    # Wed 5 Mar, 17:00–19:00: 60 min plain, 60 min evening; an accepted geofence exception.
    await served_visit(
        engine,
        home,
        day="2025-03-05",
        planned=("17:00", "19:00"),
        exception=("outside_geofence", "accepted"),
    )
    # Sun 9 Mar, 21:00–23:00: Sunday all along (30%), which beats evening (20%) and ties with
    # night (30%): 120 holiday minutes, never stacked.
    await served_visit(engine, home, day="2025-03-09", planned=("21:00", "23:00"))
    # Thu 13 Mar, planned 21:00–23:00, served 21:30–23:00 (checked in late: open exception):
    # 90 min, 30 evening + 60 night.
    await served_visit(
        engine,
        home,
        day="2025-03-13",
        planned=("21:00", "23:00"),
        served=("21:30", "23:00"),
        exception=("check_in_far_from_start", "open"),
    )
    # Not served: cancelled, and confirmed (not yet checked into).
    await served_visit(
        engine, home, day="2025-03-18", planned=("09:00", "11:00"), status="cancelled_by_family"
    )
    await served_visit(
        engine, home, day="2025-03-25", planned=("09:00", "11:00"), status="confirmed"
    )


async def april(engine: AsyncEngine, home: Home) -> None:
    """Another agency's hour first, then ten 4-hour weekday visits of the home's caregiver."""
    # Tue 1 Apr 06:00–07:00 by the other agency's caregiver: 60 min, 24,580 of the limit.
    await served_visit(
        engine,
        home,
        day="2025-04-01",
        planned=("06:00", "07:00"),
        caregiver_id=home.other_caregiver.caregiver_id,
    )
    for day in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14):  # weekdays, no public holiday in April 2025
        await served_visit(engine, home, day=f"2025-04-{day:02d}", planned=("09:00", "13:00"))


def by(lines: list[dict[str, Any]], day: str) -> dict[str, Any]:
    return next(x for x in lines if x["start_at"].startswith(day))


async def test_caregiver_month_with_surcharges(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home
) -> None:
    await cognitive_grade(engine, home)
    await march(engine, home)
    url = f"/v1/caregivers/{home.caregiver.caregiver_id}/statements/2025-03"
    got = await client.get(url, headers=home.caregiver.headers)
    assert got.status_code == 200, got.text
    s = got.json()
    assert s["hourly_rate_krw"] == 15000
    assert s["visits"] == 4  # the cancelled and the confirmed visit are not served
    lines = s["lines"]
    # 4 Mar: 15,000 × 2 h = 30,000.
    assert by(lines, "2025-03-04")["earnings_krw"] == 30000
    # 5 Mar: 30,000 + 15,000 × 1 h × 20% = 33,000.
    five = by(lines, "2025-03-05")
    assert (five["base_krw"], five["surcharge_krw"]) == (30000, 3000)
    assert five["surcharge_minutes"] == {"evening": 60, "night": 0, "holiday": 0}
    assert five["exceptions"] == [{"reason": "outside_geofence", "status": "accepted"}]
    # 9 Mar (Sunday): 30,000 + 15,000 × 2 h × 30% = 39,000.
    nine = by(lines, "2025-03-09")
    assert nine["surcharge_minutes"] == {"evening": 0, "night": 0, "holiday": 120}
    assert nine["earnings_krw"] == 39000
    # 13 Mar, served 90 min: 15,000 × 1.5 h = 22,500; + 15,000 × 0.5 h × 20% = 1,500
    # + 15,000 × 1 h × 30% = 4,500 → 28,500.
    thirteen = by(lines, "2025-03-13")
    assert thirteen["served_minutes"] == 90
    assert thirteen["surcharge_minutes"] == {"evening": 30, "night": 60, "holiday": 0}
    assert (thirteen["base_krw"], thirteen["surcharge_krw"]) == (22500, 6000)
    # Month: 120 + 120 + 120 + 90 = 450 min = 7.5 h; evening 60 + 30 = 90, night 60,
    # holiday 120; base 30,000 × 3 + 22,500 = 112,500; surcharges 3,000 + 9,000 + 6,000 =
    # 18,000; earnings 30,000 + 33,000 + 39,000 + 28,500 = 130,500.
    assert (s["served_minutes"], s["served_hours"]) == (450, 7.5)
    assert s["surcharge_minutes"] == {"evening": 90, "night": 60, "holiday": 120}
    assert (s["base_krw"], s["surcharge_krw"], s["earnings_krw"]) == (112500, 18000, 130500)
    assert s["exception_visits"] == 2

    # The same month as CSV: UTF-8 with a BOM, Korean headers, the same figures.
    raw = await client.get(f"{url}/csv", headers=home.caregiver.headers)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/csv")
    assert raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8").removeprefix("\ufeff"))))
    header, *visits, total = rows
    assert header[:2] == ["방문일", "수급자"]
    assert header[13] == "합계(원)"
    assert [v[0] for v in visits] == ["2025-03-04", "2025-03-05", "2025-03-09", "2025-03-13"]
    assert visits[3][5:8] == ["2025-03-13 21:30", "2025-03-13 23:00", "90"]
    assert visits[3][14] == "시작시각 차이(검토 중)"
    assert total[0] == "합계"
    assert total[7:14] == ["450", "90", "60", "120", "112500", "18000", "130500"]

    # And as PDF: the text pdftotext extracts has the Korean labels and the figures.
    pdf = await client.get(f"{url}/pdf", headers=home.caregiver.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in (
        "요양보호사 월간 명세서 2025년 3월",
        "지급 합계",
        "130,500원",
        "7.50시간",
        "휴일 가산",
        "112,500",
        "18,000",
        "21:30",
        "시작시각 차이",
    ):
        assert expected in text, (expected, text)


async def test_agency_month_within_the_limit_flags_exceptions(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home
) -> None:
    await cognitive_grade(engine, home)
    await march(engine, home)
    got = await client.get(
        f"/v1/agencies/{await agency_of(engine, home)}/statements/2025-03",
        headers=home.agency_admin.headers,
    )
    assert got.status_code == 200, got.text
    s = got.json()
    (recipient,) = s["recipients"]
    assert (recipient["care_grade"], recipient["limit_krw"]) == ("cognitive", 657400)
    fees = {v["start_at"][:10]: v["amount_krw"] for v in recipient["visits"]}
    # 42,160 (120 min) · 42,160 + 42,160 × 10% = 46,376 (half the time evening: +20% × ½) ·
    # 42,160 + 30% = 54,808 (Sunday) · 33,120 (90 min) + 33,120 × (20% × 30 + 30% × 60) / 90
    # = 33,120 + 8,832 = 41,952.
    assert fees == {
        "2025-03-04": 42160,
        "2025-03-05": 46376,
        "2025-03-09": 54808,
        "2025-03-13": 41952,
    }
    t = recipient["totals"]
    # Amount 185,296 (within 657,400). Co-pay 15% per visit, rounded down: 6,324 + 6,956
    # + 8,221 + 6,292 = 27,793; NHIS 185,296 − 27,793 = 157,503.
    assert (t["amount_krw"], t["copay_krw"], t["nhis_krw"]) == (185296, 27793, 157503)
    assert (t["above_limit_krw"], t["family_krw"]) == (0, 27793)
    # The open exception of 13 Mar holds its NHIS share: 41,952 − 6,292 = 35,660.
    assert t["nhis_under_review_krw"] == 35660
    assert t["exception_visits"] == 2
    thirteen = by(recipient["visits"], "2025-03-13")
    assert thirteen["under_review"] is True
    assert thirteen["exceptions"] == [{"reason": "check_in_far_from_start", "status": "open"}]
    assert s["totals"]["nhis_krw"] == 157503


async def test_agency_month_crossing_the_limit(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home
) -> None:
    await cognitive_grade(engine, home)
    await april(engine, home)
    agency = await agency_of(engine, home)
    url = f"/v1/agencies/{agency}/statements/2025-04"
    got = await client.get(url, headers=home.agency_admin.headers)
    assert got.status_code == 200, got.text
    (recipient,) = got.json()["recipients"]
    visits = recipient["visits"]
    assert len(visits) == 10  # the other agency's visit is not this agency's claim
    # The other agency's 24,580 came first: 657,400 − 24,580 = 632,820 left. Nine visits of
    # 68,030 = 612,270 → 20,550 left for the tenth, whose other 47,480 is above the limit.
    assert [v["above_limit_krw"] for v in visits] == [0] * 9 + [47480]
    # Co-pay: 68,030 × 15% = 10,204.5 → 10,204 for nine; 20,550 × 15% = 3,082.5 → 3,082.
    assert [v["copay_krw"] for v in visits] == [10204] * 9 + [3082]
    t = recipient["totals"]
    # 9 × 10,204 + 3,082 = 94,918; NHIS (612,270 + 20,550) − 94,918 = 537,902;
    # family 94,918 + 47,480 = 142,398; amount 10 × 68,030 = 680,300.
    assert (t["amount_krw"], t["nhis_krw"], t["copay_krw"]) == (680300, 537902, 94918)
    assert (t["above_limit_krw"], t["family_krw"]) == (47480, 142398)
    assert recipient["limit_used_krw"] == 657400  # the whole limit, by both agencies

    raw = await client.get(f"{url}/csv", headers=home.agency_admin.headers)
    assert raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8").removeprefix("\ufeff"))))
    header, *lines, subtotal, total = rows
    assert header[9:12] == ["공단부담금(원)", "본인부담금(원)", "한도초과(원)"]
    assert len(lines) == 10
    assert lines[-1][1] == "인지지원"
    assert lines[-1][8:13] == ["68030", "17468", "3082", "47480", "0"]
    assert subtotal[0].startswith("소계")
    assert total[0] == "합계"
    assert total[8:14] == [
        "680300",
        "537902",
        "94918",
        "47480",
        "0",
        "142398",
    ]

    pdf = await client.get(f"{url}/pdf", headers=home.agency_admin.headers)
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    for expected in ("기관 월간 청구 명세서 2025년 4월", "공단 청구액", "537,902원", "47,480"):
        assert expected in text, (expected, text)

    # The caregiver's April: 10 × 4 h = 40 h at 15,000 = 600,000, no surcharge.
    mine = await client.get(
        f"/v1/caregivers/{home.caregiver.caregiver_id}/statements/2025-04",
        headers=home.caregiver.headers,
    )
    assert (mine.json()["served_minutes"], mine.json()["earnings_krw"]) == (2400, 600000)


async def test_who_sees_which_statement(
    client: httpx.AsyncClient, engine: AsyncEngine, home: Home
) -> None:
    await march(engine, home)
    mine = f"/v1/caregivers/{home.caregiver.caregiver_id}/statements/2025-03"
    agency = f"/v1/agencies/{await agency_of(engine, home)}/statements/2025-03"
    for url in (mine, f"{mine}/csv", f"{mine}/pdf"):
        assert (await client.get(url, headers=home.agency_admin.headers)).status_code == 200
        for who, status in (
            (home.owner, 403),  # families have the billing month view, not statements
            (home.viewer, 403),
            (home.other_caregiver, 404),
            (home.other_agency_admin, 404),
        ):
            refused = await client.get(url, headers=who.headers)
            assert refused.status_code == status, (url, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
    for url in (agency, f"{agency}/csv", f"{agency}/pdf"):
        for who, status in (
            (home.owner, 403),
            (home.caregiver, 403),
            (home.other_agency_admin, 404),
        ):
            refused = await client.get(url, headers=who.headers)
            assert refused.status_code == status, (url, refused.text)
    # A year without a fee table yet is priced provisionally with the latest one (decision 0014),
    # and the statements say so; before the first table there is no price: 409.
    await cognitive_grade(engine, home)
    await served_visit(engine, home, day="2031-03-04", planned=("09:00", "11:00"))
    await served_visit(engine, home, day="2019-03-05", planned=("09:00", "11:00"))
    later = f"/v1/agencies/{await agency_of(engine, home)}/statements/2031-03"
    late = await client.get(later, headers=home.agency_admin.headers)
    assert late.status_code == 200, late.text
    assert late.json()["recipients"][0]["provisional"] is True
    caregiver = f"/v1/caregivers/{home.caregiver.caregiver_id}/statements"
    late = await client.get(f"{caregiver}/2031-03", headers=home.caregiver.headers)
    assert (late.json()["provisional"], late.json()["earnings_krw"]) == (True, 30000)
    assert (await client.get(f"{caregiver}/2025-03", headers=home.caregiver.headers)).json()[
        "provisional"
    ] is False
    early = await client.get(f"{caregiver}/2019-03", headers=home.caregiver.headers)
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "no_fee_table"


async def agency_of(engine: AsyncEngine, home: Home) -> uuid.UUID:
    async with engine.connect() as conn:
        agency_id = await conn.scalar(
            select(User.agency_id).where(User.id == home.agency_admin.user_id)
        )
    assert isinstance(agency_id, uuid.UUID)
    return agency_id


def pdf_text(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is installed by make test-python"
    with subprocess.Popen(
        ["pdftotext", "-layout", "-", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as proc:
        out, _ = proc.communicate(pdf, timeout=60)
    assert proc.returncode == 0
    return out.decode("utf-8")
