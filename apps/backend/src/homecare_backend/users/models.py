from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from homecare_backend.db import Base, new_id
from homecare_backend.encryption import EncryptedText


class Role(enum.StrEnum):
    FAMILY = "family"  # guardian booking care for one or more recipients
    CAREGIVER = "caregiver"  # 요양보호사
    AGENCY_ADMIN = "agency_admin"  # a care agency that employs caregivers
    PLATFORM_ADMIN = "platform_admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e])
    )
    display_name: Mapped[str] = mapped_column(String(100))
    # Encrypted at rest; `phone_index` (HMAC of the normalised number) finds and deduplicates it.
    phone: Mapped[str | None] = mapped_column(EncryptedText("users.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Agency admins belong to one agency; null for everybody else.
    agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    # Bumped on password change: access tokens carry it, so older tokens stop working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
