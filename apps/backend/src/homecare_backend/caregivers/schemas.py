from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from homecare_backend.api import ClockTime, JsonInt, Latitude, Longitude, text
from homecare_shared.vocabulary import Gender, Language, Skill

_PROFILE: dict[str, JsonValue] = {
    "licence_number": "2026-100001",
    "gender": "female",
    "skills": ["dementia", "mobility"],
    "languages": ["ko"],
    "latitude": 37.4979,
    "longitude": 127.0276,
    "service_radius_km": 8.0,
    "hourly_rate_krw": 15000,
}


class CaregiverIn(BaseModel):
    """A caregiver's own profile. Changing the licence number sends it back to verification."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PROFILE]})
    licence_number: Annotated[
        str, Field(min_length=4, max_length=40, pattern=r"^[0-9A-Za-z-]+$")
    ] = Field(description="요양보호사 자격증 번호")
    gender: Gender
    skills: list[Skill] = Field(default_factory=list, max_length=len(Skill))
    languages: list[Language] = Field(min_length=1, max_length=len(Language))
    latitude: Latitude
    longitude: Longitude
    service_radius_km: float = Field(strict=True, gt=0, le=100, allow_inf_nan=False)
    hourly_rate_krw: JsonInt = Field(ge=0, le=1_000_000)


class CaregiverOut(CaregiverIn):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_PROFILE,
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "user_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "verification_status": "verified",
                    "verified_at": "2026-11-20T09:00:00Z",
                    "rating_avg": 4.8,
                    "rating_count": 23,
                    "agency_id": None,
                    "updated_at": "2026-11-26T09:00:00Z",
                }
            ]
        },
    )
    id: uuid.UUID
    user_id: uuid.UUID
    verification_status: Literal["pending", "verified", "rejected"]
    verified_at: datetime | None
    rating_avg: float | None = Field(description="Average rating 0–5, null until rated")
    rating_count: int
    agency_id: uuid.UUID | None
    updated_at: datetime


class WeeklySlot(BaseModel):
    weekday: JsonInt = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: ClockTime = Field(description="Asia/Seoul local time, HH:MM")
    end: ClockTime = Field(description="Asia/Seoul local time, HH:MM, after `start`")


class Availability(BaseModel):
    """Recurring weekly slots (Asia/Seoul); slots on one weekday must not overlap."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "weekly_slots": [
                        {"weekday": 0, "start": "09:00", "end": "13:00"},
                        {"weekday": 2, "start": "14:00", "end": "18:00"},
                    ]
                }
            ]
        }
    )
    weekly_slots: list[WeeklySlot] = Field(max_length=50)


class DayOffIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"day": "2026-12-25", "reason": "성탄절"}]}
    )
    day: date = Field(description="Asia/Seoul calendar day")
    reason: Annotated[str, text(0, 200)] | None = None


class AvailabilityOut(Availability):
    days_off: list[DayOffIn]


class VerificationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "verified", "note": "자격증 원본 확인"}]}
    )
    status: Literal["pending", "verified", "rejected"]
    note: Annotated[str, text(0, 500)] | None = None


class AgencyMembershipIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"agency_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e"}]}
    )
    agency_id: uuid.UUID | None = Field(description="null removes the caregiver from its agency")
