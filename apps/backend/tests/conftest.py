from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from homecare_backend import migrate
from homecare_backend.config import Settings
from homecare_backend.db import create_engine
from homecare_backend.main import create_app
from homecare_backend.models import Agency, Booking, CaregiverProfile, User
from homecare_backend.users.models import Role
from homecare_devtools.pytest_plugin import free_port
from homecare_testing import factories


@pytest.fixture
def migrated_url(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate.upgrade(url)
    return url


def make_settings(url: str, **overrides: Any) -> Settings:
    return Settings(env="test", database_url=url, log_json=True, **overrides)


@pytest.fixture
async def client(migrated_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(migrated_url))
    app.state.matcher = verified_caregivers(app.state.sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
        yield http
    await app.state.hub.close()
    await app.state.engine.dispose()


def verified_caregivers(sessions: async_sessionmaker[AsyncSession]) -> Any:
    """A stand-in for matching in `client` tests: every verified caregiver, oldest first, with
    a flat score (the real matching app ranks in test_care_requests.py)."""

    async def match(body: dict[str, Any]) -> dict[str, Any]:
        async with sessions() as session:
            ids = (
                await session.scalars(
                    select(CaregiverProfile.id)
                    .where(CaregiverProfile.verification_status == "verified")
                    .order_by(CaregiverProfile.id)
                    .limit(body["k"])
                )
            ).all()
        results = [
            {"caregiver_id": str(i), "score": 0.5, "distance_km": 1.0, "breakdown": {}} for i in ids
        ]
        return {"results": results, "considered": len(results), "excluded": {}}

    return match


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(migrated_url)
    yield eng
    await eng.dispose()


@dataclass
class Actor:
    user_id: uuid.UUID
    role: Role
    token: str
    email: str
    caregiver_id: uuid.UUID | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeActor = Callable[..., Awaitable[Actor]]


@pytest.fixture
def make_actor(engine: AsyncEngine) -> MakeActor:
    """Insert a user (and for caregivers a profile) directly; returns it with an access token."""

    async def make(
        role: Role,
        *,
        agency_id: uuid.UUID | None = None,
        verified: bool = True,
        latitude: float = 37.5,
        longitude: float = 127.0,
    ) -> Actor:
        user = factories.user_row(role, agency_id=agency_id)
        caregiver_id = None
        async with engine.begin() as conn:
            await conn.execute(insert(User).values(user))
            if role == Role.CAREGIVER:
                profile = factories.caregiver_profile_row(
                    user["id"],
                    agency_id=agency_id,
                    verified=verified,
                    latitude=latitude,
                    longitude=longitude,
                )
                await conn.execute(insert(CaregiverProfile).values(profile))
                caregiver_id = profile["id"]
        token = factories.access_token(user["id"], role)
        return Actor(user["id"], role, token, user["email"], caregiver_id)

    return make


M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180  # metres per degree of latitude


@dataclass
class Home:
    owner: Any
    viewer: Any
    stranger: Any
    caregiver: Any
    other_caregiver: Any
    agency_admin: Any
    other_agency_admin: Any
    recipient_id: str
    lat: float
    lon: float

    def fix(self, north_m: float = 0.0, accuracy_m: float = 10.0, **extra: Any) -> dict[str, Any]:
        return {
            "latitude": self.lat + north_m / M_PER_DEG_LAT,
            "longitude": self.lon,
            "accuracy_m": accuracy_m,
            "device_time": datetime.now(UTC).isoformat(),
            **extra,
        }


async def build_home(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> Home:
    agency, other_agency = await make_agency(), await make_agency()
    owner, viewer, stranger = [await make_actor(Role.FAMILY) for _ in range(3)]
    created = await client.post("/v1/recipients", json=recipient_body, headers=owner.headers)
    rid = created.json()["id"]
    invited = await client.post(
        f"/v1/recipients/{rid}/invitations", json={"email": viewer.email}, headers=owner.headers
    )
    await client.post(f"/v1/invitations/{invited.json()['id']}/accept", headers=viewer.headers)
    # The stranger has a recipient of their own (so "nobody else" is a family with events too).
    await client.post("/v1/recipients", json=recipient_body, headers=stranger.headers)
    return Home(
        owner,
        viewer,
        stranger,
        await make_actor(Role.CAREGIVER, agency_id=agency),
        await make_actor(Role.CAREGIVER, agency_id=other_agency),
        await make_actor(Role.AGENCY_ADMIN, agency_id=agency),
        await make_actor(Role.AGENCY_ADMIN, agency_id=other_agency),
        rid,
        recipient_body["latitude"],
        recipient_body["longitude"],
    )


async def insert_visit(
    engine: AsyncEngine,
    home: Home,
    *,
    starts_in: timedelta = timedelta(minutes=-5),
    duration: timedelta = timedelta(hours=2),
) -> str:
    """A confirmed visit of the home's caregiver starting `starts_in` from now."""
    start = datetime.now(UTC).replace(microsecond=0) + starts_in
    row = factories.booking_row(
        uuid.UUID(home.recipient_id),
        start_at=start,
        duration=duration,
        status="confirmed",
        caregiver_id=home.caregiver.caregiver_id,
    )
    async with engine.begin() as conn:
        await conn.execute(insert(Booking).values(row))
    return str(row["id"])


@pytest.fixture
async def home(
    client: httpx.AsyncClient,
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> Home:
    """A recipient shared by its owner with a viewer, an unrelated family (the stranger), the
    caregiver serving it and its agency's admin, another agency's caregiver and admin."""
    return await build_home(client, make_actor, make_agency, recipient_body)


@pytest.fixture
def make_home(
    make_actor: MakeActor,
    make_agency: Callable[[], Awaitable[uuid.UUID]],
    recipient_body: dict[str, Any],
) -> Callable[[httpx.AsyncClient], Awaitable[Home]]:
    """`home` built through another client (e.g. a live server's)."""

    async def make(client: httpx.AsyncClient) -> Home:
        return await build_home(client, make_actor, make_agency, recipient_body)

    return make


@pytest.fixture
def make_visit(engine: AsyncEngine) -> Callable[..., Awaitable[str]]:
    """`await make_visit(home, starts_in=..., duration=...)`: a confirmed visit of its caregiver."""

    async def make(home: Home, **kwargs: Any) -> str:
        return await insert_visit(engine, home, **kwargs)

    return make


@pytest.fixture
def make_agency(engine: AsyncEngine) -> Callable[[], Awaitable[uuid.UUID]]:
    async def make() -> uuid.UUID:
        agency = factories.agency_row()
        async with engine.begin() as conn:
            await conn.execute(insert(Agency).values(agency))
        agency_id: uuid.UUID = agency["id"]
        return agency_id

    return make


RECIPIENT = {
    "name": "한말순",
    "birth_year": 1938,
    "address": "서울 강남구 테헤란로 1",
    "latitude": 37.5008,
    "longitude": 127.0365,
    "care_grade": "3",
    "conditions": ["dementia"],
    "preferred_gender": "female",
    "preferred_languages": ["ko"],
    "notes": "",
}


@dataclass
class LiveServer:
    url: str
    app: Any
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 15)


async def start_live_server(settings: Settings) -> LiveServer:
    """The real app on a real port, in this event loop (lifespan runs: hub, dispatcher)."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    return LiveServer(f"http://127.0.0.1:{port}", app, server, task)


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def recipient_body() -> dict[str, Any]:
    return dict(RECIPIENT)


@pytest.fixture
async def live_servers() -> AsyncIterator[Callable[[Settings], Awaitable[LiveServer]]]:
    started: list[LiveServer] = []

    async def start(settings: Settings) -> LiveServer:
        server = await start_live_server(settings)
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


@pytest.fixture
async def serve_asgi() -> AsyncIterator[Callable[[Any], Awaitable[str]]]:
    """Serve any ASGI app (e.g. a push-service contract server) on a real port; returns its URL."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def serve(app: Any) -> str:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
