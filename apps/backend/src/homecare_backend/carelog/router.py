from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, status

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CaregiverUser, CurrentUser, FamilyUser
from homecare_backend.bookings.models import Booking
from homecare_backend.carelog import service
from homecare_backend.carelog.models import CareLog, CareLogRevision
from homecare_backend.carelog.schemas import (
    AddendumIn,
    AddendumOut,
    CareLogIn,
    CareLogOut,
    CarePlanIn,
    CarePlanOut,
    RevisionOut,
    TaskEntry,
    Vitals,
)
from homecare_backend.db import SessionDep
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["care logs"], dependencies=[STRICT_QUERY])
_WRITE_ERRORS = {**OBJECT_ERRORS, **problem_responses(409, 422)}


def _window(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.carelog_edit_hours)


def _out(
    booking: Booking, log: CareLog, history: list[CareLogRevision], window: timedelta
) -> CareLogOut:
    content = service.content_of(log)
    return CareLogOut(
        booking_id=booking.id,
        tasks=[TaskEntry.model_validate(t) for t in content["tasks"]],
        vitals=Vitals.model_validate(content["vitals"]),
        notes=content["notes"],
        version=log.version,
        editable_until=service.editable_until(booking, window),
        locked=service.is_locked(booking, window, datetime.now(UTC)),
        addenda=[
            AddendumOut(
                version=r.version,
                text=str(service.content_of(r)["text"]),
                author_id=r.author_id,
                created_at=r.created_at,
            )
            for r in history
            if r.kind == "addendum"
        ],
        created_at=log.created_at,
        updated_at=log.updated_at,
    )


@router.put(
    "/bookings/{booking_id}/care-log",
    operation_id="write_care_log",
    summary="Write or replace the visit's care log (assigned caregiver, until the cutoff)",
    responses=_WRITE_ERRORS,
)
async def write_care_log(
    booking_id: uuid.UUID,
    data: CareLogIn,
    request: Request,
    user: CaregiverUser,
    session: SessionDep,
) -> CareLogOut:
    window = _window(request)
    booking, log = await service.write(session, user, booking_id, data, edit_window=window)
    return _out(booking, log, await service.revisions(session, log), window)


@router.get(
    "/bookings/{booking_id}/care-log",
    operation_id="get_care_log",
    summary="The visit's care log (family members: from check-out on)",
    responses=OBJECT_ERRORS,
)
async def get_care_log(
    booking_id: uuid.UUID, request: Request, user: CurrentUser, session: SessionDep
) -> CareLogOut:
    booking, log, history = await service.read(session, user, booking_id)
    return _out(booking, log, history, _window(request))


@router.post(
    "/bookings/{booking_id}/care-log/addenda",
    status_code=status.HTTP_201_CREATED,
    operation_id="add_care_log_addendum",
    summary="Append an addendum to the care log (assigned caregiver; any time after writing)",
    responses=_WRITE_ERRORS,
)
async def add_care_log_addendum(
    booking_id: uuid.UUID,
    data: AddendumIn,
    request: Request,
    user: CaregiverUser,
    session: SessionDep,
) -> CareLogOut:
    booking, log = await service.add_addendum(session, user, booking_id, data)
    return _out(booking, log, await service.revisions(session, log), _window(request))


@router.get(
    "/bookings/{booking_id}/care-log/revisions",
    operation_id="list_care_log_revisions",
    summary="Every version of the care log, oldest first (edits and addenda)",
    responses=OBJECT_ERRORS,
)
async def list_care_log_revisions(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[RevisionOut]:
    _, _, history = await service.read(session, user, booking_id)
    return [
        RevisionOut(
            version=r.version,
            kind="addendum" if r.kind == "addendum" else "edit",
            content=service.content_of(r),
            author_id=r.author_id,
            created_at=r.created_at,
        )
        for r in history
    ]


@router.get(
    "/recipients/{recipient_id}/care-plan",
    operation_id="get_care_plan",
    summary="The recipient's care plan: the tasks every visit's log checks off",
    responses=OBJECT_ERRORS,
)
async def get_care_plan(
    recipient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> CarePlanOut:
    plan = await service.get_plan(session, user, recipient_id)
    if plan is None:
        return CarePlanOut(recipient_id=recipient_id, tasks=[], updated_at=None)
    return CarePlanOut.model_validate(
        {"recipient_id": plan.recipient_id, "tasks": plan.tasks, "updated_at": plan.updated_at}
    )


@router.put(
    "/recipients/{recipient_id}/care-plan",
    operation_id="replace_care_plan",
    summary="Set the recipient's care plan tasks (owners)",
    responses=OBJECT_ERRORS,
)
async def replace_care_plan(
    recipient_id: uuid.UUID, data: CarePlanIn, user: FamilyUser, session: SessionDep
) -> CarePlanOut:
    plan = await service.put_plan(session, user, recipient_id, data)
    return CarePlanOut.model_validate(
        {"recipient_id": plan.recipient_id, "tasks": plan.tasks, "updated_at": plan.updated_at}
    )
