"""Each hard constraint excludes exactly the caregivers it should, counted by reason."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

import pytest

from homecare_matching.geo import haversine_km
from homecare_matching.index import CandidateIndex
from homecare_matching.model import Busy, Caregiver, CareRequest, WeeklySlot, Window
from homecare_matching.timegrid import KST
from homecare_shared.vocabulary import Gender, Language, Skill
from homecare_testing.matching import reference

HOME = (37.5665, 126.9780)  # Seoul City Hall
MONDAY = date(2030, 1, 7)
VISIT = Window(datetime.combine(MONDAY, time(10), KST), datetime.combine(MONDAY, time(13), KST))
BASE = Caregiver(
    id="base",
    latitude=HOME[0] + 0.01,  # ~1.1 km north
    longitude=HOME[1],
    service_radius_km=5.0,
    skills=frozenset({Skill.DEMENTIA, Skill.MEAL}),
    languages=frozenset({Language.KO}),
    gender=Gender.FEMALE,
    rating_avg=4.5,
    rating_count=20,
    slots=(WeeklySlot(0, time(9), time(18)),),
)
REQUEST = CareRequest(
    latitude=HOME[0],
    longitude=HOME[1],
    windows=(VISIT,),
    required_skills=frozenset({Skill.DEMENTIA}),
    max_distance_km=8.0,
    k=10,
)


def variant(name: str, **changes: object) -> Caregiver:
    return dataclasses.replace(BASE, id=name, **changes)  # type: ignore[arg-type]


CASES = {
    "beyond_request_max": ("distance", {"latitude": HOME[0] + 0.09}),  # ~10 km > 8 km
    "beyond_own_radius": ("distance", {"latitude": HOME[0] + 0.054, "service_radius_km": 5.0}),
    "missing_skill": ("skills", {"skills": frozenset({Skill.MEAL})}),
    "wrong_weekday": ("availability", {"slots": (WeeklySlot(1, time(9), time(18)),)}),
    "slot_too_short": ("availability", {"slots": (WeeklySlot(0, time(10), time(12, 50)),)}),
    "day_off": ("availability", {"days_off": frozenset({MONDAY})}),
    "booked_overlap": (
        "booked",
        {"busy": (Busy(VISIT.end - timedelta(minutes=1), VISIT.end + timedelta(hours=2)),)},
    ),
}


def _index(caregivers: list[Caregiver]) -> CandidateIndex:
    index = CandidateIndex()
    index.replace_all(caregivers)
    return index


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_excludes_for_its_reason(name: str) -> None:
    reason, changes = CASES[name]
    excluded = variant(name, **changes)
    caregivers = [BASE, excluded]
    result = _index(caregivers).match(REQUEST)
    assert [m.caregiver_id for m in result.matches] == ["base"]
    assert result.excluded.as_dict() == {
        **{"distance": 0, "skills": 0, "availability": 0, "booked": 0},
        reason: 1,
    }
    assert reference.top_k(caregivers, REQUEST).excluded == result.excluded


def test_boundaries_are_inclusive_and_adjacent_bookings_do_not_block() -> None:
    distance = haversine_km(HOME[0], HOME[1], HOME[0] + 0.03, HOME[1])
    edge = variant("edge", latitude=HOME[0] + 0.03, service_radius_km=distance)
    exact_slot = variant("exact_slot", slots=(WeeklySlot(0, time(10), time(13)),))
    back_to_back = variant(
        "back_to_back",
        busy=(Busy(VISIT.start - timedelta(hours=2), VISIT.start), Busy(VISIT.end, VISIT.end)),
    )
    other_day_off = variant("other_day_off", days_off=frozenset({MONDAY + timedelta(days=1)}))
    caregivers = [edge, exact_slot, back_to_back, other_day_off]
    request = dataclasses.replace(REQUEST, max_distance_km=distance)
    found = {m.caregiver_id for m in _index(caregivers).match(request).matches}
    assert found == {"edge", "exact_slot", "back_to_back", "other_day_off"}


def test_quarter_hour_grid_rounds_slots_in_and_windows_out() -> None:
    # slot 10:10-13:00 covers only 10:15-13:00; a 10:00 window needs 10:00-10:15 too
    late_start = variant("late_start", slots=(WeeklySlot(0, time(10, 10), time(13)),))
    at_1015 = dataclasses.replace(
        REQUEST,
        windows=(Window(VISIT.start + timedelta(minutes=15), VISIT.end),),
    )
    at_1010 = dataclasses.replace(
        REQUEST,
        windows=(Window(VISIT.start + timedelta(minutes=10), VISIT.end),),
    )
    index = _index([late_start])
    assert [m.caregiver_id for m in index.match(at_1015).matches] == ["late_start"]
    assert index.match(at_1010).matches == []  # touches 10:00-10:15, not covered
    assert index.match(REQUEST).excluded.availability == 1


def test_windows_are_read_in_korean_time_whatever_their_offset() -> None:
    utc_window = Window(VISIT.start.astimezone(KST).astimezone(tz=None), VISIT.end)
    request = dataclasses.replace(REQUEST, windows=(utc_window,))
    assert [m.caregiver_id for m in _index([BASE]).match(request).matches] == ["base"]


def test_score_breakdown_explains_the_ranking() -> None:
    near = variant("near", latitude=HOME[0] + 0.001)
    far = variant("far", latitude=HOME[0] + 0.04)
    returning = variant("returning", latitude=HOME[0] + 0.04)
    english = variant("english", languages=frozenset({Language.EN}), gender=Gender.MALE)
    request = dataclasses.replace(
        REQUEST,
        previous_caregiver_ids=frozenset({"returning"}),
        preferred_languages=frozenset({Language.KO}),
        preferred_gender=Gender.FEMALE,
    )
    result = _index([near, far, returning, english]).match(request)
    by_id = {m.caregiver_id: m for m in result.matches}
    for match in result.matches:
        total = sum(c.contribution for c in match.breakdown.values())
        assert match.score == pytest.approx(total, abs=1e-9)
    assert by_id["near"].breakdown["distance"].value > by_id["far"].breakdown["distance"].value
    assert by_id["returning"].breakdown["continuity"].value == 1.0
    assert by_id["returning"].score > by_id["far"].score
    assert by_id["english"].breakdown["language"].value == 0.0
    assert by_id["english"].breakdown["gender"].value == 0.0
    # continuity (0.20) outweighs 4.4 km of extra travel (0.35 x 4.4 / 8 = 0.19)
    assert [m.caregiver_id for m in result.matches][:2] == ["returning", "near"]
