from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from homecare_backend.api import JsonInt, text
from homecare_backend.bookings.models import BookingStatus


class BookingIn(BaseModel):
    """A visit request for one of your care recipients; `caregiver_id` may be left to matching."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "caregiver_id": None,
                    "start_at": "2026-12-01T09:00:00+09:00",
                    "duration_minutes": 180,
                    "notes": "현관 비밀번호는 전화로 안내",
                }
            ]
        }
    )
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None = None
    start_at: AwareDatetime = Field(description="Start, with a UTC offset; within the next year")
    duration_minutes: JsonInt = Field(ge=60, le=720, multiple_of=30)
    notes: Annotated[str, text(0, 1000)] = ""


class BookingOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "caregiver_id": None,
                    "start_at": "2026-12-01T00:00:00Z",
                    "end_at": "2026-12-01T03:00:00Z",
                    "status": "requested",
                    "notes": "",
                    "created_at": "2026-11-26T09:00:00Z",
                    "updated_at": "2026-11-26T09:00:00Z",
                }
            ]
        },
    )
    id: uuid.UUID
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None
    start_at: datetime
    end_at: datetime
    status: BookingStatus
    notes: str
    created_at: datetime
    updated_at: datetime


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "confirmed"}]})
    status: BookingStatus
