"""Cancellation policy: what a cancellation costs, shown to the family before they cancel.

Family cancels at least `free_before` (24 h) before the start: free. Later: `late_charge_percent`
of what they paid is kept (rounded down to the won), the rest refunded. A caregiver cancellation
or a caregiver no-show refunds in full. The deadline is shown in Asia/Seoul time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


class CancelledBy(enum.StrEnum):
    FAMILY = "family"
    CAREGIVER = "caregiver"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class CancellationPolicy:
    free_before: timedelta = timedelta(hours=24)
    late_charge_percent: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.late_charge_percent <= 100:
            raise ValueError("late_charge_percent must be between 0 and 100")
        if self.free_before < timedelta(0):
            raise ValueError("free_before must not be negative")


@dataclass(frozen=True)
class CancellationTerms:
    free: bool
    charge_krw: int
    refund_krw: int
    free_until: datetime  # Asia/Seoul
    charge_percent: int


def terms(
    policy: CancellationPolicy,
    start_at: datetime,
    now: datetime,
    by: CancelledBy,
    paid_krw: int,
) -> CancellationTerms:
    if start_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("times must carry a timezone")
    free_until = (start_at - policy.free_before).astimezone(SEOUL)
    if by is not CancelledBy.FAMILY or now <= free_until:
        return CancellationTerms(True, 0, paid_krw, free_until, 0)
    charge = paid_krw * policy.late_charge_percent // 100
    return CancellationTerms(
        False, charge, paid_krw - charge, free_until, policy.late_charge_percent
    )
