from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from homecare_backend.api import Email, JsonInt, Latitude, Longitude, Name, text
from homecare_shared.vocabulary import Gender, Language


class Condition(enum.StrEnum):
    DEMENTIA = "dementia"
    MOBILITY = "mobility"
    STROKE = "stroke"
    BEDRIDDEN = "bedridden"
    DIABETES = "diabetes"
    HEARING = "hearing"
    VISION = "vision"
    OTHER = "other"


CareGrade = Literal["1", "2", "3", "4", "5", "cognitive"]
CopayCategory = Literal["standard", "reduced_40", "reduced_60", "basic_livelihood"]

_EXAMPLE: dict[str, JsonValue] = {
    "name": "한말순",
    "birth_year": 1938,
    "address": "서울 강남구 테헤란로 1",
    "latitude": 37.5008,
    "longitude": 127.0365,
    "care_grade": "3",
    "copay_category": "standard",
    "conditions": ["dementia", "mobility"],
    "preferred_gender": "female",
    "preferred_languages": ["ko"],
    "notes": "오전 방문 선호",
}


class RecipientIn(BaseModel):
    """A care recipient. `care_grade`: 장기요양등급 1–5, `cognitive` = 인지지원등급, null = none."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})
    name: Name
    birth_year: JsonInt = Field(ge=1900, le=2030)
    address: Annotated[str, text(1, 300)]
    latitude: Latitude
    longitude: Longitude
    care_grade: CareGrade | None = None
    copay_category: CopayCategory = Field(
        default="standard",
        description="본인부담: standard 15%, reduced_40 9%, reduced_60 6%, basic_livelihood 0%",
    )
    conditions: list[Condition] = Field(default_factory=list, max_length=len(Condition))
    preferred_gender: Gender | None = None
    preferred_languages: list[Language] = Field(default_factory=list, max_length=len(Language))
    notes: Annotated[str, text(0, 2000)] = ""


class RecipientOut(RecipientIn):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "family_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "created_at": "2026-11-26T09:00:00Z",
                    "updated_at": "2026-11-26T09:00:00Z",
                }
            ]
        },
    )
    id: uuid.UUID
    family_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


MemberRole = Literal["owner", "viewer"]


class InvitationIn(BaseModel):
    """Share the recipient with another family account by its e-mail address."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "family2@demo.homecare.kr", "role": "viewer"}]}
    )
    email: Email
    role: MemberRole = Field(
        default="viewer",
        description="`viewer`: sees visits and care logs, gets the events; "
        "`owner`: also books, pays and manages",
    )


class InvitationOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d10",
                    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "email": "family2@demo.homecare.kr",
                    "role": "viewer",
                    "status": "pending",
                    "created_at": "2026-11-26T09:00:00Z",
                    "responded_at": None,
                }
            ]
        },
    )
    id: uuid.UUID
    recipient_id: uuid.UUID
    email: str
    role: MemberRole
    status: Literal["pending", "accepted", "declined", "revoked"]
    created_at: datetime
    responded_at: datetime | None


class MemberOut(BaseModel):
    """A family account sharing the recipient (`primary`: the account that added it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "email": "family1@demo.homecare.kr",
                    "display_name": "김보호",
                    "role": "owner",
                    "primary": True,
                }
            ]
        }
    )
    user_id: uuid.UUID
    email: str
    display_name: str
    role: MemberRole
    primary: bool
