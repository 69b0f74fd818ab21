"""The payment-provider interface the payments service talks to (Toss in production, `manual`
in dev), and the provider's view of one payment.

Amounts are integer KRW. A provider error says whether the payment is known not to have gone
through (`charged=False`: safe to retry with a new attempt) or whether the outcome is unknown
(`ProviderUnavailableError`: a timeout or repeated 5xx — reconcile by fetching the payment).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class ProviderStatus(enum.StrEnum):
    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    DONE = "DONE"
    CANCELED = "CANCELED"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class ProviderCancel:
    amount: int
    reason: str
    canceled_at: datetime | None = None
    transaction_key: str | None = None


@dataclass(frozen=True)
class ProviderPayment:
    payment_key: str
    order_id: str
    status: ProviderStatus
    total_amount: int
    balance_amount: int
    approved_at: datetime | None = None
    cancels: tuple[ProviderCancel, ...] = field(default_factory=tuple)

    @property
    def charged(self) -> bool:
        return self.status in (
            ProviderStatus.DONE,
            ProviderStatus.PARTIAL_CANCELED,
            ProviderStatus.CANCELED,
        )


class ProviderError(Exception):
    """The provider answered with an error it documents (e.g. ALREADY_PROCESSED_PAYMENT)."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message

    @property
    def temporary(self) -> bool:
        """The provider asks to try again later; the payment did not go through."""
        return self.code in ("PROVIDER_ERROR", "FAILED_INTERNAL_SYSTEM_PROCESSING")


class ProviderUnavailableError(Exception):
    """No answer we can trust (timeouts, connection errors, 5xx after the retries)."""


class PaymentProvider(Protocol):
    name: str

    async def confirm(
        self, payment_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderPayment: ...

    async def cancel(
        self, payment_key: str, reason: str, amount: int | None, idempotency_key: str
    ) -> ProviderPayment: ...

    async def get(self, payment_key: str) -> ProviderPayment | None: ...

    async def aclose(self) -> None: ...
