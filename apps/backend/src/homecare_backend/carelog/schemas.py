from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from homecare_backend.api import _json_integer as json_integer
from homecare_backend.api import text
from homecare_backend.carelog.models import CareTask

Notes = Annotated[str, text(0, 4000)]
_JSON_INT = BeforeValidator(json_integer)  # after the bounds, so the OpenAPI keeps min/max


class TaskEntry(BaseModel):
    task: CareTask
    done: bool
    note: Annotated[str, text(0, 500)] = ""


class Vitals(BaseModel):
    """Vital signs, only those taken (each optional)."""

    model_config = ConfigDict(extra="forbid")
    systolic_mmhg: Annotated[int, Field(ge=50, le=260), _JSON_INT] | None = None
    diastolic_mmhg: Annotated[int, Field(ge=30, le=160), _JSON_INT] | None = None
    pulse_bpm: Annotated[int, Field(ge=20, le=250), _JSON_INT] | None = None
    temperature_c: Annotated[float, Field(ge=30, le=44, allow_inf_nan=False)] | None = None
    spo2_percent: Annotated[int, Field(ge=50, le=100), _JSON_INT] | None = None
    glucose_mg_dl: Annotated[int, Field(ge=20, le=700), _JSON_INT] | None = None


_LOG_EXAMPLE: dict[str, Any] = {
    "tasks": [
        {"task": "meals", "done": True, "note": "죽 한 그릇"},
        {"task": "medication", "done": True, "note": "혈압약 복용 확인"},
        {"task": "bathing", "done": False, "note": "컨디션 저하로 다음 방문에"},
    ],
    "vitals": {"systolic_mmhg": 128, "diastolic_mmhg": 82, "pulse_bpm": 72},
    "notes": "기분 좋으셨고 산책 20분 함께 했습니다.",
}


class CareLogIn(BaseModel):
    """The visit's log. With a care plan, the checklist covers exactly the plan's tasks."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LOG_EXAMPLE]})
    tasks: list[TaskEntry] = Field(max_length=len(CareTask))
    vitals: Vitals = Field(default_factory=Vitals)
    notes: Notes = ""


class AddendumIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "저녁에 보호자께 복약 시간 변경 전달함"}]}
    )
    text: Annotated[str, text(1, 2000)]


class AddendumOut(BaseModel):
    version: int
    text: str
    author_id: uuid.UUID | None
    created_at: datetime


class CareLogOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LOG_EXAMPLE]})
    booking_id: uuid.UUID
    tasks: list[TaskEntry]
    vitals: Vitals
    notes: str
    version: int
    editable_until: datetime | None = Field(
        description="Edits are possible until then (null while the visit is under way)"
    )
    locked: bool = Field(description="Past the cutoff: only addenda are appended")
    addenda: list[AddendumOut]
    created_at: datetime
    updated_at: datetime


class RevisionOut(BaseModel):
    version: int
    kind: Literal["edit", "addendum"]
    content: dict[str, Any]
    author_id: uuid.UUID | None
    created_at: datetime


class CarePlanIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tasks": ["meals", "medication", "mobility"]}]}
    )
    tasks: list[CareTask] = Field(min_length=1, max_length=len(CareTask))


class CarePlanOut(BaseModel):
    recipient_id: uuid.UUID
    tasks: list[CareTask]
    updated_at: datetime | None
