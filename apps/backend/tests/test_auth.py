"""Accounts: Argon2id, login that does not reveal accounts, refresh rotation and reuse, logout,
password change, login throttling per account and per IP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from homecare_backend.main import create_app
from homecare_backend.models import RefreshToken, User

SIGNUP = {
    "email": "Kim.Family@Example.kr",
    "password": "correct-horse-2026",
    "display_name": "김보호",
    "role": "family",
}


async def signup_and_login(client: httpx.AsyncClient) -> dict[str, Any]:
    assert (await client.post("/v1/auth/signup", json=SIGNUP)).status_code == 201
    response = await client.post(
        "/v1/auth/login", json={"email": "kim.family@example.kr", "password": SIGNUP["password"]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_signup_login_me(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    pair = await signup_and_login(client)
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900
    me = await client.get("/v1/me", headers=bearer(pair))
    assert me.status_code == 200
    assert me.json()["email"] == "kim.family@example.kr"
    assert me.json()["role"] == "family"
    async with engine.connect() as conn:
        stored = (await conn.execute(select(User.password_hash))).scalar_one()
        token_hash = (await conn.execute(select(RefreshToken.token_hash))).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert pair["refresh_token"] not in token_hash  # only the SHA-256 is stored
    assert len(token_hash) == 64


async def test_duplicate_signup_is_409(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/auth/signup", json=SIGNUP)).status_code == 201
    again = await client.post("/v1/auth/signup", json={**SIGNUP, "email": "KIM.family@example.kr"})
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


async def test_signup_cannot_create_admins(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/signup", json={**SIGNUP, "role": "platform_admin"})
    assert response.status_code == 422


async def test_unknown_email_and_wrong_password_look_the_same(client: httpx.AsyncClient) -> None:
    await client.post("/v1/auth/signup", json=SIGNUP)
    wrong = await client.post(
        "/v1/auth/login", json={"email": SIGNUP["email"], "password": "wrong-password-1"}
    )
    unknown = await client.post(
        "/v1/auth/login", json={"email": "nobody@example.kr", "password": "wrong-password-1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert strip(wrong)["code"] == "invalid_credentials"


async def test_missing_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = await client.get("/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
    assert forged.json()["code"] == "invalid_token"


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = await signup_and_login(client)
    second = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await client.get("/v1/me", headers=bearer(rotated))).status_code == 200

    # An attacker replays the old (rotated) token: refused, and the whole family is revoked.
    replay = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    legit = await client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert legit.status_code == 401
    assert legit.json()["code"] == "invalid_refresh_token"


async def test_reuse_does_not_touch_other_sessions(client: httpx.AsyncClient) -> None:
    phone = await signup_and_login(client)
    laptop = (
        await client.post(
            "/v1/auth/login", json={"email": SIGNUP["email"], "password": SIGNUP["password"]}
        )
    ).json()
    await client.post("/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    await client.post("/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})  # reuse
    other = await client.post("/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert other.status_code == 200


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    pair = await signup_and_login(client)
    assert (
        await client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    ).status_code == 204
    after = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401


async def test_password_change_ends_every_session(client: httpx.AsyncClient) -> None:
    pair = await signup_and_login(client)
    wrong = await client.post(
        "/v1/auth/password",
        json={"current_password": "not-my-password", "new_password": "a-new-passphrase-99"},
        headers=bearer(pair),
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"
    changed = await client.post(
        "/v1/auth/password",
        json={"current_password": SIGNUP["password"], "new_password": "a-new-passphrase-99"},
        headers=bearer(pair),
    )
    assert changed.status_code == 204
    old_access = await client.get("/v1/me", headers=bearer(pair))
    assert old_access.status_code == 401
    assert old_access.json()["code"] == "token_revoked"
    old_refresh = await client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert old_refresh.status_code == 401
    old_login = await client.post(
        "/v1/auth/login", json={"email": SIGNUP["email"], "password": SIGNUP["password"]}
    )
    assert old_login.status_code == 401
    new_login = await client.post(
        "/v1/auth/login", json={"email": SIGNUP["email"], "password": "a-new-passphrase-99"}
    )
    assert new_login.status_code == 200


async def test_account_is_throttled_after_repeated_failures(client: httpx.AsyncClient) -> None:
    await client.post("/v1/auth/signup", json=SIGNUP)
    for _ in range(5):
        failed = await client.post(
            "/v1/auth/login", json={"email": SIGNUP["email"], "password": "guess-guess-1"}
        )
        assert failed.status_code == 401
    blocked = await client.post(
        "/v1/auth/login", json={"email": SIGNUP["email"], "password": SIGNUP["password"]}
    )
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "login_rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 900
    # Another account from the same IP is not blocked by this account's failures.
    await client.post("/v1/auth/signup", json={**SIGNUP, "email": "other@example.kr"})
    other = await client.post(
        "/v1/auth/login", json={"email": "other@example.kr", "password": SIGNUP["password"]}
    )
    assert other.status_code == 200


async def test_ip_is_throttled_across_accounts(
    migrated_url: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(migrated_url, login_max_attempts_per_ip=3))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as c:
        for i in range(3):
            r = await c.post(
                "/v1/auth/login", json={"email": f"user{i}@example.kr", "password": "whatever-1"}
            )
            assert r.status_code == 401
        blocked = await c.post(
            "/v1/auth/login", json={"email": "user9@example.kr", "password": "whatever-1"}
        )
    other_ip = httpx.ASGITransport(app=app, client=("198.51.100.1", 5000))
    async with httpx.AsyncClient(transport=other_ip, base_url="http://b") as c:
        fine = await c.post(
            "/v1/auth/login", json={"email": "user9@example.kr", "password": "whatever-1"}
        )
    await app.state.engine.dispose()
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert fine.status_code == 401
