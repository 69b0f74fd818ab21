from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedText


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"  # only verified caregivers are matchable
    REJECTED = "rejected"


class CaregiverProfile(Base):
    """A 요양보호사: licence, work area and skills. Read directly by the matching service
    (column names and types are a contract, see apps/backend/README.md)."""

    __tablename__ = "caregiver_profiles"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("service_radius_km > 0 AND service_radius_km <= 100", name="radius_range"),
        CheckConstraint("hourly_rate_krw >= 0", name="rate_non_negative"),
        CheckConstraint("gender IN ('female','male')", name="gender_known"),
        CheckConstraint(
            "verification_status IN ('pending','verified','rejected')", name="verification_known"
        ),
        CheckConstraint("rating_avg IS NULL OR rating_avg BETWEEN 0 AND 5", name="rating_range"),
        CheckConstraint("rating_count >= 0", name="rating_count_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    licence_number: Mapped[str] = mapped_column(EncryptedText("caregiver_profiles.licence_number"))
    verification_status: Mapped[str] = mapped_column(
        String(20), default=VerificationStatus.PENDING, server_default="pending"
    )
    verification_note: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gender: Mapped[str] = mapped_column(String(10))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), server_default="{}")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    service_radius_km: Mapped[float] = mapped_column(Float)
    hourly_rate_krw: Mapped[int] = mapped_column(Integer)
    rating_avg: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CaregiverWeeklySlot(Base):
    """Recurring availability: weekday 0=Monday … 6=Sunday, Asia/Seoul local times."""

    __tablename__ = "caregiver_weekly_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    caregiver_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    start_time: Mapped[time] = mapped_column(Time, primary_key=True)
    end_time: Mapped[time] = mapped_column(Time)


class CaregiverDayOff(Base):
    """An exception to the weekly slots: the caregiver does not work on `day` (Asia/Seoul)."""

    __tablename__ = "caregiver_days_off"

    caregiver_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(200))
