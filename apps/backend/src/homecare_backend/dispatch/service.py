"""The dispatch state machine (all state in the database; every step is one transaction of the
caller's session, committed before the step returns).

    start(booking)  -> dispatch ACTIVE, wave 1 offered to the top `wave_size` candidates
    tick()          -> pending offers past `expires_at` become EXPIRED; a dispatch with no pending
                       offer left sends its next wave, or becomes EXHAUSTED when none remain
    decline(offer)  -> DECLINED; the next wave goes out at once if it was the last pending one
    accept(offer)   -> first accept wins: the dispatch row is locked (SELECT … FOR UPDATE), so
                       concurrent accepts serialise; the winner gets the booking (ACCEPTED), every
                       other pending offer becomes WITHDRAWN and its caregiver is notified
                       (`offer_withdrawn`); later accepts get 409 `offer_withdrawn`.

Candidates are ranked once by the matching service when the dispatch starts and stored with it,
so waves continue from the database after any restart of matching or the backend.
The HTTP routes pass their request-scoped session; the ticker loop opens one per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from homecare_backend import metrics
from homecare_backend.bookings.models import Booking, BookingSeries, BookingStatus
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.dispatch.models import Dispatch, DispatchOffer, DispatchStatus, OfferStatus
from homecare_backend.notifications import outbox
from homecare_backend.recipients import service as recipients_service
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_shared.logging import get_logger

CandidateSource = Callable[[AsyncSession, Booking], Awaitable[Sequence[uuid.UUID]]]
Clock = Callable[[], datetime]
log = get_logger("homecare.dispatch")
DISPATCHABLE = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DispatchSettings:
    wave_size: int = 3
    offer_ttl: timedelta = timedelta(minutes=10)
    max_candidates: int = 30


def _conflict(code: str, title: str, detail: str) -> ProblemError:
    return ProblemError(409, code, title, detail)


class DispatchService:
    """The steps of a dispatch, with the candidate source, wave settings and clock injected."""

    def __init__(
        self,
        candidates: CandidateSource,
        settings: DispatchSettings | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.candidates = candidates
        self.settings = settings or DispatchSettings()
        self.clock = clock

    # ------------------------------------------------------------------ commands
    async def start(
        self,
        session: AsyncSession,
        *,
        booking_id: uuid.UUID,
        requested_by: User,
        ranked: Sequence[uuid.UUID] | None = None,
    ) -> Dispatch:
        """Only the booking's owners (or a platform admin) dispatch it; others get 404.
        `ranked` (a care request's stored candidates) skips asking the candidate source."""
        recipient_id = await session.scalar(
            select(Booking.recipient_id).where(Booking.id == booking_id)
        )
        if recipient_id is None or (
            requested_by.role != Role.PLATFORM_ADMIN
            and not await recipients_service.is_owner(session, recipient_id, requested_by.id)
        ):
            raise ProblemError(404, "booking_not_found", "No such booking", "Check the booking id.")
        booking = await session.get(Booking, booking_id, with_for_update=True)
        if booking is None:
            raise ProblemError(404, "booking_not_found", "No such booking", str(booking_id))
        if booking.caregiver_id is not None or booking.status not in DISPATCHABLE:
            raise _conflict(
                "booking_not_dispatchable",
                "This booking cannot be dispatched",
                "Only a requested or confirmed booking without a caregiver is dispatched.",
            )
        existing = await session.scalar(select(Dispatch).where(Dispatch.booking_id == booking_id))
        if existing is not None:
            raise _conflict(
                "dispatch_exists", "Already dispatched", f"Dispatch {existing.id} exists."
            )
        if ranked is None:
            ranked = await self.candidates(session, booking)
        ranked = list(ranked)[: self.settings.max_candidates]
        dispatch = Dispatch(
            booking_id=booking_id,
            status=DispatchStatus.ACTIVE,
            candidate_ids=ranked,
            next_candidate=0,
            wave=0,
            wave_size=self.settings.wave_size,
            offer_ttl_seconds=int(self.settings.offer_ttl.total_seconds()),
        )
        session.add(dispatch)
        await session.flush()
        await self._send_wave(session, dispatch, self.clock())
        await session.commit()
        return dispatch

    async def accept(
        self, session: AsyncSession, *, offer_id: uuid.UUID, caregiver_id: uuid.UUID
    ) -> Dispatch:
        now = self.clock()
        try:
            offer, dispatch = await self._locked_offer(session, offer_id, caregiver_id)
            self._require_open(offer, dispatch, now)
            booking = await session.get(Booking, dispatch.booking_id, with_for_update=True)
            if booking is None or booking.caregiver_id is not None:
                raise _conflict("offer_withdrawn", "The booking is no longer open", str(offer_id))
            booking.caregiver_id = caregiver_id
            booking.status = BookingStatus.CONFIRMED
            if booking.series_id is not None:
                await self._assign_series(session, booking.series_id, caregiver_id)
            offer.status, offer.responded_at = OfferStatus.ACCEPTED, now
            dispatch.status = DispatchStatus.ACCEPTED
            dispatch.accepted_caregiver_id = caregiver_id
            await session.flush()  # the bookings exclusion constraint checks overlaps here
            withdrawn = await self._withdraw_pending(session, dispatch, now)
            await outbox.caregiver_changed(session, caregiver_id, "dispatch_accepted")
            family = await self._family_of(session, booking)
            await outbox.enqueue_many(
                session,
                [
                    *((user, "offer_withdrawn", {"offer_id": str(o)}) for user, o in withdrawn),
                    (
                        family,
                        "booking_confirmed",
                        {"booking_id": str(booking.id), "caregiver_id": str(caregiver_id)},
                    ),
                ],
            )
            await session.commit()
            metrics.DISPATCH_OFFERS.labels(outcome="accepted").inc()
            metrics.BOOKING_TRANSITIONS.labels(to=BookingStatus.CONFIRMED.value).inc()
            return dispatch
        except IntegrityError as exc:
            await session.rollback()
            raise _conflict(
                "caregiver_busy",
                "You already have a booking at that time",
                "Decline this offer or cancel the overlapping booking first.",
            ) from exc

    async def _assign_series(
        self, session: AsyncSession, series_id: uuid.UUID, caregiver_id: uuid.UUID
    ) -> None:
        """Accepting the dispatched first visit of a series takes the whole series: its other
        open visits become the caregiver's (the exclusion constraint refuses any overlap)."""
        series = await session.get(BookingSeries, series_id, with_for_update=True)
        if series is not None:
            series.caregiver_id = caregiver_id
        await session.execute(
            update(Booking)
            .where(
                Booking.series_id == series_id,
                Booking.caregiver_id.is_(None),
                Booking.status == BookingStatus.REQUESTED,
            )
            .values(caregiver_id=caregiver_id, status=BookingStatus.CONFIRMED)
        )

    async def decline(
        self, session: AsyncSession, *, offer_id: uuid.UUID, caregiver_id: uuid.UUID
    ) -> Dispatch:
        now = self.clock()
        offer, dispatch = await self._locked_offer(session, offer_id, caregiver_id)
        self._require_open(offer, dispatch, now)
        offer.status, offer.responded_at = OfferStatus.DECLINED, now
        await session.flush()
        await self._advance(session, dispatch, now)
        await session.commit()
        metrics.DISPATCH_OFFERS.labels(outcome="declined").inc()
        return dispatch

    async def cancel(self, session: AsyncSession, *, booking_id: uuid.UUID) -> None:
        now = self.clock()
        dispatch = await session.scalar(
            select(Dispatch).where(Dispatch.booking_id == booking_id).with_for_update()
        )
        if dispatch is None or dispatch.status != DispatchStatus.ACTIVE:
            return
        dispatch.status = DispatchStatus.CANCELLED
        withdrawn = await self._withdraw_pending(session, dispatch, now)
        await outbox.enqueue_many(
            session, [(u, "offer_withdrawn", {"offer_id": str(o)}) for u, o in withdrawn]
        )
        await session.commit()

    async def tick(self, session: AsyncSession) -> int:
        """Expire overdue offers and send next waves; returns how many dispatches moved.

        `SKIP LOCKED` lets several backend replicas tick at once without doing a step twice.
        """
        now = self.clock()
        moved = 0
        due = (
            await session.scalars(
                select(Dispatch)
                .where(Dispatch.status == DispatchStatus.ACTIVE)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for dispatch in due:
            if await self._advance(session, dispatch, now):
                moved += 1
        await session.commit()
        return moved

    # ------------------------------------------------------------------ steps
    async def _advance(self, session: AsyncSession, dispatch: Dispatch, now: datetime) -> bool:
        expired = (
            await session.execute(
                update(DispatchOffer)
                .where(
                    DispatchOffer.dispatch_id == dispatch.id,
                    DispatchOffer.status == OfferStatus.PENDING,
                    DispatchOffer.expires_at <= now,
                )
                .values(status=OfferStatus.EXPIRED)
                .returning(DispatchOffer.id)
            )
        ).all()
        # Counted when the expiry is written (the caller commits it).
        metrics.DISPATCH_OFFERS.labels(outcome="expired").inc(len(expired))
        pending = await session.scalar(
            select(DispatchOffer.id)
            .where(
                DispatchOffer.dispatch_id == dispatch.id,
                DispatchOffer.status == OfferStatus.PENDING,
            )
            .limit(1)
        )
        if pending is not None:
            return bool(expired)
        await self._send_wave(session, dispatch, now)
        return True

    async def _send_wave(self, session: AsyncSession, dispatch: Dispatch, now: datetime) -> None:
        start = dispatch.next_candidate
        chosen = dispatch.candidate_ids[start : start + dispatch.wave_size]
        if not chosen:
            dispatch.status = DispatchStatus.EXHAUSTED
            booking = await session.get(Booking, dispatch.booking_id)
            if booking is not None:
                family = await self._family_of(session, booking)
                await outbox.enqueue_many(
                    session, [(family, "dispatch_exhausted", {"booking_id": str(booking.id)})]
                )
            log.info("dispatch_exhausted", dispatch_id=str(dispatch.id))
            return
        dispatch.wave += 1
        dispatch.next_candidate = start + len(chosen)
        expires = now + timedelta(seconds=dispatch.offer_ttl_seconds)
        offers = [
            DispatchOffer(
                dispatch_id=dispatch.id,
                caregiver_id=cid,
                wave=dispatch.wave,
                status=OfferStatus.PENDING,
                offered_at=now,
                expires_at=expires,
            )
            for cid in chosen
        ]
        session.add_all(offers)
        await session.flush()
        metrics.DISPATCH_WAVES.inc()
        metrics.DISPATCH_OFFERS.labels(outcome="sent").inc(len(offers))
        users = await _user_ids(session, chosen)
        await outbox.enqueue_many(
            session,
            [
                (
                    users[o.caregiver_id],
                    "offer_made",
                    {
                        "offer_id": str(o.id),
                        "booking_id": str(dispatch.booking_id),
                        "expires_at": expires.isoformat(),
                    },
                )
                for o in offers
                if o.caregiver_id in users
            ],
        )

    async def _withdraw_pending(
        self, session: AsyncSession, dispatch: Dispatch, now: datetime
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Withdraw every pending offer; returns (caregiver user id, offer id) to notify."""
        rows = (
            await session.execute(
                update(DispatchOffer)
                .where(
                    DispatchOffer.dispatch_id == dispatch.id,
                    DispatchOffer.status == OfferStatus.PENDING,
                )
                .values(status=OfferStatus.WITHDRAWN, responded_at=now)
                .returning(DispatchOffer.id, DispatchOffer.caregiver_id)
            )
        ).all()
        if not rows:
            return []
        users = await _user_ids(session, [cid for _, cid in rows])
        return [(users[cid], oid) for oid, cid in rows if cid in users]

    async def _locked_offer(
        self, session: AsyncSession, offer_id: uuid.UUID, caregiver_id: uuid.UUID
    ) -> tuple[DispatchOffer, Dispatch]:
        offer = await session.get(DispatchOffer, offer_id)
        if offer is None or offer.caregiver_id != caregiver_id:
            raise ProblemError(
                404, "offer_not_found", "No such offer", "It is not an offer made to you."
            )
        # Lock the dispatch first: every accept/decline/tick of one dispatch is serialised here.
        dispatch = await session.get(Dispatch, offer.dispatch_id, with_for_update=True)
        await session.refresh(offer)
        if dispatch is None:  # pragma: no cover - offers cascade with their dispatch
            raise ProblemError(404, "offer_not_found", "No such offer", str(offer_id))
        return offer, dispatch

    @staticmethod
    def _require_open(offer: DispatchOffer, dispatch: Dispatch, now: datetime) -> None:
        if offer.status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED):
            raise _conflict(
                "offer_already_answered", "You already answered this offer", offer.status
            )
        if offer.status == OfferStatus.WITHDRAWN or dispatch.status != DispatchStatus.ACTIVE:
            raise _conflict(
                "offer_withdrawn",
                "This offer was withdrawn",
                "Another caregiver accepted first, or the family cancelled.",
            )
        if offer.status == OfferStatus.EXPIRED or (
            offer.status == OfferStatus.PENDING and offer.expires_at <= now
        ):
            raise _conflict(
                "offer_expired", "This offer has expired", "Offers are open for a limited time."
            )

    @staticmethod
    async def _family_of(session: AsyncSession, booking: Booking) -> uuid.UUID | None:
        family: uuid.UUID | None = await session.scalar(
            select(CareRecipient.family_id).where(CareRecipient.id == booking.recipient_id)
        )
        return family


async def _user_ids(
    session: AsyncSession, caregiver_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """caregiver profile id -> user id (whom notifications go to)."""
    rows = await session.execute(
        select(CaregiverProfile.id, CaregiverProfile.user_id).where(
            CaregiverProfile.id.in_(caregiver_ids)
        )
    )
    return {row[0]: row[1] for row in rows.all()}


async def offers_for(session: AsyncSession, *, caregiver_id: uuid.UUID) -> list[DispatchOffer]:
    """The caregiver's latest 100 offers, newest first."""
    rows = await session.scalars(
        select(DispatchOffer)
        .where(DispatchOffer.caregiver_id == caregiver_id)
        .order_by(DispatchOffer.offered_at.desc())
        .limit(100)
    )
    return list(rows)


async def run_ticker(
    service: DispatchService,
    sessions: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    every: float = 5.0,
) -> None:
    """Advance dispatches every `every` seconds until `stop` is set (errors are logged)."""
    while not stop.is_set():
        try:
            async with sessions() as session:
                await service.tick(session)
        except Exception:  # keep ticking; the next tick retries from the database
            log.exception("dispatch_tick_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
