"""Write synthetic caregivers into the backend's schema (COPY), as the backend would store them."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from homecare_matching.model import Caregiver


async def load(conn: asyncpg.Connection, caregivers: list[Caregiver], monday: date) -> None:
    family = uuid.uuid4()
    users = [(family, "family@bench.homecare.kr", "x", "family", "bench family")]
    profiles: list[tuple[object, ...]] = []
    slots: list[tuple[object, ...]] = []
    days_off: list[tuple[object, ...]] = []
    bookings: list[tuple[object, ...]] = []
    recipient = uuid.uuid4()
    for i, c in enumerate(caregivers):
        user = uuid.uuid4()
        cid = uuid.UUID(c.id)
        users.append((user, f"cg{i}@bench.homecare.kr", "x", "caregiver", f"cg {i}"))
        profiles.append((
            cid, user, f"B-{i}", "verified", c.gender.value, sorted(c.skills),
            sorted(c.languages), c.latitude, c.longitude, c.service_radius_km,
            c.hourly_rate_krw, c.rating_avg, c.rating_count,
        ))  # fmt: skip
        slots.extend((cid, s.weekday, s.start, s.end) for s in c.slots)
        days_off.extend((cid, d) for d in c.days_off)
        bookings.extend((uuid.uuid4(), recipient, cid, b.start, b.end, "confirmed") for b in c.busy)
    await conn.copy_records_to_table(
        "users", records=users, columns=["id", "email", "password_hash", "role", "display_name"]
    )
    await conn.execute(
        "INSERT INTO care_recipients (id, family_id, name, birth_year, address, latitude,"
        " longitude) VALUES ($1, $2, 'bench', 1940, 'Seoul', 37.5665, 126.978)",
        recipient,
        family,
    )
    await conn.copy_records_to_table(
        "caregiver_profiles",
        records=profiles,
        columns=[
            "id", "user_id", "licence_number", "verification_status", "gender", "skills",
            "languages", "latitude", "longitude", "service_radius_km", "hourly_rate_krw",
            "rating_avg", "rating_count",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "caregiver_weekly_slots",
        records=slots,
        columns=["caregiver_id", "weekday", "start_time", "end_time"],
    )
    await conn.copy_records_to_table(
        "caregiver_days_off", records=days_off, columns=["caregiver_id", "day"]
    )
    await conn.copy_records_to_table(
        "bookings",
        records=bookings,
        columns=["id", "recipient_id", "caregiver_id", "start_at", "end_at", "status"],
    )
