"""Toss Payments core API client (confirm, cancel, get), over httpx.

- Basic auth: the secret key as the user name and an empty password (`base64("sk:")`).
- Every mutating call carries an `Idempotency-Key` (up to 300 characters, valid 15 days at
  Toss); a retry of the same call reuses it, so Toss answers a replay with the first response.
- Timeouts, connection errors, 5xx and "request with this key still processing" are retried
  with exponential backoff; when the retries run out the outcome is unknown and the caller gets
  `ProviderUnavailableError` (it reconciles by fetching the payment). Documented 4xx errors
  (`ALREADY_PROCESSED_PAYMENT`, `PROVIDER_ERROR`, ...) are raised as `ProviderError` at once.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from homecare_backend.payments.provider import (
    ProviderCancel,
    ProviderError,
    ProviderPayment,
    ProviderStatus,
    ProviderUnavailableError,
)
from homecare_shared.logging import get_logger

log = get_logger("homecare.payments.toss")
MAX_IDEMPOTENCY_KEY = 300
# Toss answers a second request with a key whose first request is still running with 409.
_RETRY_STATUS = {409, 429}


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def parse_payment(body: dict[str, Any]) -> ProviderPayment:
    cancels = tuple(
        ProviderCancel(
            amount=int(c["cancelAmount"]),
            reason=str(c.get("cancelReason", "")),
            canceled_at=_when(c.get("canceledAt")),
            transaction_key=c.get("transactionKey"),
        )
        for c in body.get("cancels") or ()
    )
    return ProviderPayment(
        payment_key=str(body["paymentKey"]),
        order_id=str(body["orderId"]),
        status=ProviderStatus(body["status"]),
        total_amount=int(body["totalAmount"]),
        balance_amount=int(body.get("balanceAmount", body["totalAmount"])),
        approved_at=_when(body.get("approvedAt")),
        cancels=cancels,
    )


class TossClient:
    name = "toss"

    def __init__(
        self,
        secret_key: str,
        base_url: str = "https://api.tosspayments.com",
        *,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        token = base64.b64encode(f"{secret_key}:".encode()).decode()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Basic {token}"},
            transport=transport,
        )
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {}
        if idempotency_key is not None:
            if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
                raise ValueError("Idempotency-Key must be 1–300 characters")
            headers["Idempotency-Key"] = idempotency_key
        last: str = "no attempt"
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = await self._http.request(method, path, json=json, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}"
                log.warning("toss.retry", path=path, attempt=attempt + 1, reason=last)
                continue
            if response.status_code >= 500 or response.status_code in _RETRY_STATUS:
                last = f"HTTP {response.status_code}"
                log.warning("toss.retry", path=path, attempt=attempt + 1, reason=last)
                continue
            return response
        raise ProviderUnavailableError(
            f"Toss {method} {path}: {last} after {self._attempts} attempts"
        )

    @staticmethod
    def _error(response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
            return ProviderError(response.status_code, str(body["code"]), str(body["message"]))
        except (ValueError, KeyError, TypeError):
            return ProviderError(response.status_code, "UNKNOWN", response.text[:200])

    async def confirm(
        self, payment_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderPayment:
        body = {"paymentKey": payment_key, "orderId": order_id, "amount": amount}
        response = await self._call(
            "POST", "/v1/payments/confirm", json=body, idempotency_key=idempotency_key
        )
        if response.status_code != 200:
            raise self._error(response)
        return parse_payment(response.json())

    async def cancel(
        self, payment_key: str, reason: str, amount: int | None, idempotency_key: str
    ) -> ProviderPayment:
        body: dict[str, Any] = {"cancelReason": reason}
        if amount is not None:
            body["cancelAmount"] = amount
        response = await self._call(
            "POST",
            f"/v1/payments/{quote(payment_key, safe='')}/cancel",
            json=body,
            idempotency_key=idempotency_key,
        )
        if response.status_code != 200:
            raise self._error(response)
        return parse_payment(response.json())

    async def get(self, payment_key: str) -> ProviderPayment | None:
        response = await self._call("GET", f"/v1/payments/{quote(payment_key, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._error(response)
        return parse_payment(response.json())
