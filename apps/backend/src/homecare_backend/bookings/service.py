"""Bookings: who may see and move them, recurring series, with every change announced.

Families see bookings of their recipients, caregivers the ones assigned to them, agency admins
those of their agency's caregivers, platform admins all. Double booking is refused by the
database (EXCLUDE constraint on every visit row), not by a racy check here.

A recurring booking is a `BookingSeries` whose visits are ordinary `bookings` rows, created up
to a rolling horizon (`HORIZON`) at once and then by the worker (`materialise_due`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached

from homecare_backend import metrics
from homecare_backend.api import page_by_id
from homecare_backend.billing import service as billing_service
from homecare_backend.bookings.cancellation import (
    SEOUL,
    CancellationPolicy,
    CancellationTerms,
    CancelledBy,
    terms,
)
from homecare_backend.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSeries,
    BookingStatus,
)
from homecare_backend.bookings.recurrence import Recurrence, RecurrenceError, WeeklySlot
from homecare_backend.bookings.schemas import BookingIn, SeriesChangeIn, SeriesIn, SlotIn
from homecare_backend.caregivers import service as caregivers_service
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.db import new_id
from homecare_backend.notifications import outbox
from homecare_backend.payments import service as payments_service
from homecare_backend.payments.models import Payment
from homecare_backend.payments.provider import (
    PaymentProvider,
    ProviderError,
    ProviderUnavailableError,
)
from homecare_backend.recipients import service as recipients_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_shared.logging import get_logger

log = get_logger("homecare.bookings")
MAX_LEAD = timedelta(days=366)
HORIZON = timedelta(weeks=8)
S = BookingStatus
_CANCELLABLE = (S.REQUESTED, S.OFFERED, S.CONFIRMED)
# (from, to) moves each role may make; nothing else is allowed to anyone.
TRANSITIONS: dict[Role, frozenset[tuple[S, S]]] = {
    Role.FAMILY: frozenset(
        {(s, S.CANCELLED_BY_FAMILY) for s in _CANCELLABLE} | {(S.CONFIRMED, S.NO_SHOW)}
    ),
    Role.CAREGIVER: frozenset(
        {
            (S.OFFERED, S.CONFIRMED),
            (S.OFFERED, S.DECLINED),
            (S.CONFIRMED, S.CANCELLED_BY_CAREGIVER),
        }
    ),
    Role.AGENCY_ADMIN: frozenset({(S.CONFIRMED, S.NO_SHOW), (S.COMPLETED, S.SETTLED)}),
    Role.PLATFORM_ADMIN: frozenset(
        {
            (S.REQUESTED, S.EXPIRED),
            (S.OFFERED, S.EXPIRED),
            (S.CONFIRMED, S.NO_SHOW),
            (S.COMPLETED, S.SETTLED),
        }
    ),
}
# Moves that only make sense once the visit's start has passed.
_AFTER_START = {(S.CONFIRMED, S.NO_SHOW)}
# Made by visit verification only (check-in / check-out with a GPS fix), never by a status post.
SERVED_MOVES = {(S.CONFIRMED, S.IN_PROGRESS), (S.IN_PROGRESS, S.COMPLETED)}
_CANCELLED_BY = {
    S.CANCELLED_BY_FAMILY: CancelledBy.FAMILY,
    S.CANCELLED_BY_CAREGIVER: CancelledBy.CAREGIVER,
    S.NO_SHOW: CancelledBy.NO_SHOW,
}
# Starting early is fine within this margin (the caregiver arrives a little before).
START_EARLY = timedelta(minutes=30)


def not_found(booking_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404, "booking_not_found", "Booking not found", f"No booking {booking_id} that you can see."
    )


def visible_to(user: User) -> Select[Booking]:
    stmt = select(Booking)
    match user.role:
        case Role.PLATFORM_ADMIN:
            return stmt
        case Role.FAMILY:
            return stmt.where(Booking.recipient_id.in_(recipients_service.shared_with(user.id)))
        case Role.CAREGIVER:
            me = select(CaregiverProfile.id).where(CaregiverProfile.user_id == user.id)
            return stmt.where(Booking.caregiver_id.in_(me))
        case _:
            agency = select(CaregiverProfile.id).where(
                CaregiverProfile.agency_id.is_not(None),
                CaregiverProfile.agency_id == user.agency_id,
            )
            return stmt.where(Booking.caregiver_id.in_(agency))


async def get_visible(
    session: AsyncSession, user: User, booking_id: uuid.UUID, *, lock: bool = False
) -> Booking:
    stmt = visible_to(user).where(Booking.id == booking_id)
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(booking_id)
    return found


async def get_owned(session: AsyncSession, user: User, booking_id: uuid.UUID) -> Booking:
    """A booking of a recipient the family owns (403 for viewers and others who may see it)."""
    booking = await get_visible(session, user, booking_id)
    if user.role != Role.FAMILY or not await recipients_service.is_owner(
        session, booking.recipient_id, user.id
    ):
        raise recipients_service.not_owner()
    return booking


async def _announcements(
    session: AsyncSession,
    booking: Booking,
    reason: str,
    *,
    caregiver_user_id: uuid.UUID | None = None,
    family: Sequence[uuid.UUID] | None = None,
) -> list[outbox.Event]:
    """The events telling every family member sharing the recipient, the caregiver
    (feed/SSE/push) and the matching index. `caregiver_user_id` and `family` (the recipient's
    member accounts) save lookups when the caller has them."""
    if family is None:
        family = await recipients_service.member_user_ids(session, booking.recipient_id)
    caregiver_user = caregiver_user_id
    if booking.caregiver_id is not None and caregiver_user is None:
        caregiver_user = await session.scalar(
            select(CaregiverProfile.user_id).where(CaregiverProfile.id == booking.caregiver_id)
        )
    payload = {
        "booking_id": str(booking.id),
        "status": booking.status.value,
        "start_at": booking.start_at.isoformat(),
        "reason": reason,
    }
    users = {u for u in (*family, caregiver_user) if u is not None}
    events: list[outbox.Event] = []
    if booking.caregiver_id is not None:
        events.append(outbox.caregiver_changed_event(booking.caregiver_id, reason))
    events += [(u, "booking.status_changed", payload) for u in users]
    return events


async def _announce(session: AsyncSession, booking: Booking, reason: str) -> None:
    """`_announcements` as one outbox INSERT (its triggers NOTIFY), in the caller's transaction."""
    await outbox.enqueue_many(session, await _announcements(session, booking, reason))


def _is_double_booking(exc: IntegrityError) -> bool:
    return "ex_bookings_caregiver_no_overlap" in str(exc.orig)


def _double_booked() -> ProblemError:
    return ProblemError(
        409,
        "caregiver_double_booked",
        "The caregiver is already booked then",
        "Pick another time or another caregiver.",
    )


def check_window(start_at: datetime) -> None:
    now = datetime.now(UTC)
    if not now < start_at < now + MAX_LEAD:
        raise ProblemError(
            409,
            "booking_out_of_range",
            "Start time not bookable",
            "Bookings start in the future and at most one year ahead.",
        )


_BOOKING_COLUMNS = (
    "id",
    "recipient_id",
    "caregiver_id",
    "service_type",
    "start_at",
    "end_at",
    "status",
    "notes",
)
# The booking and its outbox events in one statement: one round trip, both or neither. Static
# SQL, compiled and prepared once per connection (a statement built per call with a DML CTE is
# never cached by SQLAlchemy and was compiled on every booking); the binds carry the columns'
# types, so `notes` is encrypted as on any other write.
_INSERT_BOOKING = text(
    "WITH announced AS (" + outbox.INSERT_EVENTS_SQL + ") "  # noqa: S608 - constants, no input
    "INSERT INTO bookings (id, recipient_id, caregiver_id, service_type, start_at, end_at, "
    "status, notes) VALUES (:id, :recipient_id, :caregiver_id, :service_type, :start_at, "
    ":end_at, :status, :notes) RETURNING created_at, updated_at"
).bindparams(
    *outbox.EVENT_BINDS,
    *(bindparam(c, type_=Booking.__table__.c[c].type) for c in _BOOKING_COLUMNS),
)


async def _new_booking(
    session: AsyncSession, user: User, data: BookingIn
) -> tuple[Booking, dict[str, Any]]:
    """Check a one-off booking (recipient owned, caregiver visible, window) and gather the
    binds of its INSERT with its announcements; writes nothing."""
    family = await recipients_service.owned_members(session, user, data.recipient_id)
    check_window(data.start_at)
    caregiver_user_id = None
    if data.caregiver_id is not None:
        caregiver_user_id = await caregivers_service.visible_user_id(
            session, user, data.caregiver_id
        )
    values: dict[str, Any] = {
        "id": new_id(),
        "recipient_id": data.recipient_id,
        "caregiver_id": data.caregiver_id,
        "service_type": data.service_type.value,
        "start_at": data.start_at,
        "end_at": data.start_at + timedelta(minutes=data.duration_minutes),
        "status": S.OFFERED if data.caregiver_id is not None else S.REQUESTED,
        "notes": data.notes,
    }
    booking = Booking(**values, series_id=None, started_at=None, finished_at=None)
    events = await _announcements(
        session, booking, "created", caregiver_user_id=caregiver_user_id, family=family
    )
    return booking, values | outbox.event_params(events)


async def _write(session: AsyncSession, booking: Booking, params: dict[str, Any]) -> None:
    """Run `_INSERT_BOOKING`, then `booking` joins the session as a loaded row: nothing is left
    for the ORM to flush (decision 0015)."""
    try:
        created = (await session.execute(_INSERT_BOOKING, params)).one()
    except IntegrityError as exc:
        await session.rollback()
        if _is_double_booking(exc):
            raise _double_booked() from exc
        raise
    booking.created_at, booking.updated_at = created
    make_transient_to_detached(booking)
    session.add(booking)


async def add_booking(session: AsyncSession, user: User, data: BookingIn) -> Booking:
    """Insert a one-off booking and announce it, without committing (the caller commits, so a
    care request can link it in the same transaction)."""
    booking, params = await _new_booking(session, user, data)
    await _write(session, booking, params)
    return booking


async def create(session: AsyncSession, user: User, data: BookingIn) -> Booking:
    booking = await add_booking(session, user, data)
    await session.commit()  # expire_on_commit=False; server defaults came back with the INSERT
    metrics.BOOKING_TRANSITIONS.labels(to=booking.status.value).inc()
    return booking


def _recurrence(
    slots: Sequence[SlotIn], start_date: date, end_date: date | None, count: int | None
) -> Recurrence:
    return Recurrence(
        [WeeklySlot(s.weekday, time.fromisoformat(s.start), s.duration_minutes) for s in slots],
        start_date,
        end_date,
        count,
    )


def _horizon_end(today: date | None = None) -> date:
    return (today or datetime.now(SEOUL).date()) + HORIZON


def _self_overlaps(windows: Sequence[tuple[datetime, datetime]]) -> list[datetime]:
    ordered = sorted(windows)
    return [b[0] for a, b in itertools.pairwise(ordered) if b[0] < a[1]]


async def _conflicts(
    session: AsyncSession,
    caregiver_id: uuid.UUID,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    ignore_series: uuid.UUID | None = None,
) -> list[dict[str, str]]:
    overlaps = [and_(Booking.start_at < end, Booking.end_at > start) for start, end in windows]
    stmt = select(Booking.start_at, Booking.end_at).where(
        Booking.caregiver_id == caregiver_id,
        Booking.status.in_(ACTIVE_STATUSES),
        or_(*overlaps),
    )
    if ignore_series is not None:
        stmt = stmt.where(or_(Booking.series_id.is_(None), Booking.series_id != ignore_series))
    rows = (await session.execute(stmt.order_by(Booking.start_at))).all()
    return [
        {"start_at": s.astimezone(SEOUL).isoformat(), "end_at": e.astimezone(SEOUL).isoformat()}
        for s, e in rows
    ]


def _series_conflict(conflicts: list[dict[str, str]]) -> ProblemError:
    dates = sorted({c["start_at"][:10] for c in conflicts})
    return ProblemError(
        409,
        "series_conflicts",
        "The caregiver is already booked on some dates of this series",
        f"Nothing was booked. Conflicting dates (Asia/Seoul): {', '.join(dates)}.",
        conflicts=conflicts,
    )


def plan_weekly(
    slots: Sequence[SlotIn], start_date: date, end_date: date | None, count: int | None
) -> list[tuple[datetime, datetime]]:
    """Every visit of a weekly pattern (Asia/Seoul), or a 409 problem with a stable code: start
    in the past or over a year ahead, end before start, no occurrence, slots overlapping."""
    today = datetime.now(SEOUL).date()
    if not today <= start_date <= today + MAX_LEAD:
        raise ProblemError(
            409,
            "booking_out_of_range",
            "Start date not bookable",
            "A series starts today or later and at most one year ahead.",
        )
    try:
        everything = _recurrence(slots, start_date, end_date, count).occurrences()
    except RecurrenceError as exc:
        raise ProblemError(409, exc.code, "Recurring pattern not usable", str(exc)) from exc
    check_window(everything[0][0])
    if everything[-1][0] > datetime.now(UTC) + MAX_LEAD:
        raise ProblemError(
            409, "booking_out_of_range", "Series too far ahead", "A series ends within a year."
        )
    clashes = _self_overlaps(everything)
    if clashes:
        raise ProblemError(
            409,
            "recurrence_overlaps_itself",
            "The weekly slots overlap each other",
            f"Visits overlap on {', '.join(sorted({c.date().isoformat() for c in clashes}))}.",
        )
    return everything


def _visits(
    series: BookingSeries, windows: Sequence[tuple[datetime, datetime]], status: BookingStatus
) -> list[Booking]:
    return [
        Booking(
            recipient_id=series.recipient_id,
            caregiver_id=series.caregiver_id,
            series_id=series.id,
            service_type=series.service_type,
            start_at=start,
            end_at=end,
            status=status,
            notes=series.notes,
        )
        for start, end in windows
    ]


async def add_series(
    session: AsyncSession, user: User, data: SeriesIn
) -> tuple[BookingSeries, list[Booking]]:
    """Insert a series and its visits up to the horizon, all or (on any conflict) nothing;
    not committed (the caller commits)."""
    recipient = await recipients_service.get_owned(session, user, data.recipient_id)
    if data.caregiver_id is not None:
        await caregivers_service.get_visible(session, user, data.caregiver_id)
    everything = plan_weekly(data.slots, data.start_date, data.end_date, data.count)
    until = _horizon_end()
    windows = [w for w in everything if w[0].date() <= until]
    series = BookingSeries(
        recipient_id=recipient.id,
        caregiver_id=data.caregiver_id,
        service_type=data.service_type.value,
        slots=[s.model_dump() for s in data.slots],
        start_date=data.start_date,
        end_date=data.end_date,
        visit_count=data.count,
        materialised_until=until,
        notes=data.notes,
    )
    if data.caregiver_id is not None:
        # Every visit of the series, also those past the horizon, against the caregiver's.
        clashes = await _conflicts(session, data.caregiver_id, everything)
        if clashes:
            raise _series_conflict(clashes)
    session.add(series)
    await session.flush()
    status = S.OFFERED if data.caregiver_id is not None else S.REQUESTED
    visits = _visits(series, windows, status)
    session.add_all(visits)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        if not _is_double_booking(exc) or data.caregiver_id is None:
            raise
        raise _series_conflict(await _conflicts(session, data.caregiver_id, everything)) from exc
    if visits:
        await _announce(session, visits[0], "series_created")
    return series, visits


async def create_series(
    session: AsyncSession, user: User, data: SeriesIn
) -> tuple[BookingSeries, list[Booking]]:
    """A recurring booking: all of it (up to the horizon) or, on any conflict, nothing."""
    series, visits = await add_series(session, user, data)
    await session.commit()
    if visits:
        metrics.BOOKING_TRANSITIONS.labels(to=visits[0].status.value).inc(len(visits))
    return series, visits


async def change_series(
    session: AsyncSession, user: User, series_id: uuid.UUID, data: SeriesChangeIn
) -> tuple[BookingSeries, list[Booking]]:
    """Edit a series from a date on: the old series ends the day before (its earlier visits
    untouched), its later visits are cancelled and a new series with the new pattern continues
    it, checked as a whole against the caregiver's other visits. All or nothing."""
    await get_series(session, user, series_id)
    old = (
        await session.execute(
            select(BookingSeries).where(BookingSeries.id == series_id).with_for_update()
        )
    ).scalar_one()
    await recipients_service.get_owned(session, user, old.recipient_id)
    today = datetime.now(SEOUL).date()
    if (
        not old.active
        or data.from_date <= today
        or data.from_date < old.start_date
        or (old.end_date is not None and data.from_date > old.end_date)
    ):
        raise ProblemError(
            409,
            "series_change_out_of_range",
            "The series cannot change from that date",
            "Changes start after today, within the series' dates, on an active series.",
        )
    everything = plan_weekly(data.slots, data.from_date, data.end_date, data.count)
    cut = datetime.combine(data.from_date, time(0), SEOUL)
    replaced = (
        await session.scalars(
            select(Booking)
            .where(Booking.series_id == old.id, Booking.start_at >= cut)
            .with_for_update()
        )
    ).all()
    for visit in replaced:
        payment = await payments_service.for_booking(session, visit.id)
        if payment is not None and payment.approved_at is not None:
            raise ProblemError(
                409,
                "series_change_paid_visits",
                "Some visits from that date on are paid",
                f"Cancel the paid visit of {visit.start_at.astimezone(SEOUL).date()} on its own "
                "first (its refund follows the cancellation policy).",
            )
    if old.caregiver_id is not None:
        clashes = await _conflicts(session, old.caregiver_id, everything, ignore_series=old.id)
        if clashes:
            raise _series_conflict(clashes)
    for visit in replaced:
        if visit.status in _CANCELLABLE:
            visit.status = S.CANCELLED_BY_FAMILY
    old.visit_count = None
    old.end_date = max(data.from_date - timedelta(days=1), old.start_date)
    old.active = data.from_date > old.start_date
    until = _horizon_end()
    new = BookingSeries(
        recipient_id=old.recipient_id,
        caregiver_id=old.caregiver_id,
        service_type=old.service_type,
        slots=[s.model_dump() for s in data.slots],
        start_date=data.from_date,
        end_date=data.end_date,
        visit_count=data.count,
        materialised_until=until,
        notes=old.notes,
        continues_series_id=old.id,
    )
    session.add(new)
    await session.flush()
    # A changed pattern is offered to the caregiver again (they accepted the old one).
    status = S.OFFERED if new.caregiver_id is not None else S.REQUESTED
    visits = _visits(new, [w for w in everything if w[0].date() <= until], status)
    session.add_all(visits)
    try:
        await session.flush()
    except IntegrityError as exc:  # a visit booked since the check above
        await session.rollback()
        if not _is_double_booking(exc) or old.caregiver_id is None:
            raise
        raise _series_conflict(
            await _conflicts(session, old.caregiver_id, everything, ignore_series=series_id)
        ) from exc
    if visits:
        await _announce(session, visits[0], "series_changed")
    await session.commit()
    return new, visits


async def get_series(session: AsyncSession, user: User, series_id: uuid.UUID) -> BookingSeries:
    series = await session.get(BookingSeries, series_id)
    visible = (
        series is not None
        and (
            await session.execute(visible_to(user).where(Booking.series_id == series_id).limit(1))
        ).scalar_one_or_none()
        is not None
    )
    if series is None or not visible:
        raise ProblemError(
            404, "series_not_found", "Series not found", f"No series {series_id} you can see."
        )
    return series


async def series_visits(session: AsyncSession, series_id: uuid.UUID) -> list[Booking]:
    return list(
        (
            await session.scalars(
                select(Booking).where(Booking.series_id == series_id).order_by(Booking.start_at)
            )
        ).all()
    )


async def materialise_due(sessions: async_sessionmaker[AsyncSession], today: date) -> int:
    """Worker pass: extend every active series to the rolling horizon. An occurrence that would
    overlap another visit of the caregiver is skipped (logged), the rest are created."""
    until = today + HORIZON
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(BookingSeries.id).where(
                    BookingSeries.active.is_(True), BookingSeries.materialised_until < until
                )
            )
        ).all()
    created = 0
    for series_id in ids:
        async with sessions() as session:
            created += await _extend(session, series_id, until)
    return created


async def _extend(session: AsyncSession, series_id: uuid.UUID, until: date) -> int:
    series = (
        await session.execute(
            select(BookingSeries).where(BookingSeries.id == series_id).with_for_update()
        )
    ).scalar_one()
    done = await session.scalar(
        select(func.count()).select_from(Booking).where(Booking.series_id == series_id)
    )
    recurrence = Recurrence(
        [
            WeeklySlot(s["weekday"], time.fromisoformat(s["start"]), s["duration_minutes"])
            for s in series.slots
        ],
        series.start_date,
        series.end_date,
        series.visit_count,
    )
    accepted = await session.scalar(
        select(Booking.id)
        .where(
            Booking.series_id == series_id,
            Booking.status.in_((S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.SETTLED)),
        )
        .limit(1)
    )
    if series.caregiver_id is None:
        status = S.REQUESTED
    else:
        status = S.CONFIRMED if accepted is not None else S.OFFERED
    created = 0
    occurrences = recurrence.occurrences(until=until)
    for start, end in occurrences:
        if start.date() <= series.materialised_until:
            continue
        if series.visit_count is not None and (done or 0) + created >= series.visit_count:
            break
        visit = Booking(
            recipient_id=series.recipient_id,
            caregiver_id=series.caregiver_id,
            series_id=series.id,
            service_type=series.service_type,
            start_at=start,
            end_at=end,
            status=status,
            notes=series.notes,
        )
        try:
            async with session.begin_nested():
                session.add(visit)
        except IntegrityError:
            log.warning(
                "bookings.series_occurrence_conflict",
                series_id=str(series_id),
                start_at=start.isoformat(),
            )
            continue
        created += 1
    series.materialised_until = until
    await session.commit()
    return created


def cancellation_terms(
    booking: Booking, policy: CancellationPolicy, paid_krw: int, by: CancelledBy
) -> CancellationTerms:
    return terms(policy, booking.start_at, datetime.now(UTC), by, paid_krw)


def _check_move(user: User, booking: Booking, target: BookingStatus) -> None:
    move = (booking.status, target)
    if move in SERVED_MOVES:
        raise ProblemError(
            409,
            "use_check_in",
            "Visits start and end with check-in and check-out",
            "The caregiver checks in (POST /v1/bookings/{id}/check-in) and out "
            "(…/check-out) with a GPS fix; that moves the visit.",
            current_status=booking.status.value,
        )
    if move not in TRANSITIONS[user.role]:
        if any(move in allowed for allowed in TRANSITIONS.values()):
            raise ProblemError(
                403,
                "not_your_move",
                "Another party makes this change",
                f"As {user.role.value} you cannot move a booking to {target.value}.",
                current_status=booking.status.value,
            )
        raise ProblemError(
            409,
            "invalid_transition",
            "Status change not allowed",
            f"A booking cannot move from {booking.status.value} to {target.value}.",
            current_status=booking.status.value,
        )
    if move in _AFTER_START and datetime.now(UTC) < booking.start_at - START_EARLY:
        raise ProblemError(
            409,
            "visit_not_started",
            "The visit has not started yet",
            f"This change is possible from {booking.start_at.astimezone(SEOUL).isoformat()}.",
            current_status=booking.status.value,
        )


async def change_status(
    session: AsyncSession,
    user: User,
    booking_id: uuid.UUID,
    target: BookingStatus,
    *,
    policy: CancellationPolicy,
    provider: PaymentProvider | None,
) -> Booking:
    booking = await get_visible(session, user, booking_id, lock=True)
    if user.role == Role.FAMILY and not await recipients_service.is_owner(
        session, booking.recipient_id, user.id
    ):
        raise recipients_service.not_owner()  # viewers sharing the recipient only watch
    _check_move(user, booking, target)
    booking.status = target
    if target == S.CONFIRMED and booking.series_id is not None:
        # Accepting one offered visit of a series accepts the series' other offered visits.
        others = await session.scalars(
            select(Booking)
            .where(Booking.series_id == booking.series_id, Booking.status == S.OFFERED)
            .with_for_update()
        )
        for other in others:
            other.status = S.CONFIRMED
    payment = await payments_service.for_booking(session, booking.id, lock=True)
    refund_due = 0
    if target in _CANCELLED_BY and payment is not None:
        paid = payment.amount_krw - payment.refunded_krw
        deal = cancellation_terms(booking, policy, paid, _CANCELLED_BY[target])
        why = f"{target.value} ({'free' if deal.free else 'late'} cancellation)"
        refund_due = payments_service.schedule_refund(payment, deal.refund_krw, why)
    if target == S.SETTLED:
        refund_due = await _settle_pricing(session, booking, payment)
    await _announce(session, booking, f"status_{target.value}")
    await session.commit()  # the cancellation and the refund it owes, together
    metrics.BOOKING_TRANSITIONS.labels(to=target.value).inc()
    if refund_due and payment is not None and provider is not None:
        try:
            await payments_service.send_refund(session, provider, payment.id)
        except (ProviderError, ProviderUnavailableError) as exc:
            # The cancellation stands and the refund stays due: the worker resends it.
            log.warning("bookings.refund_deferred", payment_id=str(payment.id), error=str(exc))
            await session.rollback()
    await session.refresh(booking)
    return booking


async def _settle_pricing(session: AsyncSession, booking: Booking, payment: Payment | None) -> int:
    """Settlement prices the visit with its own year's table (409 `fee_table_pending` while an
    insured visit's table is missing). A payment priced provisionally keeps its amount; a lower
    final share is refunded, a higher one is not charged (decision 0014). Returns the refund."""
    final = await billing_service.final_share(session, booking)
    if payment is None or not payment.priced_provisionally:
        return 0
    year = booking.start_at.astimezone(SEOUL).year
    why = f"settled with the {year} table (priced provisionally with {payment.table_year}'s)"
    return payments_service.schedule_refund(payment, payment.amount_krw - final, why)


async def record_served(
    session: AsyncSession, booking: Booking, target: BookingStatus, at: datetime
) -> None:
    """Visit verification moves the visit: `in_progress` from check-in (its start), `completed`
    from check-out (its end) — what billing prices. Announced like any move; the caller commits."""
    booking.status = target
    if target == S.IN_PROGRESS:
        booking.started_at = at
    elif target == S.COMPLETED:
        booking.finished_at = at
    await _announce(session, booking, f"status_{target.value}")


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[Booking], str | None]:
    """One page of what `user` may see, oldest first."""
    return await page_by_id(session, visible_to(user), Booking.id, cursor, limit)
