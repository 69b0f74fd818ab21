from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from homecare_backend.api import JsonInt
from homecare_backend.payments.models import PaymentStatus

PaymentKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-.:]+$")]


class PaymentsConfigOut(BaseModel):
    """What the SPA needs to open the provider's payment window. `toss_client_key` is Toss's
    public client key (never the secret key), null with the `manual` provider or when the
    server has none configured; `customer_key` identifies this account to Toss (not guessable,
    no personal data)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "toss",
                    "toss_client_key": "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq",
                    "customer_key": "hc-3f0c2a9e8d7b4c1a9e6f5d4c3b2a1f0e",
                }
            ]
        }
    )
    provider: Literal["manual", "toss"]
    toss_client_key: str | None
    customer_key: str


class PaymentOut(BaseModel):
    """The family's share of a booking. Pay it at the provider with `order_id` and
    `amount_krw` (the server's amount), then confirm with the provider's `payment_key`."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    booking_id: uuid.UUID
    order_id: str
    provider: str
    amount_krw: int
    table_year: int | None = Field(description="The 장기요양 table year that priced the amount")
    priced_provisionally: bool = Field(
        description="Priced with the latest table because the visit's year has none yet: the "
        "amount stays; settlement refunds a lower final share"
    )
    refunded_krw: int
    refund_due_krw: int
    status: PaymentStatus
    provider_status: str | None
    failure_code: str | None
    approved_at: datetime | None
    created_at: datetime


class ConfirmIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"payment_key": "tgen_20261201abcdef", "amount_krw": 6324}]}
    )
    payment_key: PaymentKey = Field(description="From the provider's payment window")
    amount_krw: JsonInt = Field(
        ge=1, le=100_000_000, description="Must equal the payment's amount_krw"
    )


class WebhookIn(BaseModel):
    """Toss `PAYMENT_STATUS_CHANGED`: only the keys are read; the payment is re-fetched."""

    model_config = ConfigDict(extra="allow")
    eventType: str = Field(max_length=100)  # noqa: N815 - Toss's field name
    data: dict[str, Any] = Field(default_factory=dict)


class WebhookOut(BaseModel):
    received: bool
