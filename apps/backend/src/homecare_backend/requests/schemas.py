from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from homecare_backend.api import JsonInt, text
from homecare_backend.api import _json_integer as json_integer
from homecare_backend.bookings.models import ServiceType
from homecare_backend.bookings.schemas import SlotIn
from homecare_backend.requests.models import CareRequestStatus
from homecare_shared.vocabulary import Gender, Language, Skill


class OneOffSchedule(BaseModel):
    """One visit: start (with a UTC offset, in the future, within a year) and length."""

    kind: Literal["one_off"]
    start_at: AwareDatetime
    duration_minutes: JsonInt = Field(ge=60, le=720, multiple_of=30)


class WeeklySchedule(BaseModel):
    """Weekly slots (Asia/Seoul) from `start_date` to `end_date` (inclusive) or for `count`
    visits; the pattern must produce at least one visit."""

    kind: Literal["weekly"]
    slots: list[SlotIn] = Field(min_length=1, max_length=14)
    start_date: date
    end_date: date | None = None
    count: Annotated[int, Field(ge=1, le=400), BeforeValidator(json_integer)] | None = None


Schedule = Annotated[OneOffSchedule | WeeklySchedule, Field(discriminator="kind")]

_IN_EXAMPLE: dict[str, Any] = {
    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
    "service_type": "home_care",
    "schedule": {
        "kind": "weekly",
        "slots": [
            {"weekday": 0, "start": "09:00", "duration_minutes": 180},
            {"weekday": 3, "start": "14:00", "duration_minutes": 120},
        ],
        "start_date": "2026-12-07",
        "end_date": "2027-02-28",
        "count": None,
    },
    "required_skills": ["dementia"],
    "preferred_gender": "female",
    "preferred_languages": ["ko"],
    "max_distance_km": 10,
    "notes": "오전에는 산책을 좋아하세요",
}


class CareRequestIn(BaseModel):
    """Care wanted for one of your recipients. Preferences left empty fall back to the
    recipient's (gender, languages); matching ranks caregivers when the request is made."""

    model_config = ConfigDict(json_schema_extra={"examples": [_IN_EXAMPLE]})
    recipient_id: uuid.UUID
    service_type: ServiceType = Field(
        default=ServiceType.HOME_CARE,
        description="home_care 방문요양, bathing 방문목욕, companion 동행",
    )
    schedule: Schedule
    required_skills: list[Skill] = Field(default_factory=list, max_length=len(Skill))
    preferred_gender: Gender | None = None
    preferred_languages: list[Language] = Field(default_factory=list, max_length=len(Language))
    max_distance_km: JsonInt = Field(default=10, ge=1, le=50)
    notes: Annotated[str, text(0, 1000)] = ""


class ComponentOut(BaseModel):
    value: float = Field(description="0..1")
    weight: float
    contribution: float = Field(description="value × weight; the score is their sum")


class CandidateOut(BaseModel):
    """One ranked caregiver with the reasons for their place (matching's score breakdown)."""

    rank: int = Field(description="1 = best")
    caregiver_id: uuid.UUID
    score: float
    distance_km: float
    breakdown: dict[str, ComponentOut] = Field(
        description="distance, rating, continuity, language, gender, fairness"
    )


class CareRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    family_id: uuid.UUID
    recipient_id: uuid.UUID
    service_type: ServiceType
    schedule: Schedule
    required_skills: list[Skill]
    preferred_gender: Gender | None
    preferred_languages: list[Language]
    max_distance_km: int
    notes: str
    status: CareRequestStatus
    candidates: list[CandidateOut] = Field(description="Ranked when the request was made")
    considered: int = Field(description="Caregivers matching looked at")
    excluded: dict[str, int] = Field(
        description="Caregivers ruled out, by the first rule they failed (distance, skills, …)"
    )
    matched_at: datetime
    chosen_caregiver_id: uuid.UUID | None
    booking_id: uuid.UUID | None = Field(description="The one-off booking it led to")
    series_id: uuid.UUID | None = Field(description="The recurring series it led to")
    dispatch_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ChooseIn(BaseModel):
    """The candidate you pick: the visit (or series) is offered to them."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"caregiver_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d10"}]}
    )
    caregiver_id: uuid.UUID
