from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from homecare_backend.api import JsonInt, Latitude, Longitude, text
from homecare_backend.bookings.models import BookingStatus
from homecare_backend.visits.models import CheckKind, ExceptionReason, TagResult

_CHECK_IN: dict[str, Any] = {
    "latitude": 37.50085,
    "longitude": 127.03652,
    "accuracy_m": 12.5,
    "device_time": "2026-12-01T09:02:10+09:00",
    "tag_code": "NHIS-TAG-0001",
}


class FixIn(BaseModel):
    """A GPS fix taken by the caregiver's phone at the door, and the home's tag if scanned."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHECK_IN]})
    latitude: Latitude
    longitude: Longitude
    accuracy_m: float = Field(
        strict=True,
        gt=0,
        le=10_000,
        allow_inf_nan=False,
        description="Reported horizontal accuracy (68% radius), metres",
        examples=[12.5],
    )
    device_time: AwareDatetime = Field(
        description="When the phone took the fix, with a UTC offset (within a day of now)"
    )
    tag_code: Annotated[str, text(1, 64)] | None = Field(
        default=None, description="The value read from the home's NFC tag or QR code"
    )


class VisitExceptionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d20",
                    "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "check_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d21",
                    "reason": "outside_geofence",
                    "detail": "412 m from the home; 150 m allowed",
                    "status": "open",
                    "resolved_at": None,
                    "resolution_note": "",
                    "created_at": "2026-12-01T00:02:11Z",
                }
            ]
        },
    )
    id: uuid.UUID
    booking_id: uuid.UUID
    check_id: uuid.UUID
    reason: ExceptionReason
    detail: str
    status: Literal["open", "accepted", "rejected"]
    resolved_at: datetime | None
    resolution_note: str
    created_at: datetime


class VisitCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    booking_id: uuid.UUID
    kind: CheckKind
    latitude: float
    longitude: float
    accuracy_m: float
    device_time: datetime
    recorded_at: datetime
    distance_m: float = Field(description="From the recipient's address, metres")
    allowed_m: float = Field(description="Fence radius widened by the fix's accuracy (capped)")
    inside_geofence: bool
    tag: TagResult


class CheckResultOut(BaseModel):
    """The recorded check, its exceptions (empty when all was in order) and the visit's state."""

    check: VisitCheckOut
    exceptions: list[VisitExceptionOut]
    booking_status: BookingStatus


class VisitOut(BaseModel):
    """A visit as verified: planned and served times, both checks, every exception."""

    booking_id: uuid.UUID
    status: BookingStatus
    start_at: datetime
    end_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    check_in: VisitCheckOut | None
    check_out: VisitCheckOut | None
    exceptions: list[VisitExceptionOut]


class ResolutionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "accepted", "note": "GPS 음영 지역 확인"}]}
    )
    decision: Literal["accepted", "rejected"]
    note: Annotated[str, text(0, 1000)] = ""


class VisitSiteIn(BaseModel):
    """A home's verification settings (agency). `tag_code` null removes the tag."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"radius_m": 100, "accuracy_cap_m": 50, "tag_code": "NHIS-TAG-0001"}]
        }
    )
    radius_m: JsonInt = Field(ge=20, le=1000, description="Fence radius around the address, m")
    accuracy_cap_m: JsonInt = Field(
        ge=0, le=500, description="At most this much reported inaccuracy widens the fence, m"
    )
    tag_code: Annotated[str, text(4, 64)] | None = None


class VisitSiteOut(BaseModel):
    recipient_id: uuid.UUID
    radius_m: int
    accuracy_cap_m: int
    has_tag: bool
    updated_at: datetime | None = Field(description="Null while the defaults apply")
