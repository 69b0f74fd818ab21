"""Cancellation policy at the 24 h boundary (± 1 minute), Asia/Seoul."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from homecare_backend.bookings.cancellation import CancellationPolicy, CancelledBy, terms

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 10, 9, 0, tzinfo=KST)  # 09:00 Seoul = 00:00 UTC
POLICY = CancellationPolicy(late_charge_percent=50)


@pytest.mark.parametrize(
    ("before_start", "free", "charge", "refund"),
    [
        (timedelta(hours=24, minutes=1), True, 0, 42160),
        (timedelta(hours=24), True, 0, 42160),
        (timedelta(hours=23, minutes=59), False, 21080, 21080),
        (timedelta(hours=1), False, 21080, 21080),
    ],
)
def test_family_cancellation_around_24_hours(
    before_start: timedelta, free: bool, charge: int, refund: int
) -> None:
    now = (START - before_start).astimezone(UTC)
    result = terms(POLICY, START, now, CancelledBy.FAMILY, 42160)
    assert (result.free, result.charge_krw, result.refund_krw) == (free, charge, refund)
    # The deadline is shown in Seoul time: 09:00 the day before.
    assert result.free_until == datetime(2026, 3, 9, 9, 0, tzinfo=KST)
    assert result.free_until.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("by", [CancelledBy.CAREGIVER, CancelledBy.NO_SHOW])
def test_caregiver_cancellation_or_no_show_refunds_in_full(by: CancelledBy) -> None:
    late = START - timedelta(minutes=5)
    result = terms(POLICY, START, late, by, 42160)
    assert (result.free, result.charge_krw, result.refund_krw) == (True, 0, 42160)


def test_share_is_configurable_and_rounds_down() -> None:
    policy = CancellationPolicy(late_charge_percent=30)
    result = terms(policy, START, START - timedelta(hours=2), CancelledBy.FAMILY, 33125)
    assert (result.charge_krw, result.refund_krw, result.charge_percent) == (9937, 23188, 30)
    with pytest.raises(ValueError, match="between 0 and 100"):
        CancellationPolicy(late_charge_percent=101)
