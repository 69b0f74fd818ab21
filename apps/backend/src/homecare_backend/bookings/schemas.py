from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from homecare_backend.api import ClockTime, JsonInt, text
from homecare_backend.api import _json_integer as json_integer
from homecare_backend.bookings.models import BookingStatus, ServiceType

_BOOKING_OUT_EXAMPLE: dict[str, Any] = {
    "id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0f",
    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
    "caregiver_id": None,
    "series_id": None,
    "service_type": "home_care",
    "start_at": "2026-12-01T00:00:00Z",
    "end_at": "2026-12-01T03:00:00Z",
    "status": "requested",
    "started_at": None,
    "finished_at": None,
    "notes": "",
    "created_at": "2026-11-26T09:00:00Z",
    "updated_at": "2026-11-26T09:00:00Z",
}


class BookingIn(BaseModel):
    """A visit for one of your care recipients. With `caregiver_id` it is offered to that
    caregiver (status `offered`); without, it is `requested` and dispatch finds one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "caregiver_id": None,
                    "service_type": "home_care",
                    "start_at": "2026-12-01T09:00:00+09:00",
                    "duration_minutes": 180,
                    "notes": "현관 비밀번호는 전화로 안내",
                }
            ]
        }
    )
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None = None
    service_type: ServiceType = ServiceType.HOME_CARE
    start_at: AwareDatetime = Field(description="Start, with a UTC offset; within the next year")
    duration_minutes: JsonInt = Field(ge=60, le=720, multiple_of=30)
    notes: Annotated[str, text(0, 1000)] = ""


class BookingOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_BOOKING_OUT_EXAMPLE]}
    )
    id: uuid.UUID
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None
    series_id: uuid.UUID | None
    service_type: ServiceType
    start_at: datetime
    end_at: datetime
    status: BookingStatus
    started_at: datetime | None
    finished_at: datetime | None
    notes: str
    created_at: datetime
    updated_at: datetime


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "confirmed"}]})
    status: BookingStatus


class SlotIn(BaseModel):
    """One weekly visit, Asia/Seoul time: weekday 0 = Monday … 6 = Sunday."""

    weekday: JsonInt = Field(ge=0, le=6)
    start: ClockTime
    duration_minutes: JsonInt = Field(ge=60, le=720, multiple_of=30)


class SeriesIn(BaseModel):
    """A recurring booking: weekly slots from `start_date` to `end_date` (inclusive) or for
    `count` visits. Refused as a whole if any visit overlaps one of the caregiver's visits."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e",
                    "caregiver_id": "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d10",
                    "service_type": "home_care",
                    "slots": [
                        {"weekday": 0, "start": "09:00", "duration_minutes": 180},
                        {"weekday": 3, "start": "14:00", "duration_minutes": 120},
                    ],
                    "start_date": "2026-12-07",
                    "end_date": "2027-02-28",
                    "count": None,
                    "notes": "",
                }
            ]
        }
    )
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None = None
    service_type: ServiceType = ServiceType.HOME_CARE
    slots: list[SlotIn] = Field(min_length=1, max_length=14)
    start_date: date
    end_date: date | None = None
    # Field before the validator: with JsonInt inside an Optional, pydantic would publish the
    # bounds as unknown keywords (`ge`), not as JSON Schema `minimum`/`maximum`.
    count: Annotated[int, Field(ge=1, le=400), BeforeValidator(json_integer)] | None = None
    notes: Annotated[str, text(0, 1000)] = ""


class SeriesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    recipient_id: uuid.UUID
    caregiver_id: uuid.UUID | None
    service_type: ServiceType
    slots: list[SlotIn]
    start_date: date
    end_date: date | None
    visit_count: int | None
    materialised_until: date
    active: bool
    continues_series_id: uuid.UUID | None = Field(
        description="The series that was edited from `start_date` on into this one"
    )
    visits: list[BookingOut] = Field(description="Visits created so far (up to the horizon)")


class SeriesChangeIn(BaseModel):
    """Change a series from `from_date` (Asia/Seoul, after today) on: earlier visits stay as
    they are; the later ones are replaced by the new weekly slots, until `end_date` or for
    `count` more visits. Refused as a whole, with the conflicting dates, if any new visit
    overlaps one of the caregiver's other visits."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_date": "2026-12-14",
                    "slots": [{"weekday": 1, "start": "10:00", "duration_minutes": 180}],
                    "end_date": "2027-02-28",
                    "count": None,
                }
            ]
        }
    )
    from_date: date
    slots: list[SlotIn] = Field(min_length=1, max_length=14)
    end_date: date | None = None
    count: Annotated[int, Field(ge=1, le=400), BeforeValidator(json_integer)] | None = None


class CancellationTermsOut(BaseModel):
    """What cancelling now would cost: shown before the family cancels."""

    free: bool
    free_until: datetime = Field(description="Last moment of free cancellation, Asia/Seoul")
    charge_percent: int
    paid_krw: int
    charge_krw: int
    refund_krw: int
