"""The `manual` provider for dev and `make up`: payments are approved in memory, nothing is
charged. It keeps Toss's semantics that the service relies on: one charge per payment key,
`ALREADY_PROCESSED_PAYMENT` on a second confirm with another key, replays by Idempotency-Key,
cancels bounded by the balance."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from homecare_backend.payments.provider import (
    ProviderCancel,
    ProviderError,
    ProviderPayment,
    ProviderStatus,
)


class ManualProvider:
    name = "manual"

    def __init__(self) -> None:
        self._payments: dict[str, ProviderPayment] = {}
        self._replies: dict[str, ProviderPayment | ProviderError] = {}
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        return None

    async def _replay(self, key: str) -> ProviderPayment | None:
        reply = self._replies.get(key)
        if isinstance(reply, ProviderError):
            raise reply
        return reply

    async def confirm(
        self, payment_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderPayment:
        async with self._lock:
            replay = await self._replay(f"confirm:{idempotency_key}")
            if replay is not None:
                return replay
            if payment_key in self._payments:
                error = ProviderError(400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
                self._replies[f"confirm:{idempotency_key}"] = error
                raise error
            payment = ProviderPayment(
                payment_key, order_id, ProviderStatus.DONE, amount, amount, datetime.now(UTC)
            )
            self._payments[payment_key] = payment
            self._replies[f"confirm:{idempotency_key}"] = payment
            return payment

    async def cancel(
        self, payment_key: str, reason: str, amount: int | None, idempotency_key: str
    ) -> ProviderPayment:
        async with self._lock:
            replay = await self._replay(f"cancel:{idempotency_key}")
            if replay is not None:
                return replay
            payment = self._payments.get(payment_key)
            if payment is None:
                raise ProviderError(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            if payment.status == ProviderStatus.CANCELED:
                raise ProviderError(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
            refund = payment.balance_amount if amount is None else amount
            if not 0 < refund <= payment.balance_amount:
                raise ProviderError(400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
            balance = payment.balance_amount - refund
            status = ProviderStatus.CANCELED if balance == 0 else ProviderStatus.PARTIAL_CANCELED
            cancel = ProviderCancel(refund, reason, datetime.now(UTC))
            payment = replace(
                payment, status=status, balance_amount=balance, cancels=(*payment.cancels, cancel)
            )
            self._payments[payment_key] = payment
            self._replies[f"cancel:{idempotency_key}"] = payment
            return payment

    async def get(self, payment_key: str) -> ProviderPayment | None:
        return self._payments.get(payment_key)
