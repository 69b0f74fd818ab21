"""Plain data the matching engine works on (no I/O, no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from homecare_shared.vocabulary import Gender, Language, Skill


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # 0 = Monday ... 6 = Sunday, Asia/Seoul local
    start: time
    end: time


@dataclass(frozen=True)
class Busy:
    """A booking that blocks the caregiver: [start, end) as aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Caregiver:
    id: str
    latitude: float
    longitude: float
    service_radius_km: float
    skills: frozenset[Skill]
    languages: frozenset[Language]
    gender: Gender
    rating_avg: float | None = None
    rating_count: int = 0
    hourly_rate_krw: int = 0
    load: int = 0  # active upcoming bookings: the workload-fairness input
    slots: tuple[WeeklySlot, ...] = ()
    days_off: frozenset[date] = frozenset()
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CareRequest:
    latitude: float
    longitude: float
    windows: tuple[Window, ...]
    required_skills: frozenset[Skill] = frozenset()
    max_distance_km: float = 10.0
    k: int = 10
    preferred_languages: frozenset[Language] = frozenset()
    preferred_gender: Gender | None = None
    previous_caregiver_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Component:
    value: float  # 0..1
    weight: float

    @property
    def contribution(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True)
class Match:
    caregiver_id: str
    score: float
    distance_km: float
    breakdown: dict[str, Component]


@dataclass
class Exclusions:
    """Why caregivers were not returned; each counted once, by the first rule it fails."""

    distance: int = 0
    skills: int = 0
    availability: int = 0
    booked: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "distance": self.distance,
            "skills": self.skills,
            "availability": self.availability,
            "booked": self.booked,
        }


@dataclass
class MatchResult:
    matches: list[Match]
    considered: int
    excluded: Exclusions = field(default_factory=Exclusions)
