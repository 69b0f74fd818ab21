"""Fixtures: a migrated backend database with helpers that write caregivers the way the backend
does (rows + `pg_notify('homecare_caregiver_changed', id)` in the same transaction), and a running
matching app (lifespan entered, so the index feed is live)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from homecare_backend import migrate
from homecare_matching.config import Settings
from homecare_matching.loader import asyncpg_dsn
from homecare_matching.main import create_app


@dataclass
class BackendDb:
    url: str

    async def execute(self, sql: str, *args: Any, notify: str | None = None) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            async with conn.transaction():
                await conn.execute(sql, *args)
                if notify:
                    await conn.execute("SELECT pg_notify('homecare_caregiver_changed', $1)", notify)
        finally:
            await conn.close()

    async def add_caregiver(
        self,
        latitude: float = 37.5665,
        longitude: float = 126.978,
        status: str = "verified",
        skills: tuple[str, ...] = ("meal", "dementia"),
        radius_km: float = 10.0,
        notify: bool = True,
    ) -> str:
        user_id, caregiver_id = uuid.uuid4(), uuid.uuid4()
        conn = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO users (id, email, password_hash, role, display_name)"
                    " VALUES ($1, $2, 'x', 'caregiver', 'cg')",
                    user_id,
                    f"{user_id.hex}@test.homecare.kr",
                )
                await conn.execute(
                    "INSERT INTO caregiver_profiles (id, user_id, licence_number,"
                    " verification_status, gender, skills, languages, latitude, longitude,"
                    " service_radius_km, hourly_rate_krw, rating_avg, rating_count)"
                    " VALUES ($1, $2, 'L-1', $3, 'female', $4, '{ko}', $5, $6, $7, 15000,"
                    " 4.5, 10)",
                    caregiver_id,
                    user_id,
                    status,
                    list(skills),
                    latitude,
                    longitude,
                    radius_km,
                )
                for weekday in range(7):
                    await conn.execute(
                        "INSERT INTO caregiver_weekly_slots VALUES ($1, $2, '06:00', '22:00')",
                        caregiver_id,
                        weekday,
                    )
                if notify:
                    await conn.execute(
                        "SELECT pg_notify('homecare_caregiver_changed', $1)", str(caregiver_id)
                    )
        finally:
            await conn.close()
        return str(caregiver_id)


@pytest.fixture
def backend_db(fresh_database: Callable[[], str]) -> BackendDb:
    url = fresh_database()
    migrate.upgrade(url)
    return BackendDb(url)


async def _wait_until(predicate: Callable[[], Any], limit: float, step: float = 0.05) -> float:
    started = time.monotonic()
    while True:
        if await predicate():
            return time.monotonic() - started
        if time.monotonic() - started > limit:
            raise AssertionError(f"condition not met within {limit} s")
        await asyncio.sleep(step)


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """`await wait_until(async_predicate, timeout)`: seconds until true; fails after timeout."""
    return _wait_until


@dataclass
class RunningApp:
    app: FastAPI
    client: httpx.AsyncClient


@pytest.fixture
async def matching(backend_db: BackendDb) -> AsyncIterator[RunningApp]:
    app = create_app(Settings(env="test", database_url=backend_db.url, index_retry_seconds=0.2))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://matching") as client:
            yield RunningApp(app, client)
