"""Sensitive columns on the real database: ciphertext at rest, plaintext through the API, phone
lookups by blind index, key rotation while the API serves, and the migration that encrypts the
rows written before it (and its downgrade)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend import encryption, migrate
from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.models import CaregiverProfile, User
from homecare_backend.users.models import Role
from homecare_testing import factories

MakeActor = Any
SECRETS = ("당뇨", "현관 비밀번호 1234", "2026-424242")
RECIPIENT_SQL = "SELECT conditions, notes FROM care_recipients"


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    yield
    encryption.configure(Settings(env="test").keyring())


async def raw(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql))).all())


async def sealed_notes(engine: AsyncEngine, recipient_id: str) -> str:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT notes FROM care_recipients WHERE id = :id"), {"id": recipient_id}
        )
    return str(found)


COLUMNS = {
    "care_recipients.notes": "SELECT notes FROM care_recipients WHERE notes <> ''",
    "care_recipients.conditions": "SELECT conditions FROM care_recipients WHERE conditions <> ''",
    "bookings.notes": "SELECT notes FROM bookings WHERE notes <> ''",
    "caregiver_profiles.licence_number": "SELECT licence_number FROM caregiver_profiles",
}


def assert_sealed(value: str, kek: str = "dev") -> None:
    assert value.startswith(f"v1.{kek}."), value
    assert not any(secret in value for secret in SECRETS)


async def make_world(
    client: httpx.AsyncClient, make_actor: MakeActor, recipient_body: dict[str, Any]
) -> dict[str, Any]:
    family = await make_actor(Role.FAMILY)
    caregiver = await make_actor(Role.CAREGIVER)
    licence = await client.put(
        f"/v1/caregivers/{caregiver.caregiver_id}",
        json={
            "licence_number": "2026-424242",
            "gender": "female",
            "skills": ["dementia"],
            "languages": ["ko"],
            "latitude": 37.5,
            "longitude": 127.0,
            "service_radius_km": 10,
            "hourly_rate_krw": 16000,
        },
        headers=caregiver.headers,
    )
    assert licence.status_code == 200, licence.text
    recipient = await client.post(
        "/v1/recipients",
        json={**recipient_body, "conditions": ["diabetes", "dementia"], "notes": "당뇨 식단"},
        headers=family.headers,
    )
    assert recipient.status_code == 201, recipient.text
    booking = await client.post(
        "/v1/bookings",
        json={
            "recipient_id": recipient.json()["id"],
            "start_at": (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat(),
            "duration_minutes": 120,
            "notes": "현관 비밀번호 1234",
        },
        headers=family.headers,
    )
    assert booking.status_code == 201, booking.text
    return {
        "family": family,
        "caregiver": caregiver,
        "recipient": recipient.json()["id"],
        "booking": booking.json()["id"],
    }


async def test_sensitive_columns_are_ciphertext_and_phones_are_found_by_blind_index(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
) -> None:
    world = await make_world(client, make_actor, recipient_body)
    [(conditions, notes)] = await raw(engine, "SELECT conditions, notes FROM care_recipients")
    assert_sealed(conditions)
    assert_sealed(notes)
    [(booking_notes,)] = await raw(engine, "SELECT notes FROM bookings")
    assert_sealed(booking_notes)
    licences = await raw(engine, "SELECT licence_number FROM caregiver_profiles")
    for (licence,) in licences:
        assert_sealed(licence)
    family = world["family"]
    shown = await client.get(f"/v1/recipients/{world['recipient']}", headers=family.headers)
    assert shown.json()["notes"] == "당뇨 식단"
    assert shown.json()["conditions"] == ["dementia", "diabetes"]
    booking = await client.get(f"/v1/bookings/{world['booking']}", headers=family.headers)
    assert booking.json()["notes"] == "현관 비밀번호 1234"
    profile = await client.get(
        f"/v1/caregivers/{world['caregiver'].caregiver_id}", headers=world["caregiver"].headers
    )
    assert profile.json()["licence_number"] == "2026-424242"

    body = {"password": "correct-horse-2026", "display_name": "김보호", "role": "family"}
    first = await client.post(
        "/v1/auth/signup",
        json={**body, "email": "phone1@example.kr", "phone": "010-2468-1357"},
    )
    assert first.status_code == 201, first.text
    # The same number written another way is the same number: found by its blind index.
    second = await client.post(
        "/v1/auth/signup",
        json={**body, "email": "phone2@example.kr", "phone": "+82 10 2468 1357"},
    )
    assert second.status_code == 409
    assert second.json()["code"] == "phone_taken"
    [(phone, index)] = await raw(
        engine, "SELECT phone, phone_index FROM users WHERE email = 'phone1@example.kr'"
    )
    assert_sealed(phone)
    assert "2468" not in phone
    assert len(index) == 64
    assert index == encryption.phone_index(encryption.current(), "01024681357")


def key() -> str:
    return encryption.new_key()


async def test_key_rotation_while_the_api_serves(
    migrated_url: str,
    engine: AsyncEngine,
    make_actor: MakeActor,
    recipient_body: dict[str, Any],
) -> None:
    old, new, index = key(), key(), key()

    def settings(keks: str) -> Settings:
        return Settings(
            env="test",
            database_url=migrated_url,
            log_json=True,
            encryption_keks=keks,
            encryption_index_key=index,
        )

    async def serving(keks: str) -> tuple[Any, httpx.AsyncClient]:
        app = create_app(settings(keks))
        return app, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://backend"
        )

    app, client = await serving(f"2026a={old}")
    async with client:
        world = await make_world(client, make_actor, recipient_body)
    await app.state.engine.dispose()
    (conditions,) = (await raw(engine, "SELECT conditions FROM care_recipients"))[0]
    assert_sealed(conditions, "2026a")

    # Step 1: the new KEK first, the old one still listed. Old rows read, new rows use 2027a.
    app, client = await serving(f"2027a={new},2026a={old}")
    family = world["family"]
    async with client:
        second = await client.post(
            "/v1/recipients", json={**recipient_body, "notes": "새 메모"}, headers=family.headers
        )
        assert second.status_code == 201
        fresh = await sealed_notes(engine, second.json()["id"])
        assert_sealed(fresh, "2027a")

        # Step 2: `python -m homecare_backend.keys rewrap` while requests keep being answered.
        env = {
            **os.environ,
            "HOMECARE_ENV": "test",
            "HOMECARE_DATABASE_URL": migrated_url,
            "HOMECARE_ENCRYPTION_KEKS": f"2027a={new},2026a={old}",
            "HOMECARE_ENCRYPTION_INDEX_KEY": index,
        }
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homecare_backend.keys",
            "rewrap",
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        answers: list[int] = []
        while command.returncode is None:
            for path in (
                f"/v1/recipients/{world['recipient']}",
                f"/v1/bookings/{world['booking']}",
            ):
                answers.append((await client.get(path, headers=family.headers)).status_code)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(command.wait(), 0.05)
        output = (await command.stdout.read()).decode() if command.stdout else ""
        assert command.returncode == 0, output
        assert answers
        assert set(answers) == {200}
    await app.state.engine.dispose()
    assert '"rewrapped"' in output
    for sql in COLUMNS.values():
        for (value,) in await raw(engine, sql):
            assert_sealed(value, "2027a")

    # Step 3: the old KEK dropped; everything still reads.
    app, client = await serving(f"2027a={new}")
    async with client:
        shown = await client.get(f"/v1/recipients/{world['recipient']}", headers=family.headers)
        assert shown.status_code == 200
        assert shown.json()["notes"] == "당뇨 식단"
        booking = await client.get(f"/v1/bookings/{world['booking']}", headers=family.headers)
        assert booking.json()["notes"] == "현관 비밀번호 1234"
    await app.state.engine.dispose()


def test_the_migration_encrypts_existing_rows_and_reverts(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    migrate.upgrade(url, "0007_care_requests")
    engine = create_engine(migrate.sync_url(url))
    family = factories.user_row(Role.FAMILY)
    caregiver = factories.user_row(Role.CAREGIVER)
    recipient_id, profile_id = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        # Rows as the previous schema stored them (plain SQL: today's models would encrypt).
        for user in (family, caregiver):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, display_name) "
                    "VALUES (:id, :email, 'x', :role, 'n')"
                ),
                {"id": user["id"], "email": user["email"], "role": user["role"].value},
            )
        conn.execute(
            text(
                "INSERT INTO care_recipients (id, family_id, name, birth_year, address, latitude,"
                " longitude, conditions, notes) VALUES (:id, :family, '김', 1940, '서울', 37.5,"
                " 127.0, '{diabetes,dementia}', '당뇨 식단')"
            ),
            {"id": recipient_id, "family": family["id"]},
        )
        conn.execute(
            text(
                "INSERT INTO caregiver_profiles (id, user_id, licence_number, verification_status,"
                " gender, skills, languages, latitude, longitude, service_radius_km,"
                " hourly_rate_krw) VALUES (:id, :user, '2026-424242', 'verified', 'female',"
                " '{dementia}', '{ko}', 37.5, 127.0, 10, 15000)"
            ),
            {"id": profile_id, "user": caregiver["id"]},
        )
    migrate.upgrade(url)
    ring = encryption.current()
    with engine.connect() as conn:
        conditions, notes = conn.execute(
            text("SELECT conditions, notes FROM care_recipients")
        ).one()
        licence = conn.execute(text("SELECT licence_number FROM caregiver_profiles")).scalar_one()
    for value in (conditions, notes, licence):
        assert_sealed(value)
    assert encryption.decrypt(ring, notes, "care_recipients.notes") == "당뇨 식단"
    opened = encryption.decrypt(ring, conditions, "care_recipients.conditions")
    assert json.loads(opened) == ["diabetes", "dementia"]
    assert encryption.decrypt(ring, licence, "caregiver_profiles.licence_number") == "2026-424242"
    # The ORM reads the migrated rows.
    with engine.connect() as conn:
        profile = conn.execute(CaregiverProfile.__table__.select()).one()
        assert profile.licence_number == "2026-424242"
        conn.execute(insert(User).values(factories.user_row(Role.FAMILY)))

    migrate.downgrade(url, "0007_care_requests")
    with engine.connect() as conn:
        conditions, notes = conn.execute(
            text("SELECT conditions, notes FROM care_recipients")
        ).one()
        licence = conn.execute(text("SELECT licence_number FROM caregiver_profiles")).scalar_one()
    engine.dispose()
    assert (conditions, notes, licence) == (["diabetes", "dementia"], "당뇨 식단", "2026-424242")
