from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DispatchStartIn(BaseModel):
    booking_id: uuid.UUID


class DispatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    booking_id: uuid.UUID
    status: str
    wave: int
    accepted_caregiver_id: uuid.UUID | None


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dispatch_id: uuid.UUID
    wave: int
    status: str
    offered_at: datetime
    expires_at: datetime
