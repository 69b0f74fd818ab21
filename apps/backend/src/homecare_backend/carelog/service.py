"""Care logs (돌봄일지): what the caregiver did on a visit, shared with the family.

The assigned caregiver writes the log from check-in on and may replace it until
`edit_window` after check-out; each write is kept as a revision (full content), so the family
and the agency see what changed. After the cutoff (or once the visit is settled) the log is
append-only: addenda are added, nothing is overwritten. Family members sharing the recipient see
the log once the visit is completed (right after check-out) and are told when it changes.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.carelog.models import CareLog, CareLogRevision, CarePlan
from homecare_backend.carelog.schemas import AddendumIn, CareLogIn, CarePlanIn
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError

S = BookingStatus
_WRITABLE = (S.IN_PROGRESS, S.COMPLETED, S.SETTLED)
_FAMILY_SEES = (S.COMPLETED, S.SETTLED)


def not_found(booking_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "care_log_not_found",
        "Care log not found",
        f"No care log for visit {booking_id} that you can see (families see it after check-out).",
    )


def editable_until(booking: Booking, edit_window: timedelta) -> datetime | None:
    return None if booking.finished_at is None else booking.finished_at + edit_window


def is_locked(booking: Booking, edit_window: timedelta, now: datetime) -> bool:
    until = editable_until(booking, edit_window)
    return booking.status == S.SETTLED or (until is not None and now >= until)


async def _caregivers_visit(session: AsyncSession, user: User, booking_id: uuid.UUID) -> Booking:
    """The caregiver's own visit, locked (another caregiver's: 404)."""
    booking = await bookings_service.get_visible(session, user, booking_id, lock=True)
    if user.role != Role.CAREGIVER:
        raise ProblemError(
            403, "forbidden_role", "Not allowed for your role", "The caregiver writes the log."
        )
    if booking.status not in _WRITABLE:
        raise ProblemError(
            409,
            "visit_not_started",
            "The visit has not started",
            "A care log is written from check-in on.",
            current_status=booking.status.value,
        )
    return booking


def _dump(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def content_of(row: CareLog | CareLogRevision) -> dict[str, Any]:
    """The JSON content of a log or revision."""
    found: dict[str, Any] = json.loads(row.content)
    return found


def _content(data: CareLogIn) -> dict[str, Any]:
    return {
        "tasks": [t.model_dump(mode="json") for t in data.tasks],
        "vitals": data.vitals.model_dump(mode="json", exclude_none=True),
        "notes": data.notes,
    }


async def _check_plan(session: AsyncSession, booking: Booking, data: CareLogIn) -> None:
    tasks = [t.task.value for t in data.tasks]
    if len(set(tasks)) != len(tasks):
        raise ProblemError(
            422, "duplicate_task", "A task is listed twice", "List each task of the plan once."
        )
    plan = await session.get(CarePlan, booking.recipient_id)
    if plan is not None and set(tasks) != set(plan.tasks):
        missing = sorted(set(plan.tasks) - set(tasks))
        extra = sorted(set(tasks) - set(plan.tasks))
        raise ProblemError(
            422,
            "checklist_mismatch",
            "The checklist does not match the care plan",
            f"Mark every task of the plan done or not done. Missing: {', '.join(missing) or '-'};"
            f" not in the plan: {', '.join(extra) or '-'}.",
        )


async def _tell_family(session: AsyncSession, booking: Booking, log: CareLog) -> None:
    if booking.status not in _FAMILY_SEES:
        return  # the family sees the log from check-out on (visit_completed tells them)
    family = await recipients_service.member_user_ids(session, booking.recipient_id)
    payload = {"booking_id": str(booking.id), "version": log.version}
    await outbox.enqueue_many(session, [(u, "care_log_updated", payload) for u in family])


async def write(
    session: AsyncSession,
    user: User,
    booking_id: uuid.UUID,
    data: CareLogIn,
    *,
    edit_window: timedelta,
) -> tuple[Booking, CareLog]:
    booking = await _caregivers_visit(session, user, booking_id)
    if is_locked(booking, edit_window, datetime.now(UTC)):
        raise ProblemError(
            409,
            "care_log_locked",
            "The care log can no longer be edited",
            "Past the edit cutoff the log is append-only: add an addendum.",
            editable_until=(editable_until(booking, edit_window) or booking.updated_at).isoformat(),
        )
    await _check_plan(session, booking, data)
    content = _content(data)
    log = await session.scalar(
        select(CareLog).where(CareLog.booking_id == booking.id).with_for_update()
    )
    if log is None:
        log = CareLog(booking_id=booking.id, caregiver_id=booking.caregiver_id, version=0)
        session.add(log)
    log.content = _dump(content)
    log.version += 1
    await session.flush()
    session.add(
        CareLogRevision(
            care_log_id=log.id,
            version=log.version,
            kind="edit",
            content=log.content,
            author_id=user.id,
        )
    )
    await _tell_family(session, booking, log)
    await session.commit()
    await session.refresh(log)
    return booking, log


async def add_addendum(
    session: AsyncSession, user: User, booking_id: uuid.UUID, data: AddendumIn
) -> tuple[Booking, CareLog]:
    booking = await _caregivers_visit(session, user, booking_id)
    log = await session.scalar(
        select(CareLog).where(CareLog.booking_id == booking.id).with_for_update()
    )
    if log is None:
        raise not_found(booking_id)
    log.version += 1
    session.add(
        CareLogRevision(
            care_log_id=log.id,
            version=log.version,
            kind="addendum",
            content=_dump({"text": data.text}),
            author_id=user.id,
        )
    )
    await _tell_family(session, booking, log)
    await session.commit()
    await session.refresh(log)
    return booking, log


async def _visible_log(
    session: AsyncSession, user: User, booking_id: uuid.UUID
) -> tuple[Booking, CareLog]:
    booking = await bookings_service.get_visible(session, user, booking_id)
    log = await session.scalar(select(CareLog).where(CareLog.booking_id == booking.id))
    if log is None or (user.role == Role.FAMILY and booking.status not in _FAMILY_SEES):
        raise not_found(booking_id)
    return booking, log


async def revisions(session: AsyncSession, log: CareLog) -> list[CareLogRevision]:
    return list(
        (
            await session.scalars(
                select(CareLogRevision)
                .where(CareLogRevision.care_log_id == log.id)
                .order_by(CareLogRevision.version)
            )
        ).all()
    )


async def read(
    session: AsyncSession, user: User, booking_id: uuid.UUID
) -> tuple[Booking, CareLog, list[CareLogRevision]]:
    booking, log = await _visible_log(session, user, booking_id)
    return booking, log, await revisions(session, log)


# ------------------------------------------------------------------ care plans


async def _plan_recipient(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> None:
    """Who sees a plan: whoever sees the recipient, and the caregivers and agencies serving it."""
    if user.role in (Role.FAMILY, Role.PLATFORM_ADMIN):
        await recipients_service.get_visible(session, user, recipient_id)
        return
    serves = await session.scalar(
        bookings_service.visible_to(user)
        .where(Booking.recipient_id == recipient_id)
        .with_only_columns(func.count())
    )
    if not serves:
        raise recipients_service.not_found(recipient_id)


async def get_plan(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> CarePlan | None:
    await _plan_recipient(session, user, recipient_id)
    return await session.get(CarePlan, recipient_id)


async def put_plan(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, data: CarePlanIn
) -> CarePlan:
    recipient = await recipients_service.get_owned(session, user, recipient_id)
    plan = await session.get(CarePlan, recipient.id, with_for_update=True)
    if plan is None:
        plan = CarePlan(recipient_id=recipient.id)
        session.add(plan)
    plan.tasks = sorted({t.value for t in data.tasks})
    await session.commit()
    await session.refresh(plan)
    return plan
