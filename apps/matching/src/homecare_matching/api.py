"""HTTP API: `POST /v1/match` (rank caregivers for one request), `POST /v1/assign` (batch)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from homecare_matching import metrics
from homecare_matching.assign import candidate_graph, solve
from homecare_matching.index import CandidateIndex
from homecare_matching.model import CareRequest, Window
from homecare_shared.errors import ProblemError
from homecare_shared.vocabulary import Gender, Language, Skill

router = APIRouter(prefix="/v1", tags=["matching"])
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[37.5665])]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[126.978])]
MAX_WINDOW = timedelta(hours=24)


class WindowIn(BaseModel):
    start: AwareDatetime = Field(examples=["2026-12-07T09:00:00+09:00"])
    end: AwareDatetime = Field(examples=["2026-12-07T12:00:00+09:00"])

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError("a window is at most 24 hours; split longer care into several")
        return self


class RequestFields(BaseModel):
    latitude: Latitude
    longitude: Longitude
    windows: list[WindowIn] = Field(min_length=1, max_length=50)
    required_skills: list[Skill] = Field(default_factory=list, max_length=len(Skill))
    max_distance_km: float = Field(10.0, gt=0, le=100, allow_inf_nan=False)
    preferred_languages: list[Language] = Field(default_factory=list, max_length=len(Language))
    preferred_gender: Gender | None = None
    previous_caregiver_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    def to_domain(self, k: int) -> CareRequest:
        return CareRequest(
            latitude=self.latitude,
            longitude=self.longitude,
            windows=tuple(Window(w.start, w.end) for w in self.windows),
            required_skills=frozenset(self.required_skills),
            max_distance_km=self.max_distance_km,
            k=k,
            preferred_languages=frozenset(self.preferred_languages),
            preferred_gender=self.preferred_gender,
            previous_caregiver_ids=frozenset(str(i) for i in self.previous_caregiver_ids),
        )


class MatchIn(RequestFields):
    k: int = Field(10, ge=1, le=100, description="How many caregivers to return (1–100)")


class ComponentOut(BaseModel):
    value: float = Field(description="0..1")
    weight: float
    contribution: float = Field(description="value × weight; the score is their sum")


class MatchOut(BaseModel):
    caregiver_id: str
    score: float
    distance_km: float
    breakdown: dict[str, ComponentOut]


class Excluded(BaseModel):
    distance: int = Field(description="outside the request's max distance or their own radius")
    skills: int = Field(description="missing a required skill")
    availability: int = Field(description="weekly slots or days off do not cover every window")
    booked: int = Field(description="already booked during a window")


class MatchResponse(BaseModel):
    results: list[MatchOut]
    considered: int = Field(description="verified caregivers in the index")
    excluded: Excluded


class AssignRequestIn(RequestFields):
    id: str = Field(min_length=1, max_length=100, description="Your id for this request")


class AssignIn(BaseModel):
    requests: list[AssignRequestIn] = Field(min_length=1, max_length=5000)
    time_limit_s: float = Field(5.0, gt=0, le=60, allow_inf_nan=False)
    solver: Literal["matching", "milp"] = "matching"

    @model_validator(mode="after")
    def _unique_ids(self) -> AssignIn:
        if len({r.id for r in self.requests}) != len(self.requests):
            raise ValueError("request ids must be unique")
        return self


class AssignmentOut(BaseModel):
    request_id: str
    caregiver_id: str
    score: float


class AssignResponse(BaseModel):
    assignments: list[AssignmentOut]
    unassigned: list[str]
    total_score: float
    optimal: bool = Field(description="false when the time limit cut the solver short")
    time_limit_reached: bool
    solver: str
    edges: int = Field(description="feasible (request, caregiver) pairs in the candidate graph")
    graph_ms: float
    solve_ms: float


def _index(request: Request) -> CandidateIndex:
    index: CandidateIndex = request.app.state.index
    if not index.loaded:
        raise ProblemError(
            503,
            "index_loading",
            "The candidate index is still loading",
            "Retry in a few seconds; /readyz turns 200 when matching can answer.",
            headers={"Retry-After": "2"},
        )
    return index


@router.post("/match", summary="Top-k hard-feasible caregivers for one care request")
async def match(body: MatchIn, request: Request) -> MatchResponse:
    index = _index(request)
    with metrics.MATCH_DURATION.time():
        result = index.match(body.to_domain(body.k))
    metrics.MATCH_CANDIDATES.observe(len(result.matches))
    return MatchResponse(
        results=[
            MatchOut(
                caregiver_id=m.caregiver_id,
                score=m.score,
                distance_km=round(m.distance_km, 3),
                breakdown={
                    name: ComponentOut(
                        value=round(c.value, 6),
                        weight=c.weight,
                        contribution=round(c.contribution, 6),
                    )
                    for name, c in m.breakdown.items()
                },
            )
            for m in result.matches
        ],
        considered=result.considered,
        excluded=Excluded(**result.excluded.as_dict()),
    )


@router.post("/assign", summary="Optimal one-to-one assignment of many requests")
async def assign_batch(body: AssignIn, request: Request) -> AssignResponse:
    index = _index(request)
    requests = [r.to_domain(1) for r in body.requests]
    started = time.perf_counter()
    # The graph build reads the index, so it runs on the event loop (no concurrent edits);
    # the solver only sees the graph and runs in a worker thread.
    graph = candidate_graph(index, requests)
    graph_seconds = time.perf_counter() - started
    remaining = max(0.0, body.time_limit_s - graph_seconds)
    result = await asyncio.to_thread(solve, graph, body.solver, remaining)
    result.graph_seconds = graph_seconds
    ids = [r.id for r in body.requests]
    return AssignResponse(
        assignments=[
            AssignmentOut(
                request_id=ids[r], caregiver_id=index.caregiver_id(c), score=result.scores[r]
            )
            for r, c in sorted(result.pairs.items())
        ],
        unassigned=[ids[r] for r in result.unassigned],
        total_score=round(result.total_score, 6),
        optimal=result.optimal,
        time_limit_reached=result.time_limit_reached,
        solver=result.solver,
        edges=result.edges,
        graph_ms=round(result.graph_seconds * 1000, 2),
        solve_ms=round((time.perf_counter() - started - result.graph_seconds) * 1000, 2),
    )
