from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict

from homecare_backend.api import text


class AgencyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "행복방문요양센터"}]})
    name: Annotated[str, text(1, 200)]


class AgencyOut(AgencyIn):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    created_at: datetime
