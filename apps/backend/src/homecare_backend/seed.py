"""Idempotent demo data for `make up`: families, recipients and caregivers around Seoul, bookings.

`python -m homecare_backend.seed` may run any number of times: rows have fixed ids and are inserted
with ON CONFLICT DO NOTHING, so a second run changes nothing and local edits survive.
Every demo account's password is DEMO_PASSWORD. Demo data never reaches staging or prod:
outside `HOMECARE_ENV=dev|test` the seed refuses to run and writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend import encryption
from homecare_backend.auth import passwords
from homecare_backend.billing.calculator import SEOUL, is_public_holiday
from homecare_backend.config import get_settings
from homecare_backend.db import create_engine
from homecare_backend.models import (
    Agency,
    Booking,
    BookingMessage,
    CaregiverDayOff,
    CaregiverProfile,
    CaregiverWeeklySlot,
    CareLog,
    CareLogRevision,
    CarePlan,
    CareRecipient,
    CareRequest,
    RecipientMember,
    User,
    VisitCheck,
    VisitException,
    VisitSite,
)
from homecare_backend.visits import service as visits_service

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credential, dev data only
_NAMESPACE = uuid.UUID("6f1c1d1e-8a43-4f0e-9a53-0c0a8e2b7d10")

# (name, district, latitude, longitude, gender, skills, languages)
CAREGIVERS = [
    ("김영희", "강남구", 37.4979, 127.0276, "female", ["dementia", "mobility"], ["ko"]),
    ("이순자", "송파구", 37.5145, 127.1059, "female", ["dementia"], ["ko", "zh"]),
    ("박민수", "마포구", 37.5663, 126.9019, "male", ["mobility", "bathing"], ["ko"]),
    ("최정숙", "노원구", 37.6542, 127.0568, "female", ["bathing", "meal"], ["ko"]),
    ("정미경", "은평구", 37.6027, 126.9291, "female", ["dementia", "meal"], ["ko", "en"]),
    ("강철수", "관악구", 37.4784, 126.9516, "male", ["mobility"], ["ko"]),
    ("윤혜진", "성남시 분당구", 37.3826, 127.1189, "female", ["dementia", "bathing"], ["ko"]),
    ("장옥순", "영등포구", 37.5264, 126.8962, "female", ["meal"], ["ko", "vi"]),
]
FAMILIES = [("한가족", "family1"), ("서보호", "family2"), ("오자녀", "family3")]
# (family index, name, birth year, address, latitude, longitude)
RECIPIENTS = [
    (0, "한말순", 1938, "서울 강남구 테헤란로 1", 37.5008, 127.0365),
    (0, "한덕구", 1935, "서울 강남구 테헤란로 1", 37.5008, 127.0365),
    (1, "서정자", 1941, "서울 마포구 월드컵로 10", 37.5637, 126.9084),
    (2, "오복례", 1944, "서울 노원구 동일로 1400", 37.6559, 127.0614),
]
# (recipient index, caregiver index, days from today, start hour, hours, status)
BOOKINGS = [
    (0, 0, 1, 9, 3, "confirmed"),
    (1, 0, 1, 13, 2, "offered"),
    (2, 2, 2, 10, 4, "confirmed"),
    (3, 3, 3, 14, 3, "offered"),
    (0, 6, -2, 9, 3, "completed"),
    # One visit in each remaining state (the in-progress one is placed around now, below).
    (3, None, 5, 9, 2, "requested"),
    (2, 2, -5, 10, 3, "settled"),
    (3, 3, 4, 9, 2, "cancelled_by_family"),
    (2, 4, 6, 13, 2, "cancelled_by_caregiver"),
    (1, 4, -3, 9, 2, "no_show"),
    (3, 5, 5, 10, 2, "declined"),
    (1, 5, -1, 15, 2, "expired"),
]
# The visit under way: 서정자 with 박민수, checked in 350 m from the home (an open exception for
# the agency to review).
IN_PROGRESS = (2, 2, 3)  # recipient, caregiver, hours
DEMO_TAG = "DEMO-TAG-0001"  # the NFC tag registered for 한말순's home
COMPLETED_WITH_LOG = 4  # index in BOOKINGS: 한말순's completed visit has a care log


# Family sharing: (recipient index, family index, role) — 서보호 also follows 한말순's visits.
SHARED = [(0, 1, "viewer")]
# 본인부담 categories of the demo recipients (by index), so the split shows each rate.
COPAY = ["standard", "reduced_40", "reduced_60", "basic_livelihood"]
# A month of 방문요양 for 한말순 (grade 3): every day but Sundays and holidays this month,
# 14:00–18:00 Seoul time with caregiver 이순자; it crosses the month's limit near the end.
MONTH_RECIPIENT, MONTH_CAREGIVER = 0, 1
# Last month, served in full: 한덕구 (grade 4) with 김영희 (caregiver1, of the demo agency), so
# both have a statement month with figures — plain mornings, evenings (+20%), a late evening
# into the night (+30%) and a Sunday (+30%), and one late check-in the agency has accepted.
STATEMENT_RECIPIENT, STATEMENT_CAREGIVER = 1, 0
# A message thread on 한말순's next visit (booking 0): 한가족, the caregiver 김영희 and 서보호, who
# shares 한말순 as a viewer. (sender login, role, hours before now, body)
THREAD_BOOKING = 0
THREAD = [
    ("family1", "family", 20, "내일 오전 방문 때 혈압약 드시는 것 한 번 더 확인 부탁드려요."),
    ("caregiver1", "caregiver", 19, "네, 식사 후에 복약 확인하고 돌봄일지에 적어 두겠습니다."),
    ("family2", "family", 3, "어머니가 요즘 무릎이 불편하다고 하셔서 산책은 짧게 부탁드립니다."),
]


# Care requests of 서보호 for 서정자 (recipient 2): an open weekly 방문목욕 request with its
# ranked candidates, and a one-off 동행 request already offered to the pick.
# (recipient index, service type, required skill, status)
CARE_REQUESTS = [
    (2, "bathing", "bathing", "open"),
    (2, "companion", "mobility", "offered"),
]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def demo_candidates(recipient: int, skill: str) -> list[dict[str, Any]]:
    """Verified caregivers with the skill within 15 km, ranked by distance and rating with the
    weights of matching's score (demo data only: requests made in the app are ranked by the
    matching service)."""
    _, _, _, _, lat, lon = RECIPIENTS[recipient]
    found = []
    for i, (_, _, c_lat, c_lon, _, skills, _) in enumerate(CAREGIVERS[:-1]):
        km = _km(lat, lon, c_lat, c_lon)
        if skill not in skills or km > 15:
            continue
        rating = round(4.2 + 0.1 * (i % 8), 1)
        parts = {
            "distance": (1 - km / 15, 0.35),
            "rating": ((rating * (5 + 3 * i) + 20) / (10 + 3 * i) / 5, 0.25),
            "continuity": (0.0, 0.20),
            "language": (1.0, 0.10),
            "gender": (1.0, 0.05),
            "fairness": (1.0, 0.05),
        }
        breakdown = {
            k: {"value": round(v, 6), "weight": w, "contribution": round(v * w, 6)}
            for k, (v, w) in parts.items()
        }
        score = round(sum(b["contribution"] for b in breakdown.values()), 6)
        found.append(
            {
                "caregiver_id": str(demo_id("caregiver", str(i))),
                "score": score,
                "distance_km": round(km, 3),
                "breakdown": breakdown,
            }
        )
    found.sort(key=lambda c: -float(str(c["score"])))
    return [{"rank": n, **c} for n, c in enumerate(found, start=1)]


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}")


AGENCY = "행복방문요양센터"
# (login, role, display name); admins sign in like everybody else.
ADMINS = [("admin", "platform_admin", "플랫폼 관리자"), ("agency1", "agency_admin", "센터장 문")]


def demo_rows() -> dict[type[Any], list[dict[str, Any]]]:
    password_hash = passwords.hash_password_sync(DEMO_PASSWORD)
    agency_id = demo_id("agency", "1")
    users: list[dict[str, Any]] = [
        {
            "id": demo_id("user", login),
            "email": f"{login}@demo.homecare.kr",
            "password_hash": password_hash,
            "role": role,
            "display_name": name,
            "agency_id": agency_id if role == "agency_admin" else None,
        }
        for login, role, name in ADMINS
    ]
    profiles: list[dict[str, Any]] = []
    slots: list[dict[str, Any]] = []
    days_off: list[dict[str, Any]] = []
    for i, (name, _district, lat, lon, gender, skills, langs) in enumerate(CAREGIVERS):
        user_id = demo_id("user", f"caregiver{i + 1}")
        users.append(
            {
                "id": user_id,
                "email": f"caregiver{i + 1}@demo.homecare.kr",
                "password_hash": password_hash,
                "role": "caregiver",
                "display_name": name,
                "agency_id": None,
            }
        )
        profiles.append(
            {
                "id": demo_id("caregiver", str(i)),
                "user_id": user_id,
                "licence_number": f"2026-{100000 + i}",
                "verification_status": "pending" if i == len(CAREGIVERS) - 1 else "verified",
                "gender": gender,
                "skills": skills,
                "languages": langs,
                "latitude": lat,
                "longitude": lon,
                "service_radius_km": 8.0 + i,
                "hourly_rate_krw": 15000 + 500 * i,
                "rating_avg": None if i == len(CAREGIVERS) - 1 else round(4.2 + 0.1 * (i % 8), 1),
                "rating_count": 0 if i == len(CAREGIVERS) - 1 else 5 + 3 * i,
                "agency_id": agency_id if i < 4 else None,
            }
        )
        caregiver_id = profiles[-1]["id"]
        for weekday in range(5 if i % 2 == 0 else 6):  # Mon–Fri (or Sat), Asia/Seoul
            slot_start, slot_end = (time(9), time(13)) if i % 3 else (time(8), time(18))
            slots.append(
                {
                    "caregiver_id": caregiver_id,
                    "weekday": weekday,
                    "start_time": slot_start,
                    "end_time": slot_end,
                }
            )
        days_off.append(
            {"caregiver_id": caregiver_id, "day": date(2026, 12, 25), "reason": "성탄절"}
        )
    for n, (name, login) in enumerate(FAMILIES):
        phone = f"010-5550-{1001 + n}"
        users.append(
            {
                "id": demo_id("user", login),
                "email": f"{login}@demo.homecare.kr",
                "password_hash": password_hash,
                "role": "family",
                "display_name": name,
                "agency_id": None,
                # Stored encrypted, found by its blind index (`users.phone_index`).
                "phone": phone,
                "phone_index": encryption.phone_index(encryption.current(), phone),
            }
        )
    recipients = [
        {
            "id": demo_id("recipient", str(i)),
            "family_id": demo_id("user", FAMILIES[f][1]),
            "name": name,
            "birth_year": year,
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "care_grade": str(3 + i % 3) if i != 3 else "cognitive",
            "conditions": ["dementia", "mobility"] if i % 2 == 0 else ["mobility"],
            "preferred_gender": "female" if i != 2 else None,
            "preferred_languages": ["ko"],
            "notes": "현관 비밀번호는 전화로 안내, 당뇨 식단" if i == 0 else "",
            "copay_category": COPAY[i],
        }
        for i, (f, name, year, address, lat, lon) in enumerate(RECIPIENTS)
    ]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    bookings = []
    for i, (r, c, day, hour, hours, status) in enumerate(BOOKINGS):
        start = today + timedelta(days=day, hours=hour - 9)  # hours are Asia/Seoul (UTC+9)
        served = status in ("completed", "settled")
        bookings.append(
            {
                "id": demo_id("booking", str(i)),
                "recipient_id": recipients[r]["id"],
                "caregiver_id": None if c is None else profiles[c]["id"],
                "start_at": start,
                "end_at": start + timedelta(hours=hours),
                "status": status,
                "started_at": start if served else None,
                "finished_at": start + timedelta(hours=hours) if served else None,
            }
        )
    r, c, hours = IN_PROGRESS
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    bookings.append(
        {
            "id": demo_id("booking", "in_progress"),
            "recipient_id": recipients[r]["id"],
            "caregiver_id": profiles[c]["id"],
            "start_at": now - timedelta(minutes=30),
            "end_at": now + timedelta(hours=hours) - timedelta(minutes=30),
            "status": "in_progress",
            "started_at": now - timedelta(minutes=28),
            "finished_at": None,
        }
    )
    bookings.extend(
        month_of_visits(
            demo_id("recipient", str(MONTH_RECIPIENT)), demo_id("caregiver", str(MONTH_CAREGIVER))
        )
    )
    bookings.extend(
        last_month_of_visits(
            demo_id("recipient", str(STATEMENT_RECIPIENT)),
            demo_id("caregiver", str(STATEMENT_CAREGIVER)),
        )
    )
    care_requests, offered = demo_care_requests(recipients)
    bookings.extend(offered)
    # One multi-row INSERT per table: every row names the same columns.
    bookings = [{"service_type": "home_care", "notes": "", **b} for b in bookings]
    return {
        Agency: [{"id": agency_id, "name": AGENCY}],
        User: users,
        CaregiverProfile: profiles,
        CaregiverWeeklySlot: slots,
        CaregiverDayOff: days_off,
        CareRecipient: recipients,
        RecipientMember: [
            {
                "recipient_id": recipients[r]["id"],
                "user_id": demo_id("user", FAMILIES[f][1]),
                "role": role,
                "invited_by": recipients[r]["family_id"],
            }
            for r, f, role in SHARED
        ],
        Booking: bookings,
        CareRequest: care_requests,
        **visit_records(recipients, bookings),
    }


def _check(booking: dict[str, Any], kind: str, at: datetime, north_m: float) -> dict[str, Any]:
    recipient_lat = booking["_lat"]
    return {
        "id": demo_id("check", f"{booking['id']}:{kind}"),
        "booking_id": booking["id"],
        "caregiver_id": booking["caregiver_id"],
        "kind": kind,
        "latitude": recipient_lat + north_m / 111_195.0,
        "longitude": booking["_lon"],
        "accuracy_m": 12.0,
        "device_time": at,
        "recorded_at": at,
        "distance_m": float(north_m),
        "allowed_m": 112.0,
        "tag": booking["_tag"],
    }


def visit_records(
    recipients: list[dict[str, Any]], bookings: list[dict[str, Any]]
) -> dict[type[Any], list[dict[str, Any]]]:
    """EVV checks of the served demo visits, the open exception of the one under way, 한말순's
    home settings (tag) and care plan, and the care log of her completed visit."""
    homes = {r["id"]: r for r in recipients}
    tagged = recipients[0]["id"]
    checks, exceptions = [], []
    for booking in bookings:
        if booking["started_at"] is None:
            continue
        home = homes[booking["recipient_id"]]
        info = {
            **booking,
            "_lat": home["latitude"],
            "_lon": home["longitude"],
            "_tag": "match" if home["id"] == tagged else "not_registered",
        }
        if booking["status"] == "in_progress":
            check = _check(info, "check_in", booking["started_at"], 350)
            check["allowed_m"] = 150.0
            checks.append(check)
            exceptions.append(
                {
                    "id": demo_id("exception", str(booking["id"])),
                    "booking_id": booking["id"],
                    "check_id": check["id"],
                    "reason": "outside_geofence",
                    "detail": "350 m from the home; 150 m allowed (100 m fence + 50 m accuracy)",
                    "status": "open",
                    "resolved_by": None,
                    "resolved_at": None,
                    "resolution_note": "",
                }
            )
            continue
        checks.append(_check(info, "check_in", booking["started_at"], 8))
        checks.append(_check(info, "check_out", booking["finished_at"], 11))
        late = booking["started_at"] - booking["start_at"]
        if late > timedelta(minutes=30):
            # Last month's late check-in, reviewed and accepted by the agency.
            exceptions.append(
                {
                    "id": demo_id("exception", str(booking["id"])),
                    "booking_id": booking["id"],
                    "check_id": checks[-2]["id"],
                    "reason": "check_in_far_from_start",
                    "detail": f"Checked in {late.total_seconds() / 60:.0f} min after the start",
                    "status": "accepted",
                    "resolved_by": demo_id("user", "agency1"),
                    "resolved_at": booking["finished_at"] + timedelta(days=1),
                    "resolution_note": "버스 지연, 보호자 확인 완료 (종료도 40분 늦춤)",
                }
            )
    completed = next(b for b in bookings if b["id"] == demo_id("booking", str(COMPLETED_WITH_LOG)))
    log_id = demo_id("care_log", str(completed["id"]))
    content: dict[str, Any] = {
        "tasks": [
            {"task": "meals", "done": True, "note": "점심 죽 한 그릇"},
            {"task": "medication", "done": True, "note": "혈압약 복용 확인"},
            {"task": "mobility", "done": False, "note": "다리 통증으로 산책 대신 실내 스트레칭"},
        ],
        "vitals": {"systolic_mmhg": 132, "diastolic_mmhg": 84, "pulse_bpm": 74},
        "notes": "기분 좋으셨고 옛날 사진을 함께 보며 이야기 나눴습니다.",
    }
    return {
        VisitSite: [
            {
                "recipient_id": tagged,
                "radius_m": 100,
                "accuracy_cap_m": 50,
                "tag_digest": visits_service.tag_digest(tagged, DEMO_TAG),
            }
        ],
        CarePlan: [{"recipient_id": tagged, "tasks": ["meals", "medication", "mobility"]}],
        VisitCheck: checks,
        VisitException: exceptions,
        CareLog: [
            {
                "id": log_id,
                "booking_id": completed["id"],
                "caregiver_id": completed["caregiver_id"],
                "content": json.dumps(content, ensure_ascii=False),
                "version": 1,
            }
        ],
        CareLogRevision: [
            {
                "id": demo_id("care_log_revision", f"{log_id}:1"),
                "care_log_id": log_id,
                "version": 1,
                "kind": "edit",
                "content": json.dumps(content, ensure_ascii=False),
                "author_id": None,
            }
        ],
    }


def demo_care_requests(
    recipients: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The demo care requests, and the booking the offered one led to."""
    rows, bookings = [], []
    monday = datetime.now(SEOUL).date() + timedelta(days=7 - datetime.now(SEOUL).weekday())
    for i, (r, service, skill, status) in enumerate(CARE_REQUESTS):
        candidates = demo_candidates(r, skill)
        request_id = demo_id("care_request", str(i))
        if status == "open":
            schedule: dict[str, Any] = {
                "kind": "weekly",
                "slots": [{"weekday": 2, "start": "10:00", "duration_minutes": 60}],
                "start_date": monday.isoformat(),
                "end_date": None,
                "count": 8,
            }
            first = datetime.combine(monday + timedelta(days=2), time(10), SEOUL)
        else:
            first = datetime.combine(monday + timedelta(days=3), time(9), SEOUL)
            schedule = {"kind": "one_off", "start_at": first.isoformat(), "duration_minutes": 180}
        booking_id = None
        chosen = None
        if status == "offered" and candidates:
            chosen = uuid.UUID(candidates[0]["caregiver_id"])
            booking_id = demo_id("booking", f"care_request:{i}")
            bookings.append(
                {
                    "id": booking_id,
                    "recipient_id": recipients[r]["id"],
                    "caregiver_id": chosen,
                    "service_type": service,
                    "start_at": first,
                    "end_at": first + timedelta(hours=3),
                    "status": "offered",
                    "started_at": None,
                    "finished_at": None,
                    "notes": "병원 진료 동행 (서울대병원)",
                }
            )
        rows.append(
            {
                "id": request_id,
                "family_id": recipients[r]["family_id"],
                "recipient_id": recipients[r]["id"],
                "service_type": service,
                "schedule_kind": schedule["kind"],
                "schedule": schedule,
                "first_start_at": first,
                "required_skills": [skill],
                "preferred_languages": [],
                "max_distance_km": 15,
                "notes": "목욕 의자 있음"
                if service == "bathing"
                else "병원 진료 동행 (서울대병원)",
                "status": "offered" if booking_id else "open",
                "candidates": candidates,
                "considered": len(CAREGIVERS),
                "excluded": {"skills": len(CAREGIVERS) - 1 - len(candidates), "unverified": 1},
                "matched_at": datetime.now(UTC),
                "chosen_caregiver_id": chosen,
                "booking_id": booking_id,
            }
        )
    return rows, bookings


def month_of_visits(recipient_id: uuid.UUID, caregiver_id: uuid.UUID) -> list[dict[str, Any]]:
    now = datetime.now(SEOUL)
    day = date(now.year, now.month, 1)
    visits = []
    while day.month == now.month:
        if day.weekday() < 6 and not is_public_holiday(day):
            start = datetime.combine(day, time(14), SEOUL)
            end = start + timedelta(hours=4)
            done = end < now
            visits.append(
                {
                    "id": demo_id("visit", f"{recipient_id}:{day.isoformat()}"),
                    "recipient_id": recipient_id,
                    "caregiver_id": caregiver_id,
                    "start_at": start,
                    "end_at": end,
                    "status": "completed" if done else "confirmed",
                    "started_at": start if done else None,
                    "finished_at": end if done else None,
                }
            )
        day += timedelta(days=1)
    return visits


def last_month_of_visits(recipient_id: uuid.UUID, caregiver_id: uuid.UUID) -> list[dict[str, Any]]:
    """Last month (Asia/Seoul), all served: Mon/Thu 09–12, Tue 18–21 (evening), the first
    Wednesday 21–23 (evening into night) and the first Sunday 10–12; the first Thursday's
    check-in came 40 minutes late (and so did its check-out)."""
    first = datetime.now(SEOUL).date().replace(day=1)
    day = (first - timedelta(days=1)).replace(day=1)
    hours = {0: (9, 3), 3: (9, 3), 1: (18, 3)}
    visits, firsts = [], set()
    while day < first:
        slot = hours.get(day.weekday())
        if day.weekday() in (2, 6) and day.weekday() not in firsts:
            firsts.add(day.weekday())
            slot = (21, 2) if day.weekday() == 2 else (10, 2)
        if slot is not None:
            start = datetime.combine(day, time(slot[0]), SEOUL)
            end = start + timedelta(hours=slot[1])
            late = timedelta(minutes=40) if day.weekday() == 3 and day.day <= 7 else timedelta()
            visits.append(
                {
                    "id": demo_id("visit", f"{recipient_id}:{day.isoformat()}"),
                    "recipient_id": recipient_id,
                    "caregiver_id": caregiver_id,
                    "start_at": start,
                    "end_at": end,
                    "status": "completed",
                    "started_at": start + late,
                    "finished_at": end + late,
                }
            )
        day += timedelta(days=1)
    return visits


def demo_thread(now: datetime) -> list[dict[str, Any]]:
    booking_id = demo_id("booking", str(THREAD_BOOKING))
    return [
        {
            "booking_id": booking_id,
            "sender_id": demo_id("user", login),
            "sender_role": role,
            "body": body,
            "created_at": now - timedelta(hours=hours_ago),
        }
        for login, role, hours_ago, body in THREAD
    ]


SEEDABLE_ENVS = ("dev", "test")


class SeedRefusedError(RuntimeError):
    """Demo accounts with a published password must not exist outside dev and test."""


def refuse_outside_dev(env: str) -> None:
    if env not in SEEDABLE_ENVS:
        raise SeedRefusedError(
            f"refusing to seed demo data in HOMECARE_ENV={env}: demo accounts share a published "
            f"password. The seed runs only with HOMECARE_ENV={' or '.join(SEEDABLE_ENVS)}."
        )


async def seed(engine: AsyncEngine, *, env: str | None = None) -> dict[str, int]:
    """Insert the demo rows that are missing; returns how many rows each table gained.

    `env` defaults to the process settings' `HOMECARE_ENV`; anything but dev/test is refused.
    """
    refuse_outside_dev(env or get_settings().env)
    added: dict[str, int] = {}
    async with engine.begin() as conn:
        for model, rows in demo_rows().items():
            stmt = insert(model).values(rows).on_conflict_do_nothing()
            result = await conn.execute(stmt)
            added[model.__tablename__] = result.rowcount
        # Messages take their ids from the table's identity (ids order a thread): the demo
        # thread is written once, when its booking has no messages yet.
        thread = demo_thread(datetime.now(UTC))
        started = await conn.scalar(
            select(BookingMessage.id)
            .where(BookingMessage.booking_id == thread[0]["booking_id"])
            .limit(1)
        )
        added[BookingMessage.__tablename__] = 0
        if started is None:
            await conn.execute(insert(BookingMessage).values(thread))
            added[BookingMessage.__tablename__] = len(thread)
    return added


async def _main() -> int:
    settings = get_settings()
    try:
        refuse_outside_dev(settings.env)
    except SeedRefusedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        added = await seed(engine, env=settings.env)
    finally:
        await engine.dispose()
    print("demo data:", ", ".join(f"{table} +{n}" for table, n in added.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
