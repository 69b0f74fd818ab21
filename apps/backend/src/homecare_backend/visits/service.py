"""Electronic visit verification: check-in and check-out by the assigned caregiver.

Every check is recorded with the fix as reported and the server's verdict; whatever is not in
order (outside the fence, tag missing or wrong, check-in far from the planned start, check-out
without check-in) becomes an open `VisitException` for the agency — the visit still moves on,
as the caregiver is at work, but nothing is silently accepted. Refused outright (4xx, nothing
written): a second check-in or check-out, a check before the visit's window, a check-out whose
device time precedes the check-in's, a fix whose device time is a day away from ours.

The visit's served times (`started_at`, `finished_at`) are the server's clock at check-in and
check-out: billing prices them. Every family member sharing the recipient is told
(`caregiver_arrived`, `visit_started`, `visit_completed`, `visit_exception`); the admins of the
caregiver's agency get each `visit_exception` too, to review it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend import metrics
from homecare_backend.api import page_by_id
from homecare_backend.bookings import service as bookings_service
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.config import Settings
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role, User
from homecare_backend.visits import geofence
from homecare_backend.visits.models import (
    CheckKind,
    ExceptionReason,
    TagResult,
    VisitCheck,
    VisitException,
    VisitSite,
)
from homecare_backend.visits.schemas import FixIn, ResolutionIn, VisitSiteIn
from homecare_shared.errors import ProblemError

S = BookingStatus
MAX_CLOCK_SKEW = timedelta(hours=24)


@dataclass(frozen=True)
class EvvPolicy:
    radius_m: int = 100  # default fence around a home without its own settings
    accuracy_cap_m: int = 50
    start_tolerance: timedelta = timedelta(minutes=30)  # check-in this close to start: on time
    earliest_check_in: timedelta = timedelta(hours=2)  # before that, refused (wrong visit)


def policy(settings: Settings) -> EvvPolicy:
    return EvvPolicy(
        radius_m=settings.evv_radius_m,
        accuracy_cap_m=settings.evv_accuracy_cap_m,
        start_tolerance=timedelta(minutes=settings.evv_start_tolerance_minutes),
        earliest_check_in=timedelta(minutes=settings.evv_earliest_check_in_minutes),
    )


def tag_digest(recipient_id: uuid.UUID, code: str) -> str:
    return hashlib.sha256(f"homecare-visit-tag:{recipient_id}:{code.strip()}".encode()).hexdigest()


@dataclass
class Verdict:
    check: VisitCheck
    exceptions: list[VisitException]
    booking: Booking


def _conflict(code: str, title: str, detail: str, booking: Booking) -> ProblemError:
    return ProblemError(409, code, title, detail, current_status=booking.status.value)


async def _assigned_visit(session: AsyncSession, user: User, booking_id: uuid.UUID) -> Booking:
    """The booking, locked, if it is assigned to this caregiver (404 otherwise)."""
    booking = await bookings_service.get_visible(session, user, booking_id, lock=True)
    if user.role != Role.CAREGIVER:
        raise ProblemError(
            403, "forbidden_role", "Not allowed for your role", "Only the caregiver checks in."
        )
    return booking


async def _checks(session: AsyncSession, booking_id: uuid.UUID) -> dict[str, VisitCheck]:
    rows = await session.scalars(select(VisitCheck).where(VisitCheck.booking_id == booking_id))
    return {c.kind: c for c in rows}


async def site_settings(
    session: AsyncSession, recipient_id: uuid.UUID, rules: EvvPolicy
) -> tuple[int, int, str | None, VisitSite | None]:
    site = await session.get(VisitSite, recipient_id)
    if site is None:
        return rules.radius_m, rules.accuracy_cap_m, None, None
    return site.radius_m, site.accuracy_cap_m, site.tag_digest, site


def _plausible(fix: FixIn, now: datetime) -> None:
    if abs(fix.device_time - now) > MAX_CLOCK_SKEW:
        raise ProblemError(
            422,
            "implausible_device_time",
            "The fix's device time is not plausible",
            "device_time must be within a day of the server's clock; check the phone's clock.",
        )
    if fix.latitude == 0 and fix.longitude == 0:
        raise ProblemError(
            422,
            "impossible_fix",
            "The fix has no position",
            "0,0 is what a phone reports without a position; take the fix again.",
        )


async def _record(
    session: AsyncSession,
    *,
    booking: Booking,
    kind: CheckKind,
    fix: FixIn,
    now: datetime,
    rules: EvvPolicy,
    extra: list[tuple[ExceptionReason, str]],
) -> tuple[VisitCheck, list[VisitException]]:
    recipient = await session.get_one(CareRecipient, booking.recipient_id)
    radius, cap, digest, _ = await site_settings(session, recipient.id, rules)
    fence = geofence.check(
        home=(recipient.latitude, recipient.longitude),
        fix=(fix.latitude, fix.longitude),
        accuracy_m=fix.accuracy_m,
        radius_m=radius,
        accuracy_cap_m=cap,
    )
    if digest is None:
        tag = TagResult.NOT_REGISTERED
    elif fix.tag_code is None:
        tag = TagResult.MISSING
    elif hmac.compare_digest(digest, tag_digest(recipient.id, fix.tag_code)):
        tag = TagResult.MATCH
    else:
        tag = TagResult.MISMATCH
    check = VisitCheck(
        booking_id=booking.id,
        caregiver_id=booking.caregiver_id,
        kind=kind.value,
        latitude=fix.latitude,
        longitude=fix.longitude,
        accuracy_m=fix.accuracy_m,
        device_time=fix.device_time,
        recorded_at=now,
        distance_m=round(fence.distance_m, 1),
        allowed_m=round(fence.allowed_m, 1),
        tag=tag.value,
    )
    session.add(check)
    await session.flush()
    reasons = list(extra)
    if not fence.inside:
        reasons.append(
            (
                ExceptionReason.OUTSIDE_GEOFENCE,
                f"{fence.distance_m:.0f} m from the home; {fence.allowed_m:.0f} m allowed "
                f"({radius} m fence + {min(fix.accuracy_m, cap):.0f} m of the fix's accuracy)",
            )
        )
    if tag == TagResult.MISSING:
        reasons.append((ExceptionReason.TAG_MISSING, "The home has a tag; none was scanned"))
    elif tag == TagResult.MISMATCH:
        reasons.append((ExceptionReason.TAG_MISMATCH, "The scanned code is not the home's tag"))
    exceptions = [
        VisitException(booking_id=booking.id, check_id=check.id, reason=r.value, detail=d)
        for r, d in reasons
    ]
    session.add_all(exceptions)
    await session.flush()
    return check, exceptions


async def _agency_admins(session: AsyncSession, agency_id: uuid.UUID | None) -> list[uuid.UUID]:
    if agency_id is None:
        return []
    return list(
        await session.scalars(
            select(User.id).where(User.role == Role.AGENCY_ADMIN, User.agency_id == agency_id)
        )
    )


async def _tell_family(
    session: AsyncSession,
    booking: Booking,
    check: VisitCheck,
    topics: list[str],
    exceptions: list[VisitException],
) -> None:
    """Every family member sharing the recipient gets `topics` and each exception; the admins of
    the caregiver's agency get the exceptions too (they review them)."""
    family = await recipients_service.member_user_ids(session, booking.recipient_id)
    caregiver = (
        await session.execute(
            select(User.display_name, CaregiverProfile.agency_id)
            .join(CaregiverProfile, CaregiverProfile.user_id == User.id)
            .where(CaregiverProfile.id == booking.caregiver_id)
        )
    ).one()
    reviewers = await _agency_admins(session, caregiver.agency_id) if exceptions else []
    base = {
        "booking_id": str(booking.id),
        "recipient_id": str(booking.recipient_id),
        "caregiver_name": caregiver.display_name,
        "at": check.recorded_at.isoformat(),
        "status": booking.status.value,
    }
    events = [(u, t, base) for t in topics for u in family]
    events += [
        (u, "visit_exception", {**base, "reason": e.reason, "detail": e.detail})
        for e in exceptions
        for u in (*family, *reviewers)
    ]
    await outbox.enqueue_many(session, events)


async def check_in(
    session: AsyncSession, user: User, booking_id: uuid.UUID, fix: FixIn, rules: EvvPolicy
) -> Verdict:
    booking = await _assigned_visit(session, user, booking_id)
    now = datetime.now(UTC)
    if CheckKind.CHECK_IN in await _checks(session, booking.id):
        raise _conflict(
            "already_checked_in", "Already checked in", "This visit has its check-in.", booking
        )
    if booking.status != S.CONFIRMED:
        raise _conflict(
            "visit_not_checkable",
            "This visit cannot be checked into",
            f"Check-in needs a confirmed visit; this one is {booking.status.value}.",
            booking,
        )
    if now < booking.start_at - rules.earliest_check_in:
        raise _conflict(
            "visit_not_started",
            "Too early to check in",
            f"Check-in opens {int(rules.earliest_check_in.total_seconds() // 60)} min before "
            "the planned start.",
            booking,
        )
    _plausible(fix, now)
    extra = []
    off = now - booking.start_at
    if abs(off) > rules.start_tolerance:
        early_late = "after" if off > timedelta(0) else "before"
        extra.append(
            (
                ExceptionReason.CHECK_IN_FAR_FROM_START,
                f"Checked in {abs(off).total_seconds() / 60:.0f} min {early_late} the start",
            )
        )
    check, exceptions = await _record(
        session,
        booking=booking,
        kind=CheckKind.CHECK_IN,
        fix=fix,
        now=now,
        rules=rules,
        extra=extra,
    )
    await bookings_service.record_served(session, booking, S.IN_PROGRESS, now)
    await _tell_family(session, booking, check, ["caregiver_arrived", "visit_started"], exceptions)
    await session.commit()
    metrics.BOOKING_TRANSITIONS.labels(to=S.IN_PROGRESS.value).inc()
    return Verdict(check, exceptions, booking)


async def check_out(
    session: AsyncSession, user: User, booking_id: uuid.UUID, fix: FixIn, rules: EvvPolicy
) -> Verdict:
    booking = await _assigned_visit(session, user, booking_id)
    now = datetime.now(UTC)
    checks = await _checks(session, booking.id)
    if CheckKind.CHECK_OUT in checks:
        raise _conflict(
            "already_checked_out", "Already checked out", "This visit has its check-out.", booking
        )
    checked_in = checks.get(CheckKind.CHECK_IN)
    extra = []
    if checked_in is None:
        if booking.status != S.CONFIRMED or now < booking.start_at:
            raise _conflict(
                "visit_not_checkable",
                "This visit cannot be checked out of",
                "Check out of a visit you checked into, or of a confirmed visit that has "
                f"started; this one is {booking.status.value}.",
                booking,
            )
        extra.append(
            (
                ExceptionReason.CHECK_OUT_WITHOUT_CHECK_IN,
                "No check-in was recorded; the visit's start is unknown until reviewed",
            )
        )
    elif fix.device_time < checked_in.device_time:
        raise _conflict(
            "check_out_before_check_in",
            "Check-out before check-in",
            "The fix's device time precedes the check-in's.",
            booking,
        )
    _plausible(fix, now)
    check, exceptions = await _record(
        session,
        booking=booking,
        kind=CheckKind.CHECK_OUT,
        fix=fix,
        now=now,
        rules=rules,
        extra=extra,
    )
    await bookings_service.record_served(session, booking, S.COMPLETED, now)
    await _tell_family(session, booking, check, ["visit_completed"], exceptions)
    await session.commit()
    metrics.BOOKING_TRANSITIONS.labels(to=S.COMPLETED.value).inc()
    return Verdict(check, exceptions, booking)


async def visit(
    session: AsyncSession, user: User, booking_id: uuid.UUID
) -> tuple[Booking, dict[str, VisitCheck], list[VisitException]]:
    booking = await bookings_service.get_visible(session, user, booking_id)
    exceptions = list(
        (
            await session.scalars(
                select(VisitException)
                .where(VisitException.booking_id == booking.id)
                .order_by(VisitException.id)
            )
        ).all()
    )
    return booking, await _checks(session, booking.id), exceptions


def _reviewer(user: User) -> None:
    if user.role not in (Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN):
        raise ProblemError(
            403,
            "forbidden_role",
            "Not allowed for your role",
            "Visit exceptions are reviewed by the caregiver's agency.",
        )


def _reviewable(user: User) -> Select[VisitException]:
    visible = bookings_service.visible_to(user).with_only_columns(Booking.id)
    return select(VisitException).where(VisitException.booking_id.in_(visible))


async def list_exceptions(
    session: AsyncSession,
    user: User,
    *,
    status: str | None,
    cursor: uuid.UUID | None,
    limit: int,
) -> tuple[list[VisitException], str | None]:
    """Exceptions of the visits of the agency's caregivers (platform admins: all), oldest first."""
    _reviewer(user)
    stmt = _reviewable(user)
    if status is not None:
        stmt = stmt.where(VisitException.status == status)
    return await page_by_id(session, stmt, VisitException.id, cursor, limit)


async def resolve(
    session: AsyncSession, user: User, exception_id: uuid.UUID, data: ResolutionIn
) -> VisitException:
    _reviewer(user)
    found = (
        await session.execute(
            _reviewable(user).where(VisitException.id == exception_id).with_for_update()
        )
    ).scalar_one_or_none()
    if found is None:
        raise ProblemError(
            404,
            "visit_exception_not_found",
            "Visit exception not found",
            f"No visit exception {exception_id} among your agency's visits.",
        )
    if found.status != "open":
        raise ProblemError(
            409,
            "exception_already_resolved",
            "Already reviewed",
            f"This exception was {found.status}.",
            current_status=found.status,
        )
    found.status = data.decision
    found.resolution_note = data.note
    found.resolved_by = user.id
    found.resolved_at = datetime.now(UTC)
    await session.commit()
    await session.refresh(found)
    return found


async def _site_recipient(
    session: AsyncSession, user: User, recipient_id: uuid.UUID
) -> CareRecipient:
    """Agency admins keep the homes their caregivers visit; platform admins every home."""
    _reviewer(user)
    recipient = await session.get(CareRecipient, recipient_id)
    served = recipient is not None and (
        user.role == Role.PLATFORM_ADMIN
        or (
            await session.execute(
                bookings_service.visible_to(user)
                .where(Booking.recipient_id == recipient_id)
                .limit(1)
            )
        ).scalar_one_or_none()
        is not None
    )
    if recipient is None or not served:
        raise recipients_service.not_found(recipient_id)
    return recipient


async def get_site(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, rules: EvvPolicy
) -> tuple[uuid.UUID, int, int, bool, datetime | None]:
    recipient = await _site_recipient(session, user, recipient_id)
    radius, cap, digest, site = await site_settings(session, recipient.id, rules)
    return recipient.id, radius, cap, digest is not None, site.updated_at if site else None


async def put_site(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, data: VisitSiteIn
) -> VisitSite:
    recipient = await _site_recipient(session, user, recipient_id)
    site = await session.get(VisitSite, recipient.id, with_for_update=True)
    if site is None:
        site = VisitSite(recipient_id=recipient.id)
        session.add(site)
    site.radius_m = data.radius_m
    site.accuracy_cap_m = data.accuracy_cap_m
    site.tag_digest = None if data.tag_code is None else tag_digest(recipient.id, data.tag_code)
    site.updated_by = user.id
    await session.commit()
    await session.refresh(site)
    return site
