from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # created; the family has not approved it at the provider yet
    CONFIRMING = "confirming"  # confirm sent, outcome unknown (timeout): reconcile
    PAID = "paid"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Payment(Base):
    """The family's share of one booking, charged through a provider. `order_id` is what the
    provider knows us by; `amount_krw` is computed by the server from the billing rules."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_krw > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_krw >= 0 AND refunded_krw <= amount_krw", name="refund_within_amount"
        ),
        CheckConstraint(
            "refund_due_krw >= 0 AND refund_due_krw <= amount_krw - refunded_krw",
            name="refund_due_within_balance",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="RESTRICT"), unique=True
    )
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    payment_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    amount_krw: Mapped[int] = mapped_column(Integer)
    # The 장기요양 table year that priced amount_krw; provisional when the visit's year had no
    # table yet (settlement prices it again and refunds a lower share: decision 0014).
    table_year: Mapped[int | None] = mapped_column(Integer)
    priced_provisionally: Mapped[bool] = mapped_column(
        Boolean, server_default="false", default=False
    )
    refunded_krw: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    refunds_made: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    # A refund decided (committed with the cancellation) but not yet confirmed by the provider.
    refund_due_krw: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    refund_reason: Mapped[str] = mapped_column(String(200), server_default="", default="")
    # Bumped after a definitive provider refusal, so the next confirm is a new provider request.
    attempt: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    status: Mapped[PaymentStatus] = mapped_column(
        Enum(PaymentStatus, name="payment_status", values_callable=lambda e: [m.value for m in e]),
        default=PaymentStatus.PENDING,
    )
    provider_status: Mapped[str | None] = mapped_column(String(30))
    failure_code: Mapped[str | None] = mapped_column(String(60))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
