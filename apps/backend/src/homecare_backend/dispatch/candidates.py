"""Ranked candidates for a booking from the matching service (`POST /v1/match`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.bookings.models import Booking
from homecare_backend.dispatch.service import CandidateSource
from homecare_backend.recipients.models import CareRecipient
from homecare_shared.errors import ProblemError
from homecare_shared.vocabulary import Skill

_SKILLS = {s.value for s in Skill}


async def match_body(session: AsyncSession, booking: Booking, k: int) -> dict[str, object]:
    recipient = await session.get(CareRecipient, booking.recipient_id)
    if recipient is None:  # pragma: no cover - bookings cascade with their recipient
        raise ProblemError(404, "recipient_not_found", "No such care recipient")
    previous = (
        await session.scalars(
            select(Booking.caregiver_id)
            .where(
                Booking.recipient_id == recipient.id,
                Booking.caregiver_id.is_not(None),
                Booking.status == "completed",
            )
            .distinct()
            .limit(100)
        )
    ).all()
    return {
        "latitude": recipient.latitude,
        "longitude": recipient.longitude,
        "windows": [{"start": booking.start_at.isoformat(), "end": booking.end_at.isoformat()}],
        "required_skills": [c for c in recipient.conditions if c in _SKILLS],
        "preferred_languages": list(recipient.preferred_languages),
        "preferred_gender": recipient.preferred_gender,
        "previous_caregiver_ids": [str(p) for p in previous if p is not None],
        "k": k,
    }


def matching_candidates(matching: httpx.AsyncClient, k: int = 30) -> CandidateSource:
    """Ranked ids from `POST /v1/match`; `matching` is a `homecare_shared.http.service_client`
    for the matching service (it forwards the request id)."""

    async def ranked(session: AsyncSession, booking: Booking) -> Sequence[uuid.UUID]:
        body = await match_body(session, booking, k)
        try:
            answer = await matching.post("/v1/match", json=body)
        except httpx.HTTPError as exc:
            raise ProblemError(
                503,
                "matching_unavailable",
                "The matching service is not reachable",
                f"{type(exc).__name__}; retry shortly.",
            ) from exc
        if answer.status_code != 200:
            raise ProblemError(
                503,
                "matching_unavailable",
                "The matching service could not rank caregivers",
                f"HTTP {answer.status_code}; retry shortly.",
            )
        return [uuid.UUID(r["caregiver_id"]) for r in answer.json()["results"]]

    return ranked
