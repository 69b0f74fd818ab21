from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedText


class CareTask(enum.StrEnum):
    """Tasks of a care plan (장기요양 방문요양 서비스 내용), one checklist line each."""

    MEALS = "meals"  # 식사도움
    MEDICATION = "medication"  # 복약도움
    BATHING = "bathing"  # 목욕·세면
    MOBILITY = "mobility"  # 이동·체위변경
    TOILETING = "toileting"  # 화장실·배설
    HYGIENE = "hygiene"  # 구강·개인위생
    HOUSEKEEPING = "housekeeping"  # 청소·세탁
    COGNITIVE = "cognitive"  # 인지활동
    COMPANIONSHIP = "companionship"  # 말벗·정서지원


class CarePlan(Base):
    """The tasks a recipient's visits cover; each care log checks every one off (done or not)."""

    __tablename__ = "care_plans"

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), primary_key=True
    )
    tasks: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CareLog(Base):
    """A visit's care log (돌봄일지): the current version; every version is a revision."""

    __tablename__ = "care_logs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    caregiver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("caregiver_profiles.id", ondelete="SET NULL")
    )
    # JSON {"tasks": [{"task", "done", "note"}], "vitals": {...only those taken}, "notes": "..."}
    # in one column: health data, sealed as a whole (envelope encryption, see encryption.py).
    content: Mapped[str] = mapped_column(EncryptedText("care_logs.content"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CareLogRevision(Base):
    """Append-only history: each edit's full content, and each addendum after the cutoff."""

    __tablename__ = "care_log_revisions"
    __table_args__ = (
        UniqueConstraint("care_log_id", "version"),
        CheckConstraint("kind IN ('edit','addendum')", name="kind_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    care_log_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_logs.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    # JSON: an edit's full content, or {"text"} of an addendum; encrypted like the log.
    content: Mapped[str] = mapped_column(EncryptedText("care_log_revisions.content"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
