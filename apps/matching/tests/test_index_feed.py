"""The index follows the backend's database: initial load, NOTIFY within 2 s, resync."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from homecare_matching.config import Settings
from homecare_matching.main import create_app

SEOUL_CITY_HALL = (37.5665, 126.978)


def _match_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "latitude": SEOUL_CITY_HALL[0],
        "longitude": SEOUL_CITY_HALL[1],
        "windows": [{"start": "2030-01-07T10:00:00+09:00", "end": "2030-01-07T12:00:00+09:00"}],
        "required_skills": ["meal"],
        "k": 10,
    }
    return {**body, **overrides}


async def _ids(matching: Any) -> list[str]:
    answer = await matching.client.post("/v1/match", json=_match_body())
    assert answer.status_code == 200, answer.text
    return [r["caregiver_id"] for r in answer.json()["results"]]


async def test_edits_are_matchable_within_two_seconds(
    backend_db: Any, wait_until: Callable[..., Any]
) -> None:
    # written before the service starts, without NOTIFY: only the initial load can see them
    first = await backend_db.add_caregiver(notify=False)
    pending = await backend_db.add_caregiver(status="pending", notify=False)
    app = create_app(Settings(env="test", database_url=backend_db.url, index_retry_seconds=0.2))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching"
        ) as client,
    ):
        await _edits_become_matchable(backend_db, _Running(client), first, pending, wait_until)


class _Running:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client


async def _edits_become_matchable(
    backend_db: Any, matching: Any, first: str, pending: str, wait_until: Callable[..., Any]
) -> None:
    async def ready() -> bool:
        return (await matching.client.get("/readyz")).status_code == 200

    await wait_until(ready, 15)
    ids = await _ids(matching)
    assert first in ids
    assert pending not in ids  # only verified caregivers are matchable

    async def has(cid: str) -> bool:
        return cid in await _ids(matching)

    async def lacks(cid: str) -> bool:
        return cid not in await _ids(matching)

    added = await backend_db.add_caregiver(latitude=37.57, longitude=126.98)
    assert await wait_until(lambda: has(added), 2.0) < 2.0

    await backend_db.execute(
        "UPDATE caregiver_profiles SET verification_status = 'verified' WHERE id = $1",
        pending,
        notify=pending,
    )
    assert await wait_until(lambda: has(pending), 2.0) < 2.0

    # moving away (Busan) takes the caregiver out of Seoul results
    await backend_db.execute(
        "UPDATE caregiver_profiles SET latitude = 35.1796, longitude = 129.0756 WHERE id = $1",
        first,
        notify=first,
    )
    assert await wait_until(lambda: lacks(first), 2.0) < 2.0

    # a booking during the window blocks the caregiver
    await backend_db.execute(
        "INSERT INTO care_recipients (id, family_id, name, birth_year, address, latitude,"
        " longitude) SELECT gen_random_uuid(), u.id, 'r', 1940, 'a', 37.5, 127.0 FROM users u"
        " LIMIT 1",
    )
    await backend_db.execute(
        "INSERT INTO bookings (id, recipient_id, caregiver_id, start_at, end_at, status)"
        " SELECT gen_random_uuid(), r.id, $1, '2030-01-07T11:00:00+09:00',"
        " '2030-01-07T13:00:00+09:00', 'confirmed' FROM care_recipients r LIMIT 1",
        uuid.UUID(added),
        notify=added,
    )
    assert await wait_until(lambda: lacks(added), 2.0) < 2.0
    answer = await matching.client.post("/v1/match", json=_match_body())
    assert answer.json()["excluded"]["booked"] == 1


async def test_periodic_resync_catches_changes_without_notify(
    backend_db: Any, wait_until: Callable[..., Any]
) -> None:
    app = create_app(
        Settings(
            env="test",
            database_url=backend_db.url,
            index_resync_seconds=0.5,
            index_retry_seconds=0.2,
        )
    )
    async with app.router.lifespan_context(app):
        index = app.state.index

        async def loaded() -> bool:
            return bool(index.loaded)

        await wait_until(loaded, 15)
        silent = await backend_db.add_caregiver(notify=False)

        async def present() -> bool:
            return silent in index

        await wait_until(present, 5)
