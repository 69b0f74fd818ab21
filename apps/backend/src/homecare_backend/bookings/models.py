from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedText


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"  # no caregiver yet (dispatch waves may offer it)
    OFFERED = "offered"  # offered to one caregiver, who accepts or declines
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SETTLED = "settled"  # paid out / claimed: nothing changes any more
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED_BY_FAMILY = "cancelled_by_family"
    CANCELLED_BY_CAREGIVER = "cancelled_by_caregiver"
    NO_SHOW = "no_show"


class ServiceType(enum.StrEnum):
    HOME_CARE = "home_care"  # 방문요양
    BATHING = "bathing"  # 방문목욕
    COMPANION = "companion"  # 동행 (not insured: priced from the caregiver's rate)


# A caregiver cannot hold two overlapping visits in these states (enforced by the database).
ACTIVE_STATUSES = ("requested", "offered", "confirmed", "in_progress")
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)
_ALL_SQL = ", ".join(f"'{s.value}'" for s in BookingStatus)


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class BookingSeries(Base):
    """A recurring booking: a weekly pattern whose visits are `bookings` rows (`series_id`),
    materialised up to `materialised_until` (a rolling horizon the worker moves on)."""

    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        CheckConstraint("(end_date IS NULL) <> (visit_count IS NULL)", name="end_or_count"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), index=True
    )
    caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL"), index=True
    )
    service_type: Mapped[str] = mapped_column(String(20))
    # [{"weekday": 0, "start": "09:00", "duration_minutes": 120}, ...] in Asia/Seoul time
    slots: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    visit_count: Mapped[int | None] = mapped_column(Integer)
    materialised_until: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(server_default=text("true"), default=True)
    notes: Mapped[str] = mapped_column(EncryptedText("booking_series.notes"), server_default="")
    # Editing a series from a date on ends it the day before and continues in a new series.
    continues_series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Booking(Base):
    """One visit: a one-off booking, or one occurrence of a series."""

    __tablename__ = "bookings"
    # Server defaults (created_at, updated_at, notes) come back with the INSERT/UPDATE
    # (RETURNING), so a new booking needs no SELECT to be answered.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy reads the dict
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint(f"status IN ({_ALL_SQL})", name="status_known"),
        CheckConstraint(
            "service_type IN ('home_care', 'bathing', 'companion')", name="service_type_known"
        ),
        ExcludeConstraint(
            ("caregiver_id", "="),
            (text("tstzrange(start_at, end_at)"), "&&"),
            name="ex_bookings_caregiver_no_overlap",
            using="gist",
            where=text(f"status IN ({_ACTIVE_SQL})"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), index=True
    )
    caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL"), index=True
    )
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="CASCADE"), index=True
    )
    service_type: Mapped[str] = mapped_column(String(20), server_default="home_care")
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[BookingStatus] = mapped_column(
        Enum(
            BookingStatus,
            native_enum=False,
            create_constraint=False,
            length=30,
            values_callable=_values,
        ),
        default=BookingStatus.REQUESTED,
    )
    # The time actually served (set on start and completion): what billing prices.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Care notes (door codes, health details) are encrypted at rest.
    notes: Mapped[str] = mapped_column(EncryptedText("bookings.notes"), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
