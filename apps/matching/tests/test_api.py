"""HTTP contract of /v1/match and /v1/assign: validation, empty answers, readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from homecare_backend import migrate
from homecare_matching.config import Settings
from homecare_matching.main import create_app

WINDOW = {"start": "2030-01-07T10:00:00+09:00", "end": "2030-01-07T12:00:00+09:00"}
GOOD = {"latitude": 37.5665, "longitude": 126.978, "windows": [WINDOW], "k": 5}


@pytest.fixture
async def ready(
    backend_db: Any, matching: Any, wait_until: Callable[..., Any]
) -> tuple[Any, httpx.AsyncClient]:
    async def up() -> bool:
        return (await matching.client.get("/readyz")).status_code == 200

    await wait_until(up, 15)
    return backend_db, matching.client


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"windows": []}, "windows"),
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"required_skills": ["juggling"]}, "required_skills"),
        ({"preferred_languages": ["xx"]}, "preferred_languages"),
        ({"windows": [{"start": WINDOW["end"], "end": WINDOW["start"]}]}, "windows"),
        ({"windows": [{"start": "2030-01-07T10:00:00", "end": WINDOW["end"]}]}, "windows"),
        ({"max_distance_km": 0}, "max_distance_km"),
    ],
)
async def test_bad_input_is_a_422_problem(
    ready: tuple[Any, httpx.AsyncClient], change: dict[str, Any], field: str
) -> None:
    _, client = ready
    answer = await client.post("/v1/match", json={**GOOD, **change})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "validation_failed"
    assert field in problem["detail"]


async def test_nobody_can_serve_gives_empty_results_with_reasons(
    ready: tuple[Any, httpx.AsyncClient],
) -> None:
    db, client = ready
    near = await db.add_caregiver(latitude=37.57, longitude=126.98, skills=("meal",))
    await db.add_caregiver(latitude=35.18, longitude=129.07)  # Busan
    await db.add_caregiver(latitude=37.571, longitude=126.981, skills=("bathing",))

    async def loaded() -> bool:
        return (await client.post("/v1/match", json=GOOD)).json()["considered"] == 3

    await ready_wait(loaded)
    answer = await client.post("/v1/match", json={**GOOD, "required_skills": ["meal"]})
    assert [r["caregiver_id"] for r in answer.json()["results"]] == [near]
    nobody = await client.post("/v1/match", json={**GOOD, "required_skills": ["bedridden"]})
    assert nobody.status_code == 200
    body = nobody.json()
    assert body["results"] == []
    assert body["excluded"] == {"distance": 1, "skills": 2, "availability": 0, "booked": 0}
    sunday_night = {"start": "2030-01-06T23:00:00+09:00", "end": "2030-01-07T01:00:00+09:00"}
    off_hours = await client.post("/v1/match", json={**GOOD, "windows": [sunday_night]})
    assert off_hours.json()["excluded"]["availability"] == 2


async def ready_wait(predicate: Callable[[], Any]) -> None:
    for _ in range(100):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("index did not pick up the caregivers")


async def test_assign_over_http(ready: tuple[Any, httpx.AsyncClient]) -> None:
    db, client = ready
    a = await db.add_caregiver(latitude=37.57, longitude=126.98)
    b = await db.add_caregiver(latitude=37.60, longitude=127.00)

    async def loaded() -> bool:
        return (await client.post("/v1/match", json=GOOD)).json()["considered"] == 2

    await ready_wait(loaded)
    requests = [
        {**GOOD, "id": "visit-1", "latitude": 37.571, "longitude": 126.981},
        {**GOOD, "id": "visit-2", "latitude": 37.601, "longitude": 127.001},
        {**GOOD, "id": "visit-3", "latitude": 35.18, "longitude": 129.07},
    ]
    for r in requests:
        r.pop("k")
    answer = await client.post("/v1/assign", json={"requests": requests, "time_limit_s": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {(x["request_id"], x["caregiver_id"]) for x in body["assignments"]} == {
        ("visit-1", a),
        ("visit-2", b),
    }
    assert body["unassigned"] == ["visit-3"]
    assert body["optimal"] is True
    assert body["time_limit_reached"] is False
    duplicate = await client.post("/v1/assign", json={"requests": [requests[0], requests[0]]})
    assert duplicate.status_code == 422


async def test_not_ready_until_the_index_is_loaded(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    app = create_app(Settings(env="test", database_url=url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as client:
        # no lifespan entered: the index feed never ran
        readyz = await client.get("/readyz")
        assert readyz.status_code == 503
        assert "candidate index not loaded" in readyz.json()["reason"]
        early = await client.post("/v1/match", json=GOOD)
        assert early.status_code == 503
        assert early.json()["code"] == "index_loading"
    await app.state.engine.dispose()
