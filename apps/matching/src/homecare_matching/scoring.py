"""The ranking score: a documented weighted sum of components in [0, 1].

score = Σ weight × value, weights sum to 1, so a score is in [0, 1]:

| component    | weight | value                                                                 |
|--------------|--------|-----------------------------------------------------------------------|
| distance     | 0.35   | 1 − distance / request max distance (closer is better)                |
| rating       | 0.25   | Bayesian mean rating / 5: (avg·n + 4.0·5) / (n + 5); no ratings → 0.8 |
| continuity   | 0.20   | 1 if the caregiver served this recipient before, else 0               |
| language     | 0.10   | 1 if speaks a preferred language (or no preference), else 0           |
| gender       | 0.05   | 1 if matches the preferred gender (or no preference), else 0          |
| fairness     | 0.05   | 1 − min(load, 10) / 10: caregivers with fewer upcoming visits first   |

Ties are broken by caregiver id (ascending) so results are deterministic.
"""

from __future__ import annotations

from homecare_matching.model import Caregiver, CareRequest, Component

WEIGHTS: dict[str, float] = {
    "distance": 0.35,
    "rating": 0.25,
    "continuity": 0.20,
    "language": 0.10,
    "gender": 0.05,
    "fairness": 0.05,
}
RATING_PRIOR_MEAN = 4.0
RATING_PRIOR_COUNT = 5
LOAD_CAP = 10
SCORE_DECIMALS = 9  # scores are rounded so equal inputs rank equally on every code path


def rating_value(avg: float | None, count: int) -> float:
    if avg is None or count <= 0:
        return RATING_PRIOR_MEAN / 5
    mean = (avg * count + RATING_PRIOR_MEAN * RATING_PRIOR_COUNT) / (count + RATING_PRIOR_COUNT)
    return mean / 5


def components(cg: Caregiver, request: CareRequest, distance_km: float) -> dict[str, Component]:
    """Score breakdown for one feasible caregiver (scalar reference implementation)."""
    values = {
        "distance": max(0.0, 1 - distance_km / request.max_distance_km),
        "rating": rating_value(cg.rating_avg, cg.rating_count),
        "continuity": 1.0 if cg.id in request.previous_caregiver_ids else 0.0,
        "language": 1.0
        if not request.preferred_languages or cg.languages & request.preferred_languages
        else 0.0,
        "gender": 1.0
        if request.preferred_gender is None or cg.gender == request.preferred_gender
        else 0.0,
        "fairness": 1 - min(cg.load, LOAD_CAP) / LOAD_CAP,
    }
    return {name: Component(values[name], weight) for name, weight in WEIGHTS.items()}


def total(breakdown: dict[str, Component]) -> float:
    return round(sum(c.contribution for c in breakdown.values()), SCORE_DECIMALS)
