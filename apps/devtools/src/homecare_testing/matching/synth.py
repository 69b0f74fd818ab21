"""Seeded synthetic caregivers and care requests, distributed like Seoul/Gyeonggi's population.

Points are drawn from Gaussian clusters around district centres (Seoul's 25 gu and the large
Gyeonggi cities), weighted by approximate population, not uniformly over a bounding box — so
dense districts have many candidates and the suburbs few, as in reality. The same seed always
gives the same data (`numpy.random.default_rng(seed)` only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from homecare_matching.model import Busy, Caregiver, CareRequest, WeeklySlot, Window
from homecare_matching.timegrid import KST
from homecare_shared.vocabulary import Gender, Language, Skill

# (name, latitude, longitude, population in 10k, cluster sigma in km)
DISTRICTS: tuple[tuple[str, float, float, float, float], ...] = (
    ("Jongno-gu", 37.5735, 126.9790, 14, 1.5),
    ("Jung-gu", 37.5641, 126.9979, 12, 1.2),
    ("Yongsan-gu", 37.5324, 126.9900, 22, 1.5),
    ("Seongdong-gu", 37.5634, 127.0369, 28, 1.5),
    ("Gwangjin-gu", 37.5385, 127.0823, 34, 1.5),
    ("Dongdaemun-gu", 37.5744, 127.0400, 34, 1.5),
    ("Jungnang-gu", 37.6066, 127.0927, 38, 1.5),
    ("Seongbuk-gu", 37.5894, 127.0167, 43, 1.8),
    ("Gangbuk-gu", 37.6396, 127.0257, 29, 1.5),
    ("Dobong-gu", 37.6688, 127.0471, 31, 1.5),
    ("Nowon-gu", 37.6542, 127.0568, 50, 2.0),
    ("Eunpyeong-gu", 37.6027, 126.9291, 47, 2.0),
    ("Seodaemun-gu", 37.5791, 126.9368, 31, 1.5),
    ("Mapo-gu", 37.5663, 126.9019, 37, 1.8),
    ("Yangcheon-gu", 37.5170, 126.8665, 44, 1.5),
    ("Gangseo-gu", 37.5510, 126.8495, 57, 2.2),
    ("Guro-gu", 37.4954, 126.8874, 40, 1.8),
    ("Geumcheon-gu", 37.4569, 126.8955, 23, 1.3),
    ("Yeongdeungpo-gu", 37.5264, 126.8962, 37, 1.8),
    ("Dongjak-gu", 37.5124, 126.9393, 39, 1.6),
    ("Gwanak-gu", 37.4784, 126.9516, 49, 1.8),
    ("Seocho-gu", 37.4837, 127.0324, 41, 2.2),
    ("Gangnam-gu", 37.5172, 127.0473, 53, 2.2),
    ("Songpa-gu", 37.5145, 127.1059, 65, 2.2),
    ("Gangdong-gu", 37.5301, 127.1238, 46, 1.8),
    ("Suwon", 37.2636, 127.0286, 119, 4.0),
    ("Yongin", 37.2411, 127.1776, 107, 6.0),
    ("Goyang", 37.6584, 126.8320, 107, 5.0),
    ("Hwaseong", 37.1995, 126.8311, 93, 7.0),
    ("Seongnam", 37.4200, 127.1267, 92, 3.5),
    ("Bucheon", 37.5035, 126.7660, 79, 2.8),
    ("Namyangju", 37.6360, 127.2165, 73, 5.5),
    ("Ansan", 37.3219, 126.8309, 64, 3.5),
    ("Pyeongtaek", 36.9921, 127.1129, 59, 6.0),
    ("Anyang", 37.3943, 126.9568, 54, 2.5),
    ("Siheung", 37.3800, 126.8029, 52, 4.0),
    ("Paju", 37.7599, 126.7802, 50, 6.5),
    ("Gimpo", 37.6152, 126.7156, 49, 4.5),
    ("Uijeongbu", 37.7381, 127.0338, 46, 3.0),
    ("Gwangju-si", 37.4294, 127.2551, 39, 5.0),
    ("Hanam", 37.5393, 127.2149, 33, 3.0),
    ("Gwangmyeong", 37.4786, 126.8646, 28, 2.0),
    ("Gunpo", 37.3616, 126.9352, 26, 2.0),
    ("Osan", 37.1499, 127.0772, 23, 2.5),
    ("Icheon", 37.2720, 127.4350, 22, 6.0),
    ("Yangju", 37.7853, 127.0458, 24, 5.0),
    ("Guri", 37.5943, 127.1296, 19, 2.0),
    ("Anseong", 37.0080, 127.2797, 19, 7.0),
    ("Uiwang", 37.3448, 126.9683, 16, 2.0),
)
KM_PER_DEG_LAT = 111.2
SHIFTS = (  # typical 방문요양 availability patterns: (weekdays, start, end)
    (range(5), time(8), time(13)),
    (range(5), time(13), time(19)),
    (range(5), time(8), time(19)),
    (range(6), time(9), time(18)),
    (range(7), time(7), time(22)),
    ((5, 6), time(8), time(20)),
)


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights = np.array([d[3] for d in DISTRICTS])
    pick = rng.choice(len(DISTRICTS), size=n, p=weights / weights.sum())
    centre_lat = np.array([d[1] for d in DISTRICTS])[pick]
    centre_lon = np.array([d[2] for d in DISTRICTS])[pick]
    sigma = np.array([d[4] for d in DISTRICTS])[pick]
    lat = centre_lat + rng.normal(0, 1, n) * sigma / KM_PER_DEG_LAT
    lon = centre_lon + rng.normal(0, 1, n) * sigma / (KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return np.round(lat, 6), np.round(lon, 6)


def week_start(seed_date: date = date(2026, 12, 7)) -> date:
    """The Monday the synthetic schedules are about (a fixed date keeps data reproducible)."""
    return seed_date - timedelta(days=seed_date.weekday())


def caregivers(n: int, seed: int = 0, monday: date | None = None) -> list[Caregiver]:
    """`n` caregivers; bookings never overlap (at most one per day), as the backend enforces."""
    rng = np.random.default_rng(seed)
    monday = monday or week_start()
    lat, lon = _points(rng, n)
    skills = list(Skill)
    skill_p = np.array([0.45, 0.6, 0.5, 0.85, 0.8, 0.8, 0.9, 0.4, 0.3])
    has_skill = rng.random((n, len(skills))) < skill_p
    extra_languages = [lang for lang in Language if lang is not Language.KO]
    speaks = rng.random((n, len(extra_languages))) < 0.04
    shift = rng.integers(len(SHIFTS), size=(n, 2))
    second_shift = rng.random(n) < 0.3
    off_days = rng.random((n, 7)) < 0.12
    busy_days = rng.random((n, 7)) < 0.15
    busy_hour = rng.integers(7, 18, size=(n, 7))
    busy_len = rng.integers(2, 5, size=(n, 7))
    radius = rng.choice([3.0, 5.0, 8.0, 10.0, 15.0], size=n)
    female = rng.random(n) < 0.9
    rated = rng.random(n) < 0.8
    rating = np.clip(rng.normal(4.3, 0.45, n), 1, 5).round(2)
    rating_count = rng.integers(1, 120, size=n)
    rate = rng.integers(13, 19, size=n) * 1000
    ids = rng.bytes(16 * n)
    days = [monday + timedelta(days=d) for d in range(7)]
    result = []
    for i in range(n):
        patterns = [SHIFTS[shift[i, 0]]] + ([SHIFTS[shift[i, 1]]] if second_shift[i] else [])
        ends: dict[tuple[int, time], time] = {}
        for days_, start, end in patterns:  # one slot per (weekday, start), as the DB keys them
            for day in days_:
                ends[(day, start)] = max(end, ends.get((day, start), end))
        slots = tuple(WeeklySlot(day, start, end) for (day, start), end in ends.items())
        busy = tuple(
            Busy(
                datetime.combine(days[d], time(int(busy_hour[i, d])), KST),
                datetime.combine(days[d], time(int(busy_hour[i, d] + busy_len[i, d])), KST),
            )
            for d in np.flatnonzero(busy_days[i]).tolist()
        )
        result.append(
            Caregiver(
                id=str(uuid.UUID(bytes=ids[16 * i : 16 * i + 16], version=4)),
                latitude=float(lat[i]),
                longitude=float(lon[i]),
                service_radius_km=float(radius[i]),
                skills=frozenset(s for s, ok in zip(skills, has_skill[i], strict=True) if ok),
                languages=frozenset(
                    [Language.KO]
                    + [lang for lang, ok in zip(extra_languages, speaks[i], strict=True) if ok]
                ),
                gender=Gender.FEMALE if female[i] else Gender.MALE,
                rating_avg=float(rating[i]) if rated[i] else None,
                rating_count=int(rating_count[i]) if rated[i] else 0,
                hourly_rate_krw=int(rate[i]),
                load=len(busy),
                slots=slots,
                days_off=frozenset(days[d] for d in np.flatnonzero(off_days[i]).tolist()),
                busy=busy,
            )
        )
    return result


@dataclass(frozen=True)
class RequestShape:
    max_distance_km: float = 10.0
    k: int = 10
    windows: int = 1


def requests(
    n: int,
    seed: int = 1,
    monday: date | None = None,
    shape: RequestShape = RequestShape(),
    previous_pool: list[str] | None = None,
) -> list[CareRequest]:
    """Care requests: recipients placed like the population, 2-4 h visits in the given week."""
    rng = np.random.default_rng(seed)
    monday = monday or week_start()
    lat, lon = _points(rng, n)
    skills = list(Skill)
    result = []
    for i in range(n):
        windows = []
        days = rng.choice(7, shape.windows, replace=False)
        for day in sorted(days.tolist()):
            begin = datetime.combine(
                monday + timedelta(days=day),
                time(int(rng.integers(8, 16)), int(rng.choice([0, 15, 30, 45]))),
                KST,
            )
            windows.append(Window(begin, begin + timedelta(hours=int(rng.integers(2, 5)))))
        need = rng.choice(len(skills), int(rng.integers(0, 3)), replace=False)
        previous: frozenset[str] = frozenset()
        if previous_pool and rng.random() < 0.5:
            previous = frozenset(
                previous_pool[int(j)] for j in rng.integers(len(previous_pool), size=2)
            )
        result.append(
            CareRequest(
                latitude=float(lat[i]),
                longitude=float(lon[i]),
                windows=tuple(windows),
                required_skills=frozenset(skills[int(j)] for j in need),
                max_distance_km=shape.max_distance_km,
                k=shape.k,
                preferred_languages=frozenset([Language.KO]) if rng.random() < 0.3 else frozenset(),
                preferred_gender=Gender.FEMALE if rng.random() < 0.3 else None,
                previous_caregiver_ids=previous,
            )
        )
    return result
