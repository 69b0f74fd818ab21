from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from homecare_backend.api import JsonInt, text


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"rating": 5, "body": "어머니께서 아주 편안해하셨어요. 감사합니다."}]
        }
    )
    rating: JsonInt = Field(ge=1, le=5, description="1–5 stars")
    body: Annotated[str, text(0, 2000)] = ""


class ReplyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"body": "좋은 말씀 감사합니다. 다음 방문도 잘 모시겠습니다."}]
        }
    )
    body: Annotated[str, text(1, 2000)]


class ReviewOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d10",
                    "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "caregiver_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d02",
                    "rating": 5,
                    "body": "어머니께서 아주 편안해하셨어요.",
                    "reply": None,
                    "replied_at": None,
                    "created_at": "2026-12-01T05:00:00Z",
                }
            ]
        },
    )
    id: uuid.UUID
    booking_id: uuid.UUID
    caregiver_id: uuid.UUID
    rating: int
    body: str
    reply: str | None
    replied_at: datetime | None
    created_at: datetime


class ReviewPage(BaseModel):
    """Oldest first; `rating_avg`/`rating_count` are the caregiver's summary."""

    items: list[ReviewOut]
    next_cursor: str | None
    rating_avg: float | None
    rating_count: int
