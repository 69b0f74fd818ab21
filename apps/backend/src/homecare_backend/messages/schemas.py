from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from homecare_backend.api import text

PartyRole = Literal["family", "caregiver", "agency"]


class MessageIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"body": "오늘 10시에 도착 예정입니다. 현관 비밀번호 부탁드려요."}]
        }
    )
    body: Annotated[str, text(1, 2000)] = Field(description="Plain text, 1–2000 characters")


class MessageOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "sender_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d01",
                    "sender_role": "caregiver",
                    "body": "오늘 10시에 도착 예정입니다.",
                    "created_at": "2026-12-01T00:40:00Z",
                }
            ]
        },
    )
    id: int
    booking_id: uuid.UUID
    sender_id: uuid.UUID | None
    sender_role: PartyRole
    body: str
    created_at: datetime


class MessagePage(BaseModel):
    """Oldest first; pass `next_cursor` back as `cursor` for the next page."""

    items: list[MessageOut]
    next_cursor: int | None
    unread_count: int = Field(description="Messages from the other parties you have not read")


class ThreadOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "message_count": 4,
                    "unread_count": 1,
                    "last_message_at": "2026-12-01T00:40:00Z",
                }
            ]
        }
    )
    booking_id: uuid.UUID
    message_count: int
    unread_count: int
    last_message_at: datetime


class ThreadPage(BaseModel):
    """Threads with at least one message, by booking id; `next_cursor` for the next page."""

    items: list[ThreadOut]
    next_cursor: str | None
    unread_total: int = Field(description="Unread messages over all your threads")


class ReadMarkerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
                    "last_read_id": 17,
                    "unread_count": 0,
                }
            ]
        }
    )
    booking_id: uuid.UUID
    last_read_id: int = Field(description="Messages up to this id are read (0: none yet)")
    unread_count: int
