from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "kind": "booking.status_changed",
                    "payload": {
                        "booking_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                        "status": "confirmed",
                    },
                    "created_at": "2026-11-26T09:00:00Z",
                    "read_at": None,
                }
            ]
        },
    )
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    """Newest first; pass `next_cursor` back as `cursor` for older entries."""

    items: list[NotificationOut]
    next_cursor: int | None


_B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class DeviceIn(BaseModel):
    """An FCM registration token, or a Web Push subscription (endpoint + keys)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"platform": "fcm", "token": "fcm-registration-token-from-the-app"},
                {
                    "platform": "webpush",
                    "token": "https://push.example.net/send/abc123",
                    "p256dh": (
                        "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u"
                        "-Ts1XbjhazAkj7I99e8QcYP7DkM"
                    ),
                    "auth": "tBHItJI5svbpez7KI4CCXg",
                },
            ]
        }
    )
    platform: Literal["fcm", "webpush"]
    token: Annotated[str, Field(min_length=10, max_length=1000, pattern=r"^[\x21-\x7e]+$")] = Field(
        description="FCM registration token, or the Web Push endpoint URL (https)"
    )
    p256dh: Annotated[str, Field(min_length=80, max_length=100, pattern=_B64URL)] | None = None
    auth: Annotated[str, Field(min_length=16, max_length=32, pattern=_B64URL)] | None = None


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    platform: Literal["fcm", "webpush"]
    created_at: datetime


class StreamTicketOut(BaseModel):
    """Open the stream with `GET /v1/events?ticket=<ticket>` before `expires_at`; once only."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": "pXq1vJ1rG7m2a0s9l3kWc8nZ4tY6bE5dH2fQ0uR7oIw",
                    "expires_at": "2026-11-26T09:01:00Z",
                    "expires_in": 60,
                }
            ]
        }
    )
    ticket: str
    expires_at: datetime
    expires_in: int = Field(description="Seconds until it expires")


class VapidKeyOut(BaseModel):
    """What a browser needs for `PushManager.subscribe` (`applicationServerKey`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enabled": True,
                    "public_key": (
                        "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u"
                        "-Ts1XbjhazAkj7I99e8QcYP7DkM"
                    ),
                }
            ]
        }
    )
    enabled: bool = Field(description="false when this server has no VAPID key: do not subscribe")
    public_key: str | None = Field(
        description="The VAPID public key: uncompressed P-256 point, base64url without padding"
    )
