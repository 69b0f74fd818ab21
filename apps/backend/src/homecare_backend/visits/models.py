from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id


class CheckKind(enum.StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


class TagResult(enum.StrEnum):
    NOT_REGISTERED = "not_registered"  # the home has no tag: nothing to match
    MATCH = "match"
    MISMATCH = "mismatch"
    MISSING = "missing"


class ExceptionReason(enum.StrEnum):
    OUTSIDE_GEOFENCE = "outside_geofence"
    TAG_MISSING = "tag_missing"
    TAG_MISMATCH = "tag_mismatch"
    CHECK_IN_FAR_FROM_START = "check_in_far_from_start"
    CHECK_OUT_WITHOUT_CHECK_IN = "check_out_without_check_in"


def _in(e: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{m.value}'" for m in e)


class VisitSite(Base):
    """A home's visit-verification settings, kept by the agency: the fence radius, how much of
    a fix's reported inaccuracy may widen it, and the tag (NFC/QR) code placed in the home —
    stored only as a digest salted with the recipient's id."""

    __tablename__ = "visit_sites"
    __table_args__ = (
        CheckConstraint("radius_m BETWEEN 20 AND 1000", name="radius_range"),
        CheckConstraint("accuracy_cap_m BETWEEN 0 AND 500", name="accuracy_cap_range"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), primary_key=True
    )
    radius_m: Mapped[int] = mapped_column(Integer)
    accuracy_cap_m: Mapped[int] = mapped_column(Integer)
    tag_digest: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class VisitCheck(Base):
    """One check-in or check-out with the fix as reported and what the server made of it."""

    __tablename__ = "visit_checks"
    __table_args__ = (
        # A visit has at most one check-in and one check-out (a double one is refused).
        UniqueConstraint("booking_id", "kind"),
        CheckConstraint(f"kind IN ({_in(CheckKind)})", name="kind_known"),
        CheckConstraint(f"tag IN ({_in(TagResult)})", name="tag_known"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("accuracy_m > 0", name="accuracy_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    device_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[float] = mapped_column(Float)
    allowed_m: Mapped[float] = mapped_column(Float)
    tag: Mapped[str] = mapped_column(String(20))


class VisitException(Base):
    """Something about a check the agency must review; never silently accepted."""

    __tablename__ = "visit_exceptions"
    __table_args__ = (
        CheckConstraint(f"reason IN ({_in(ExceptionReason)})", name="reason_known"),
        CheckConstraint("status IN ('open','accepted','rejected')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    check_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("visit_checks.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), server_default="open", default="open")
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str] = mapped_column(Text, server_default="", default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
