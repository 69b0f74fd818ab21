"""Dispatch state lives in the database, so any backend replica (or a restart) can continue it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id


class DispatchStatus(enum.StrEnum):
    ACTIVE = "active"  # offers out or about to go out
    ACCEPTED = "accepted"  # a caregiver accepted; the booking has its caregiver
    EXHAUSTED = "exhausted"  # every ranked candidate declined or let the offer expire
    CANCELLED = "cancelled"


class OfferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # someone else accepted first, or the dispatch was cancelled


class Dispatch(Base):
    __tablename__ = "dispatches"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active','accepted','exhausted','cancelled')", name="status_known"
        ),
        CheckConstraint("wave_size BETWEEN 1 AND 20", name="wave_size_range"),
        CheckConstraint("offer_ttl_seconds > 0", name="ttl_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), default=DispatchStatus.ACTIVE)
    # Ranked caregiver ids from the matching service, fixed when the dispatch starts.
    candidate_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    next_candidate: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    wave: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    wave_size: Mapped[int] = mapped_column(SmallInteger)
    offer_ttl_seconds: Mapped[int] = mapped_column(Integer)
    accepted_caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DispatchOffer(Base):
    __tablename__ = "dispatch_offers"
    __table_args__ = (
        UniqueConstraint("dispatch_id", "caregiver_id"),
        CheckConstraint(
            "status IN ('pending','accepted','declined','expired','withdrawn')",
            name="status_known",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dispatch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dispatches.id", ondelete="CASCADE"), index=True
    )
    caregiver_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="CASCADE"), index=True
    )
    wave: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.PENDING)
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
