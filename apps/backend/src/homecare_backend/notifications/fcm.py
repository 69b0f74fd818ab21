"""Firebase Cloud Messaging HTTP v1 client.

Auth: an OAuth2 access token from the service account (JWT bearer grant, RS256, cached until
shortly before expiry). Send: `POST {base}/v1/projects/{project}/messages:send`.
`404 UNREGISTERED` (and `400` with `INVALID_ARGUMENT` on the token) mean the token is gone;
429 and 5xx are retried with backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from homecare_backend.notifications.push import (
    PushMessage,
    PushResult,
    RetryPolicy,
    send_with_retry,
)
from homecare_shared.logging import get_logger

log = get_logger("homecare.push.fcm")
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GONE_ERRORS = frozenset({"UNREGISTERED"})


@dataclass(frozen=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str
    private_key_id: str
    token_uri: str

    @classmethod
    def from_json(cls, raw: str) -> ServiceAccount:
        try:
            data = json.loads(raw)
            return cls(
                project_id=data["project_id"],
                client_email=data["client_email"],
                private_key=data["private_key"],
                private_key_id=data.get("private_key_id", ""),
                token_uri=data.get("token_uri", "https://oauth2.googleapis.com/token"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                "HOMECARE_FCM_CREDENTIALS must be the Firebase service-account JSON "
                "(with project_id, client_email, private_key)"
            ) from exc


def fcm_error_code(response: httpx.Response) -> str | None:
    try:
        details = response.json()["error"].get("details", [])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    for detail in details:
        if isinstance(detail, dict) and "errorCode" in detail:
            return str(detail["errorCode"])
    return None


class FcmClient:
    def __init__(
        self,
        account: ServiceAccount,
        http: httpx.AsyncClient,
        base_url: str = "https://fcm.googleapis.com",
        retry: RetryPolicy | None = None,
    ) -> None:
        self.account = account
        self.http = http
        self.url = f"{base_url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self.retry = retry or RetryPolicy()
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def _access_token(self, force: bool = False) -> str:
        async with self._token_lock:  # concurrent sends share one grant
            if not force and self._token and time.time() < self._token_expires - 60:
                return self._token
            return await self._grant()

    async def _grant(self) -> str:
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": self.account.client_email,
                "scope": SCOPE,
                "aud": self.account.token_uri,
                "iat": now,
                "exp": now + 3600,
            },
            self.account.private_key,
            algorithm="RS256",
            headers={"kid": self.account.private_key_id} if self.account.private_key_id else None,
        )
        response = await self.http.post(
            self.account.token_uri,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.time() + float(body.get("expires_in", 3600))
        return self._token

    async def send(self, token: str, message: PushMessage) -> PushResult:
        body = {
            "message": {
                "token": token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
            }
        }
        refreshed = False

        async def attempt() -> httpx.Response:
            nonlocal refreshed
            access = await self._access_token()
            response = await self.http.post(
                self.url, json=body, headers={"Authorization": f"Bearer {access}"}
            )
            if response.status_code == 401 and not refreshed:
                refreshed = True
                access = await self._access_token(force=True)
                response = await self.http.post(
                    self.url, json=body, headers={"Authorization": f"Bearer {access}"}
                )
            return response

        try:
            response = await send_with_retry(attempt, self.retry)
        except httpx.HTTPError as exc:
            log.warning("fcm_auth_failed", error=str(exc))
            return PushResult.FAILED
        if response is None:
            return PushResult.FAILED
        if response.status_code == 200:
            return PushResult.DELIVERED
        code = fcm_error_code(response)
        if response.status_code == 404 and code in GONE_ERRORS:
            return PushResult.GONE
        log.warning("fcm_send_failed", status=response.status_code, error_code=code)
        return PushResult.FAILED
