from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedList, EncryptedText

CARE_GRADES = ("1", "2", "3", "4", "5", "cognitive")  # 장기요양등급 1–5, 인지지원등급


class CareRecipient(Base):
    """A person receiving care, managed by a family account (one family, several recipients)."""

    __tablename__ = "care_recipients"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(
            "care_grade IS NULL OR care_grade IN ('1','2','3','4','5','cognitive')",
            name="care_grade_known",
        ),
        CheckConstraint(
            "preferred_gender IS NULL OR preferred_gender IN ('female','male')",
            name="preferred_gender_known",
        ),
        CheckConstraint(
            "copay_category IN ('standard','reduced_40','reduced_60','basic_livelihood')",
            name="copay_category_known",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    care_grade: Mapped[str | None] = mapped_column(String(10))
    # 본인부담 category (billing): standard 15%, reduced_40 9%, reduced_60 6%, basic_livelihood 0%
    copay_category: Mapped[str] = mapped_column(String(20), server_default="standard")
    # Health conditions and notes are encrypted at rest (envelope encryption, `encryption.py`).
    conditions: Mapped[list[str]] = mapped_column(
        EncryptedList("care_recipients.conditions"), server_default=""
    )
    preferred_gender: Mapped[str | None] = mapped_column(String(10))
    preferred_languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), server_default="{}")
    notes: Mapped[str] = mapped_column(EncryptedText("care_recipients.notes"), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


MEMBER_ROLES = ("owner", "viewer")
INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")


class RecipientMember(Base):
    """A further family account sharing a recipient. The recipient's `family_id` is its first
    owner and has no row here; `owner` members may book, pay and manage like it, `viewer`
    members see visits and care logs and get the visit events."""

    __tablename__ = "recipient_members"
    __table_args__ = (CheckConstraint("role IN ('owner','viewer')", name="role_known"),)

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecipientInvitation(Base):
    """An invitation by e-mail to share a recipient; the invitee (a family account with that
    address, now or after signing up) accepts or declines it."""

    __tablename__ = "recipient_invitations"
    __table_args__ = (
        CheckConstraint("role IN ('owner','viewer')", name="role_known"),
        CheckConstraint(
            "status IN ('pending','accepted','declined','revoked')", name="status_known"
        ),
        # One open invitation per address and recipient (a second is refused, not duplicated).
        Index(
            "uq_recipient_invitations_pending",
            "recipient_id",
            "email",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_recipients.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
