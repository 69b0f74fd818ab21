from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedText


class CareRequestStatus(enum.StrEnum):
    OPEN = "open"  # candidates stored; the family has not chosen yet
    OFFERED = "offered"  # the family picked a caregiver: the booking (or series) is offered
    DISPATCHING = "dispatching"  # offered in waves to the stored candidates
    CANCELLED = "cancelled"


_STATUS_SQL = ", ".join(f"'{s.value}'" for s in CareRequestStatus)


class CareRequest(Base):
    """A family's request for care for one recipient, with the ranked, explained candidates
    matching returned when it was made, and the booking or series it led to."""

    __tablename__ = "care_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        CheckConstraint("schedule_kind IN ('one_off', 'weekly')", name="schedule_kind_known"),
        CheckConstraint(
            "service_type IN ('home_care', 'bathing', 'companion')", name="service_type_known"
        ),
        CheckConstraint("max_distance_km BETWEEN 1 AND 50", name="max_distance_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), index=True
    )
    service_type: Mapped[str] = mapped_column(String(20))
    schedule_kind: Mapped[str] = mapped_column(String(10))
    # The schedule as the family gave it (`kind` one_off: start_at + duration_minutes; weekly:
    # slots, start_date, end_date | count), Asia/Seoul for weekly slots.
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    first_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    preferred_gender: Mapped[str | None] = mapped_column(String(10))
    preferred_languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), server_default="{}")
    max_distance_km: Mapped[int] = mapped_column(SmallInteger, server_default="10")
    notes: Mapped[str] = mapped_column(EncryptedText("care_requests.notes"), server_default="")
    status: Mapped[str] = mapped_column(String(20), default=CareRequestStatus.OPEN.value)
    # Matching's answer: [{rank, caregiver_id, score, distance_km, breakdown}], best first, and
    # how many caregivers it considered / excluded by which rule.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    considered: Mapped[int] = mapped_column(server_default="0")
    excluded: Mapped[dict[str, int]] = mapped_column(JSONB, server_default="{}")
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    chosen_caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL")
    )
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    dispatch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dispatches.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
