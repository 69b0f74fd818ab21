"""Caregiver profiles, availability and verification, with object-level access rules:

- platform admins see and verify every caregiver;
- agency admins see (and manage availability of) their agency's caregivers;
- a caregiver sees and edits only their own profile;
- families see verified caregivers only (they book them).
Every write also records a `caregiver.changed` event for the matching index (same transaction).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.agencies.models import Agency
from homecare_backend.api import page_by_id
from homecare_backend.caregivers.models import (
    CaregiverDayOff,
    CaregiverProfile,
    CaregiverWeeklySlot,
    VerificationStatus,
)
from homecare_backend.caregivers.schemas import (
    Availability,
    AvailabilityOut,
    CaregiverIn,
    DayOffIn,
    VerificationIn,
    WeeklySlot,
)
from homecare_backend.notifications import outbox
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError


def not_found(caregiver_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "caregiver_not_found",
        "Caregiver not found",
        f"No caregiver {caregiver_id} that you can see.",
    )


def visible_to(user: User) -> Select[CaregiverProfile]:
    stmt = select(CaregiverProfile)
    match user.role:
        case Role.PLATFORM_ADMIN:
            return stmt
        case Role.AGENCY_ADMIN:
            return stmt.where(
                CaregiverProfile.agency_id.is_not(None),
                CaregiverProfile.agency_id == user.agency_id,
            )
        case Role.CAREGIVER:
            return stmt.where(CaregiverProfile.user_id == user.id)
        case _:
            return stmt.where(CaregiverProfile.verification_status == VerificationStatus.VERIFIED)


async def get_visible(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, *, lock: bool = False
) -> CaregiverProfile:
    stmt = visible_to(user).where(CaregiverProfile.id == caregiver_id)
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(caregiver_id)
    return found


async def visible_user_id(session: AsyncSession, user: User, caregiver_id: uuid.UUID) -> uuid.UUID:
    """The account of a caregiver `user` may see (404 as `get_visible` otherwise), without
    loading the profile: booking creation needs only this."""
    stmt = visible_to(user).where(CaregiverProfile.id == caregiver_id)
    found: uuid.UUID | None = await session.scalar(stmt.with_only_columns(CaregiverProfile.user_id))
    if found is None:
        raise not_found(caregiver_id)
    return found


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "not_allowed", "You may not change this caregiver", detail)


async def get_editable(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, *, agency_may: bool
) -> CaregiverProfile:
    """The caregiver themself (or their agency admin when `agency_may`); 403 for other viewers."""
    profile = await get_visible(session, user, caregiver_id, lock=True)
    if profile.user_id == user.id:
        return profile
    if agency_may and user.role == Role.AGENCY_ADMIN:
        return profile  # visible_to already limited agency admins to their own agency
    raise _forbidden("Only the caregiver (or, for availability, their agency) may change this.")


async def own_profile(session: AsyncSession, user: User) -> CaregiverProfile:
    found = (
        await session.execute(select(CaregiverProfile).where(CaregiverProfile.user_id == user.id))
    ).scalar_one_or_none()
    if found is None:
        raise ProblemError(
            404,
            "caregiver_profile_missing",
            "You have no caregiver profile yet",
            "Create it with POST /v1/caregivers.",
        )
    return found


def _values(data: CaregiverIn) -> dict[str, object]:
    values = data.model_dump()
    values["skills"] = sorted(set(values["skills"]))
    values["languages"] = sorted(set(values["languages"]))
    return values


async def create(session: AsyncSession, user: User, data: CaregiverIn) -> CaregiverProfile:
    profile = CaregiverProfile(user_id=user.id, **_values(data))
    session.add(profile)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise ProblemError(
            409,
            "caregiver_profile_exists",
            "You already have a caregiver profile",
            "Change it with PUT /v1/caregivers/{caregiver_id}.",
        ) from exc
    await outbox.caregiver_changed(session, profile.id, "profile_created")
    await session.commit()
    await session.refresh(profile)
    return profile


async def replace(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, data: CaregiverIn
) -> CaregiverProfile:
    profile = await get_editable(session, user, caregiver_id, agency_may=False)
    values = _values(data)
    if values["licence_number"] != profile.licence_number:
        profile.verification_status = VerificationStatus.PENDING
        profile.verified_at = None
    for key, value in values.items():
        setattr(profile, key, value)
    await outbox.caregiver_changed(session, profile.id, "profile_updated")
    await session.commit()
    await session.refresh(profile)
    return profile


async def availability(session: AsyncSession, profile: CaregiverProfile) -> AvailabilityOut:
    slots = (
        await session.execute(
            select(CaregiverWeeklySlot)
            .where(CaregiverWeeklySlot.caregiver_id == profile.id)
            .order_by(CaregiverWeeklySlot.weekday, CaregiverWeeklySlot.start_time)
        )
    ).scalars()
    days = (
        await session.execute(
            select(CaregiverDayOff)
            .where(CaregiverDayOff.caregiver_id == profile.id)
            .order_by(CaregiverDayOff.day)
        )
    ).scalars()
    return AvailabilityOut(
        weekly_slots=[
            WeeklySlot(
                weekday=s.weekday,
                start=s.start_time.strftime("%H:%M"),
                end=s.end_time.strftime("%H:%M"),
            )
            for s in slots
        ],
        days_off=[DayOffIn(day=d.day, reason=d.reason) for d in days],
    )


def _parse(clock: str) -> time:
    hours, minutes = clock.split(":")
    return time(int(hours), int(minutes))


def _checked_slots(data: Availability) -> list[tuple[int, time, time]]:
    slots = sorted((s.weekday, _parse(s.start), _parse(s.end)) for s in data.weekly_slots)
    for i, (weekday, start, end) in enumerate(slots):
        if end <= start:
            raise ProblemError(
                409,
                "invalid_availability",
                "A slot ends before it starts",
                f"Weekday {weekday}: {start:%H:%M}–{end:%H:%M}; `end` must be after `start`.",
            )
        if i and slots[i - 1][0] == weekday and slots[i - 1][2] > start:
            raise ProblemError(
                409,
                "invalid_availability",
                "Slots overlap",
                f"Weekday {weekday}: slots at {slots[i - 1][1]:%H:%M} and {start:%H:%M} overlap;"
                " merge them.",
            )
    return slots


async def replace_availability(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, data: Availability
) -> AvailabilityOut:
    profile = await get_editable(session, user, caregiver_id, agency_may=True)
    slots = _checked_slots(data)
    await session.execute(
        delete(CaregiverWeeklySlot).where(CaregiverWeeklySlot.caregiver_id == profile.id)
    )
    if slots:
        await session.execute(
            insert(CaregiverWeeklySlot),
            [
                {"caregiver_id": profile.id, "weekday": w, "start_time": s, "end_time": e}
                for w, s, e in slots
            ],
        )
    await outbox.caregiver_changed(session, profile.id, "availability_updated")
    await session.commit()
    return await availability(session, profile)


async def add_day_off(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, data: DayOffIn
) -> AvailabilityOut:
    profile = await get_editable(session, user, caregiver_id, agency_may=True)
    exists = await session.get(CaregiverDayOff, (profile.id, data.day))
    if exists is not None:
        raise ProblemError(
            409, "day_off_exists", "Already a day off", f"{data.day} is already a day off."
        )
    session.add(CaregiverDayOff(caregiver_id=profile.id, day=data.day, reason=data.reason))
    await outbox.caregiver_changed(session, profile.id, "day_off_added")
    await session.commit()
    return await availability(session, profile)


async def remove_day_off(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, day: object
) -> None:
    profile = await get_editable(session, user, caregiver_id, agency_may=True)
    result = await session.execute(
        delete(CaregiverDayOff).where(
            CaregiverDayOff.caregiver_id == profile.id, CaregiverDayOff.day == day
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ProblemError(404, "day_off_not_found", "Not a day off", f"{day} is not a day off.")
    await outbox.caregiver_changed(session, profile.id, "day_off_removed")
    await session.commit()


def _admin_only(user: User) -> None:
    if user.role != Role.PLATFORM_ADMIN:
        raise ProblemError(
            403,
            "forbidden_role",
            "Only platform admins may do this",
            "Ask a platform admin (verification and agency membership are admin decisions).",
        )


async def set_verification(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, data: VerificationIn
) -> CaregiverProfile:
    profile = await get_visible(session, user, caregiver_id, lock=True)
    _admin_only(user)
    profile.verification_status = data.status
    profile.verification_note = data.note
    profile.verified_at = datetime.now(UTC) if data.status == "verified" else None
    await outbox.caregiver_changed(session, profile.id, "verification_changed")
    await outbox.notify_user(
        session,
        profile.user_id,
        "caregiver.verification_changed",
        {"caregiver_id": str(profile.id), "status": data.status, "note": data.note},
    )
    await session.commit()
    await session.refresh(profile)
    return profile


async def set_agency(
    session: AsyncSession, user: User, caregiver_id: uuid.UUID, agency_id: uuid.UUID | None
) -> CaregiverProfile:
    profile = await get_visible(session, user, caregiver_id, lock=True)
    _admin_only(user)
    if agency_id is not None and await session.get(Agency, agency_id) is None:
        raise ProblemError(
            409, "agency_not_found", "No such agency", f"Agency {agency_id} does not exist."
        )
    profile.agency_id = agency_id
    await outbox.caregiver_changed(session, profile.id, "agency_changed")
    await session.commit()
    await session.refresh(profile)
    return profile


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[CaregiverProfile], str | None]:
    """One page of what `user` may see, oldest first."""
    return await page_by_id(session, visible_to(user), CaregiverProfile.id, cursor, limit)
