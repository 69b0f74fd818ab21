"""Push clients against local contract servers that answer like FCM HTTP v1 and a Web Push
service: OAuth2 JWT grant, 404 UNREGISTERED → token deleted, 429/5xx → retried with backoff,
RFC 8291 payload the push service can decrypt, RFC 8292 VAPID signature it can verify."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import http_ece
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.notifications.dispatcher import Dispatcher, Pushers
from homecare_backend.notifications.fcm import FcmClient, ServiceAccount
from homecare_backend.notifications.outbox import notify_user
from homecare_backend.notifications.push import PushMessage, PushResult, RetryPolicy
from homecare_backend.notifications.webpush import (
    WebPushClient,
    b64url_decode,
    b64url_encode,
    load_vapid_key,
    public_key_b64,
)
from homecare_backend.users.models import Role

FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)
UNREGISTERED = {
    "error": {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
        "details": [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }
        ],
    }
}


class FakeFcm:
    """Answers like FCM: token endpoint + messages:send, scripted per registration token."""

    def __init__(self, public_key: Any) -> None:
        self.public_key = public_key
        self.sends: Counter[str] = Counter()
        self.delivered: list[dict[str, Any]] = []
        self.token_grants = 0
        self.base_url = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route("/v1/projects/demo-project/messages:send", self.send, methods=["POST"]),
            ]
        )

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        claims = jwt.decode(
            str(form["assertion"]),
            self.public_key,
            algorithms=["RS256"],
            audience=f"{self.base_url}/token",
        )
        assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
        assert claims["iss"] == "push@demo-project.iam.gserviceaccount.com"
        self.token_grants += 1
        return JSONResponse({"access_token": "ya29.contract", "expires_in": 3600})

    async def send(self, request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer ya29.contract":
            return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
        message = (await request.json())["message"]
        token = message["token"]
        self.sends[token] += 1
        attempt = self.sends[token]
        if token.startswith("gone"):
            return JSONResponse(UNREGISTERED, 404)
        if token.startswith("flaky") and attempt == 1:
            return JSONResponse({"error": {"code": 429}}, 429, headers={"Retry-After": "0"})
        if token.startswith("flaky") and attempt == 2:
            return JSONResponse({"error": {"code": 503, "status": "UNAVAILABLE"}}, 503)
        if token.startswith("broken"):
            return JSONResponse({"error": {"code": 500, "status": "INTERNAL"}}, 500)
        self.delivered.append(message)
        return JSONResponse({"name": f"projects/demo-project/messages/{len(self.delivered)}"})


def service_account(base_url: str, key: rsa.RSAPrivateKey) -> ServiceAccount:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ServiceAccount.from_json(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "demo-project",
                "private_key_id": "key-1",
                "private_key": pem,
                "client_email": "push@demo-project.iam.gserviceaccount.com",
                "token_uri": f"{base_url}/token",
            }
        )
    )


async def test_fcm_unregistered_token_is_deleted_and_transient_errors_retried(
    client: httpx.AsyncClient,
    make_actor: Callable[..., Awaitable[Any]],
    engine: AsyncEngine,
    migrated_url: str,
    serve_asgi: Callable[[Any], Awaitable[str]],
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake = FakeFcm(key.public_key())
    fake.base_url = await serve_asgi(fake.app())
    user = await make_actor(Role.FAMILY)
    for token in ("good-device-token", "gone-device-token", "flaky-device-token"):
        r = await client.post(
            "/v1/devices", json={"platform": "fcm", "token": token}, headers=user.headers
        )
        assert r.status_code == 201
    async with AsyncSession(engine) as session:
        await notify_user(session, user.user_id, "booking.status_changed", {"status": "confirmed"})
        await session.commit()
    async with httpx.AsyncClient(timeout=5) as http:
        fcm = FcmClient(service_account(fake.base_url, key), http, fake.base_url, FAST)
        dispatcher = Dispatcher(engine, migrated_url, Pushers(fcm=fcm))
        assert await dispatcher.drain() == 1
        await dispatcher.wait_for_pushes()
    assert fake.sends == {"good-device-token": 1, "gone-device-token": 1, "flaky-device-token": 3}
    assert sorted(m["token"] for m in fake.delivered) == ["flaky-device-token", "good-device-token"]
    assert fake.delivered[0]["data"]["status"] == "confirmed"
    assert fake.token_grants == 1  # the OAuth token is cached across sends
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT token FROM device_tokens ORDER BY token"))).all()
    assert [row[0] for row in left] == ["flaky-device-token", "good-device-token"]


async def test_fcm_gives_up_after_retries(serve_asgi: Callable[[Any], Awaitable[str]]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake = FakeFcm(key.public_key())
    fake.base_url = await serve_asgi(fake.app())
    async with httpx.AsyncClient(timeout=5) as http:
        fcm = FcmClient(service_account(fake.base_url, key), http, fake.base_url, FAST)
        result = await fcm.send("broken-device-token", PushMessage("t", "b"))
    assert result is PushResult.FAILED
    assert fake.sends["broken-device-token"] == FAST.attempts


def test_backoff_honours_retry_after_and_grows() -> None:
    policy = RetryPolicy(attempts=5, base_delay_s=1, max_delay_s=8)
    assert policy.delay(0, "3") == 3
    assert policy.delay(0, "120") == 8
    assert 0.5 <= policy.delay(0, None) <= 1
    assert 4 <= policy.delay(3, None) <= 8


async def test_webpush_payload_decrypts_and_vapid_verifies(
    serve_asgi: Callable[[Any], Awaitable[str]],
) -> None:
    ua_key = ec.generate_private_key(ec.SECP256R1())
    ua_public = ua_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth_secret = os.urandom(16)
    received: list[dict[str, Any]] = []
    base = ""

    async def push(request: Request) -> Response:
        if request.path_params["sub"] == "gone":
            return Response(status_code=410)
        scheme, _, params = request.headers["authorization"].partition(" ")
        assert scheme == "vapid"
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        vapid_public = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), b64url_decode(fields["k"])
        )
        claims = jwt.decode(fields["t"], vapid_public, algorithms=["ES256"], audience=base)
        assert request.headers["content-encoding"] == "aes128gcm"
        plaintext = http_ece.decrypt(
            await request.body(), private_key=ua_key, auth_secret=auth_secret, version="aes128gcm"
        )
        received.append({"claims": claims, "payload": json.loads(plaintext)})
        return Response(status_code=201)

    base = await serve_asgi(Starlette(routes=[Route("/push/{sub}", push, methods=["POST"])]))
    vapid = ec.generate_private_key(ec.SECP256R1())
    async with httpx.AsyncClient(timeout=5) as http:
        client = WebPushClient(vapid, "mailto:ops@homecare.example.kr", http, FAST)
        message = PushMessage("예약 확정", "내일 09:00", {"booking_id": "b1"})
        ok = await client.send(
            f"{base}/push/abc", b64url_encode(ua_public), b64url_encode(auth_secret), message
        )
        gone = await client.send(
            f"{base}/push/gone", b64url_encode(ua_public), b64url_encode(auth_secret), message
        )
    assert ok is PushResult.DELIVERED
    assert gone is PushResult.GONE
    assert received[0]["payload"] == {
        "title": "예약 확정",
        "body": "내일 09:00",
        "data": {"booking_id": "b1"},
    }
    assert received[0]["claims"]["sub"] == "mailto:ops@homecare.example.kr"


async def test_vapid_public_key_route(
    migrated_url: str, make_actor: Callable[..., Awaitable[Any]]
) -> None:
    """Browsers subscribe with the key the server signs with; off without a configured key."""
    private = ec.generate_private_key(ec.SECP256R1())
    scalar = b64url_encode(private.private_numbers().private_value.to_bytes(32, "big"))
    family = await make_actor(Role.FAMILY)
    for overrides, expected in (
        ({"vapid_private_key": scalar}, public_key_b64(load_vapid_key(scalar))),
        ({}, None),
    ):
        app = create_app(Settings(env="test", database_url=migrated_url, **overrides))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            anonymous = await http.get("/v1/push/vapid-public-key")
            response = await http.get("/v1/push/vapid-public-key", headers=family.headers)
        await app.state.hub.close()
        await app.state.engine.dispose()
        assert anonymous.status_code == 401
        assert response.status_code == 200
        assert response.json() == {"enabled": expected is not None, "public_key": expected}
        if expected is not None:
            # An uncompressed P-256 point: what PushManager.subscribe accepts.
            point = b64url_decode(expected)
            assert point[0] == 4
            assert len(point) == 65
