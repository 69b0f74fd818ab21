"""Care requests: what a family asks for, matching's ranked candidates, and what it led to.

A request is validated like the booking it will become (future window, a weekly pattern that
produces visits), ranked by matching once when it is made (the answer is stored with it, with
each candidate's score breakdown), then either the family picks a candidate (the visit or series
is offered to them) or dispatch offers it in waves to the stored candidates. Either way the
booking is created and linked in the same transaction as the request's change.

Requests follow family sharing (decision 0012): every family member sharing the recipient sees
its requests and their candidates; only the recipient's owners (any owner, not only the one who
asked) pick, dispatch or withdraw them — a viewer gets 403 `not_owner`, anyone else 404.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.api import page_by_id
from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.bookings.schemas import BookingIn, SeriesIn, SlotIn
from homecare_backend.dispatch import service as dispatch_service
from homecare_backend.recipients import service as recipients_service
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.requests.matching import Matcher
from homecare_backend.requests.models import CareRequest, CareRequestStatus
from homecare_backend.requests.schemas import CareRequestIn, OneOffSchedule, WeeklySchedule
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError

MATCH_K = 10
# Matching takes at most 50 windows; a weekly request is ranked on its first 50 visits (with
# two visits a week, the first ~6 months), which the series' horizon never passes.
MATCH_WINDOWS = 50


def not_found(request_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404, "care_request_not_found", "Care request not found", f"No care request {request_id}."
    )


def visible_to(user: User) -> Select[CareRequest]:
    stmt = select(CareRequest)
    if user.role == Role.PLATFORM_ADMIN:
        return stmt
    if user.role == Role.FAMILY:
        return stmt.where(CareRequest.recipient_id.in_(recipients_service.shared_with(user.id)))
    raise ProblemError(
        403, "forbidden_role", "Not allowed for your role", "Care requests belong to families."
    )


async def get_visible(
    session: AsyncSession, user: User, request_id: uuid.UUID, *, lock: bool = False
) -> CareRequest:
    if user.role not in (Role.FAMILY, Role.PLATFORM_ADMIN):
        raise not_found(request_id)
    stmt = visible_to(user).where(CareRequest.id == request_id)
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(request_id)
    return found


async def _get_open(session: AsyncSession, user: User, request_id: uuid.UUID) -> CareRequest:
    """An open request of a recipient `user` owns, locked (concurrent picks serialise on it)."""
    request = await get_visible(session, user, request_id, lock=True)
    if user.role != Role.FAMILY or not await recipients_service.is_owner(
        session, request.recipient_id, user.id
    ):
        raise recipients_service.not_owner()  # viewers sharing the recipient only watch
    if request.status != CareRequestStatus.OPEN:
        raise ProblemError(
            409,
            "care_request_not_open",
            "This care request is no longer open",
            f"It is {request.status}.",
            current_status=request.status,
        )
    return request


def _windows(schedule: OneOffSchedule | WeeklySchedule) -> list[tuple[datetime, datetime]]:
    """The visits the schedule asks for, refused with the bookings' codes when unusable."""
    if isinstance(schedule, OneOffSchedule):
        bookings_service.check_window(schedule.start_at)
        start = schedule.start_at.astimezone(UTC)
        return [(start, start + timedelta(minutes=schedule.duration_minutes))]
    return bookings_service.plan_weekly(
        schedule.slots, schedule.start_date, schedule.end_date, schedule.count
    )


async def _match_body(
    session: AsyncSession,
    recipient: CareRecipient,
    data: CareRequestIn,
    windows: list[tuple[datetime, datetime]],
) -> dict[str, Any]:
    previous = (
        await session.scalars(
            select(Booking.caregiver_id)
            .where(
                Booking.recipient_id == recipient.id,
                Booking.caregiver_id.is_not(None),
                Booking.status.in_((BookingStatus.COMPLETED, BookingStatus.SETTLED)),
            )
            .distinct()
            .limit(100)
        )
    ).all()
    return {
        "latitude": recipient.latitude,
        "longitude": recipient.longitude,
        "windows": [
            {"start": s.isoformat(), "end": e.isoformat()} for s, e in windows[:MATCH_WINDOWS]
        ],
        "required_skills": [s.value for s in data.required_skills],
        "max_distance_km": data.max_distance_km,
        "preferred_languages": [lang.value for lang in data.preferred_languages]
        or list(recipient.preferred_languages),
        "preferred_gender": data.preferred_gender or recipient.preferred_gender,
        "previous_caregiver_ids": [str(p) for p in previous if p is not None],
        "k": MATCH_K,
    }


def _candidates(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "caregiver_id": str(result["caregiver_id"]),
            "score": float(result["score"]),
            "distance_km": float(result["distance_km"]),
            "breakdown": result.get("breakdown", {}),
        }
        for rank, result in enumerate(answer.get("results", []), start=1)
    ]


async def create(
    session: AsyncSession, user: User, data: CareRequestIn, matcher: Matcher
) -> CareRequest:
    recipient = await recipients_service.get_owned(session, user, data.recipient_id)
    windows = _windows(data.schedule)
    answer = await matcher(await _match_body(session, recipient, data, windows))
    request = CareRequest(
        family_id=user.id,
        recipient_id=recipient.id,
        service_type=data.service_type.value,
        schedule_kind=data.schedule.kind,
        schedule=data.schedule.model_dump(mode="json"),
        first_start_at=windows[0][0],
        required_skills=[s.value for s in data.required_skills],
        preferred_gender=data.preferred_gender,
        preferred_languages=[lang.value for lang in data.preferred_languages],
        max_distance_km=data.max_distance_km,
        notes=data.notes,
        status=CareRequestStatus.OPEN.value,
        candidates=_candidates(answer),
        considered=int(answer.get("considered", 0)),
        excluded={str(k): int(v) for k, v in answer.get("excluded", {}).items()},
        matched_at=datetime.now(UTC),
    )
    session.add(request)
    await session.commit()
    await session.refresh(request)
    return request


async def _book(
    session: AsyncSession, user: User, request: CareRequest, caregiver_id: uuid.UUID | None
) -> Booking | None:
    """The request's booking (one-off) or series (weekly), offered to `caregiver_id` or, without
    one, requested for dispatch; linked to the request; returns the first visit (None for a
    series that starts beyond the horizon). Not committed."""
    schedule = request.schedule
    if schedule["kind"] == "one_off":
        booking = await bookings_service.add_booking(
            session,
            user,
            BookingIn(
                recipient_id=request.recipient_id,
                caregiver_id=caregiver_id,
                service_type=request.service_type,
                start_at=schedule["start_at"],
                duration_minutes=schedule["duration_minutes"],
                notes=request.notes,
            ),
        )
        request.booking_id = booking.id
        return booking
    series, visits = await bookings_service.add_series(
        session,
        user,
        SeriesIn(
            recipient_id=request.recipient_id,
            caregiver_id=caregiver_id,
            service_type=request.service_type,
            slots=[SlotIn.model_validate(s) for s in schedule["slots"]],
            start_date=schedule["start_date"],
            end_date=schedule.get("end_date"),
            count=schedule.get("count"),
            notes=request.notes,
        ),
    )
    request.series_id = series.id
    if not visits:  # the series starts beyond the horizon: the worker creates its visits later
        return None
    request.booking_id = visits[0].id
    return visits[0]


async def choose(
    session: AsyncSession, user: User, *, request_id: uuid.UUID, caregiver_id: uuid.UUID
) -> CareRequest:
    """The family picks one of the stored candidates: the visit or series is offered to them."""
    request = await _get_open(session, user, request_id)
    if str(caregiver_id) not in {c["caregiver_id"] for c in request.candidates}:
        raise ProblemError(
            409,
            "not_a_candidate",
            "This caregiver is not among the request's candidates",
            "Pick a caregiver from `candidates`, or start a dispatch.",
        )
    await _book(session, user, request, caregiver_id)
    request.status = CareRequestStatus.OFFERED.value
    request.chosen_caregiver_id = caregiver_id
    await session.commit()
    await session.refresh(request)
    return request


async def dispatch(
    session: AsyncSession,
    user: User,
    *,
    request_id: uuid.UUID,
    dispatcher: dispatch_service.DispatchService,
) -> CareRequest:
    """Offer the request in waves to its stored candidates (matching is not asked again). For a
    weekly request the first visit is dispatched; accepting it assigns the whole series."""
    request = await _get_open(session, user, request_id)
    ranked = [uuid.UUID(c["caregiver_id"]) for c in request.candidates]
    if not ranked:
        raise ProblemError(
            409,
            "no_candidates",
            "Matching found nobody for this request",
            "Widen the distance or relax the required skills in a new request.",
        )
    booking = await _book(session, user, request, None)
    if booking is None:
        raise ProblemError(
            409,
            "dispatch_too_early",
            "The first visit is too far ahead to dispatch",
            f"Dispatch opens {bookings_service.HORIZON.days} days before the first visit.",
        )
    request.status = CareRequestStatus.DISPATCHING.value
    # `start` commits the dispatch together with the booking and the request's change.
    started = await dispatcher.start(
        session, booking_id=booking.id, requested_by=user, ranked=ranked
    )
    request.dispatch_id = started.id
    await session.commit()
    await session.refresh(request)
    return request


async def cancel(session: AsyncSession, user: User, request_id: uuid.UUID) -> CareRequest:
    """Withdraw an open request (a booking it led to is cancelled on the booking instead)."""
    request = await _get_open(session, user, request_id)
    request.status = CareRequestStatus.CANCELLED.value
    await session.commit()
    await session.refresh(request)
    return request


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[CareRequest], str | None]:
    return await page_by_id(session, visible_to(user), CareRequest.id, cursor, limit)
