"""Pruning by count and age; the newest complete backup is never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from homecare_backups.artifacts import BackupSet
from homecare_backups.errors import BackupError


@dataclass(frozen=True)
class RetentionPolicy:
    keep_count: int
    keep_days: float

    def __post_init__(self) -> None:
        if self.keep_count < 1:
            raise BackupError(
                f"--keep-count must be at least 1 (got {self.keep_count})", "pass --keep-count 1+"
            )
        if self.keep_days <= 0:
            raise BackupError(
                f"--keep-days must be positive (got {self.keep_days})", "pass --keep-days 1+"
            )


@dataclass(frozen=True)
class RetentionPlan:
    keep: list[BackupSet]
    delete: list[BackupSet]


def plan_retention(sets: list[BackupSet], policy: RetentionPolicy, now: datetime) -> RetentionPlan:
    """Keep the newest `keep_count` complete sets that are younger than `keep_days`.

    The newest complete set is always kept, however old. Incomplete sets (no manifest: a run
    that died) are deleted once they are older than `keep_days`.
    """
    max_age = timedelta(days=policy.keep_days)
    newest_first = sorted(sets, key=lambda s: s.stamp, reverse=True)
    keep: list[BackupSet] = []
    delete: list[BackupSet] = []
    complete_seen = 0
    for backup in newest_first:
        too_old = now - backup.created > max_age
        if not backup.complete:
            (delete if too_old else keep).append(backup)
            continue
        complete_seen += 1
        if complete_seen == 1:
            keep.append(backup)
        elif complete_seen > policy.keep_count or too_old:
            delete.append(backup)
        else:
            keep.append(backup)
    return RetentionPlan(keep=keep, delete=delete)


def apply_retention(sets: list[BackupSet], policy: RetentionPolicy, now: datetime) -> RetentionPlan:
    plan = plan_retention(sets, policy, now)
    for backup in plan.delete:
        for path in backup.files():
            path.unlink()
    return plan
