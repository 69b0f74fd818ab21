from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from homecare_backend.users.models import Role


class UserOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "email": "family1@demo.homecare.kr",
                    "display_name": "한가족",
                    "role": "family",
                    "agency_id": None,
                    "phone": "010-1234-5678",
                    "created_at": "2026-11-26T09:00:00Z",
                }
            ]
        },
    )
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    agency_id: uuid.UUID | None
    phone: str | None = Field(description="Stored encrypted; shown to its owner")
    created_at: datetime
