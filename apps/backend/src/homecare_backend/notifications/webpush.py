"""Web Push client: RFC 8291 message encryption (aes128gcm) with RFC 8292 VAPID auth.

404/410 from the push service mean the subscription is gone (delete it); 429/5xx are retried
with backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from homecare_backend.notifications.push import (
    PushMessage,
    PushResult,
    RetryPolicy,
    send_with_retry,
)
from homecare_shared.logging import get_logger

log = get_logger("homecare.push.webpush")


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def load_vapid_key(raw: str) -> ec.EllipticCurvePrivateKey:
    """A PEM private key, or the raw 32-byte P-256 scalar in base64url (as web-push tools print)."""
    try:
        if raw.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(raw.encode(), password=None)
        else:
            key = ec.derive_private_key(
                int.from_bytes(b64url_decode(raw.strip()), "big"), ec.SECP256R1()
            )
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "HOMECARE_VAPID_PRIVATE_KEY must be a P-256 private key (PEM or base64url scalar)"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("HOMECARE_VAPID_PRIVATE_KEY must be an EC P-256 key")
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(raw)


class WebPushClient:
    def __init__(
        self,
        vapid_key: ec.EllipticCurvePrivateKey,
        subject: str,
        http: httpx.AsyncClient,
        retry: RetryPolicy | None = None,
        ttl_s: int = 24 * 3600,
    ) -> None:
        self.key = vapid_key
        self.public_key = public_key_b64(vapid_key)
        self.subject = subject
        self.http = http
        self.retry = retry or RetryPolicy()
        self.ttl_s = ttl_s

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.subject,
        }
        token = jwt.encode(claims, self.key, algorithm="ES256")
        return f"vapid t={token}, k={self.public_key}"

    def encrypt(self, payload: bytes, p256dh: str, auth: str) -> bytes:
        return http_ece.encrypt(  # type: ignore[no-any-return]
            payload,
            salt=os.urandom(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            dh=b64url_decode(p256dh),
            auth_secret=b64url_decode(auth),
            version="aes128gcm",
        )

    async def send(self, endpoint: str, p256dh: str, auth: str, message: PushMessage) -> PushResult:
        payload = json.dumps(
            {"title": message.title, "body": message.body, "data": message.data},
            ensure_ascii=False,
        ).encode()

        async def attempt() -> httpx.Response:
            return await self.http.post(
                endpoint,
                content=self.encrypt(payload, p256dh, auth),
                headers={
                    "Authorization": self._authorization(endpoint),
                    "Content-Encoding": "aes128gcm",
                    "Content-Type": "application/octet-stream",
                    "TTL": str(self.ttl_s),
                    "Urgency": "normal",
                },
            )

        response = await send_with_retry(attempt, self.retry)
        if response is None:
            return PushResult.FAILED
        if response.status_code in (200, 201, 202):
            return PushResult.DELIVERED
        if response.status_code in (404, 410):
            return PushResult.GONE
        log.warning("webpush_send_failed", status=response.status_code)
        return PushResult.FAILED
