"""Retention on directories of fake-dated backup sets (names carry the UTC time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homecare_backups.artifacts import list_sets, new_stamp
from homecare_backups.errors import BackupError
from homecare_backups.retention import RetentionPolicy, apply_retention

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def make_set(directory: Path, age: timedelta, complete: bool = True, prefix: str = "etcd") -> str:
    base = f"{prefix}-{new_stamp(NOW - age)}"
    (directory / f"{base}.db.age").write_bytes(b"x")
    (directory / f"{base}.json").write_text("{}")
    if complete:
        (directory / f"{base}.sha256").write_text("")
    return base


def remaining(directory: Path) -> set[str]:
    return {s.base for s in list_sets(directory, "etcd")}


def test_prunes_by_count_and_age(tmp_path: Path) -> None:
    days = {d: make_set(tmp_path, timedelta(days=d, hours=1)) for d in (0, 1, 2, 3, 5, 8, 20)}
    plan = apply_retention(list_sets(tmp_path, "etcd"), RetentionPolicy(4, 7), NOW)
    assert remaining(tmp_path) == {days[0], days[1], days[2], days[3]}
    assert {s.base for s in plan.delete} == {days[5], days[8], days[20]}
    assert not list(tmp_path.glob(f"{days[20]}*"))  # every file of a pruned set is gone


def test_age_limit_applies_within_the_count(tmp_path: Path) -> None:
    days = {d: make_set(tmp_path, timedelta(days=d)) for d in (0, 10, 11)}
    apply_retention(list_sets(tmp_path, "etcd"), RetentionPolicy(10, 7), NOW)
    assert remaining(tmp_path) == {days[0]}


def test_never_deletes_the_newest_complete_backup_even_when_all_are_old(tmp_path: Path) -> None:
    days = {d: make_set(tmp_path, timedelta(days=d)) for d in (30, 40, 50)}
    plan = apply_retention(list_sets(tmp_path, "etcd"), RetentionPolicy(1, 7), NOW)
    assert remaining(tmp_path) == {days[30]}
    assert len(plan.delete) == 2


def test_an_incomplete_newer_set_does_not_count_as_the_newest_good_one(tmp_path: Path) -> None:
    good = make_set(tmp_path, timedelta(days=30))
    broken_old = make_set(tmp_path, timedelta(days=9), complete=False)
    broken_new = make_set(tmp_path, timedelta(hours=1), complete=False)
    apply_retention(list_sets(tmp_path, "etcd"), RetentionPolicy(1, 7), NOW)
    # The newest *complete* backup survives; a fresh partial set is kept (could be inspected),
    # a stale partial set is removed.
    assert remaining(tmp_path) == {good, broken_new}
    assert broken_old not in remaining(tmp_path)


def test_other_prefixes_and_unrelated_files_are_left_alone(tmp_path: Path) -> None:
    other = make_set(tmp_path, timedelta(days=90), prefix="db-homecare")
    (tmp_path / "README.txt").write_text("keep me")
    make_set(tmp_path, timedelta(days=1))
    apply_retention(list_sets(tmp_path, "etcd"), RetentionPolicy(1, 1), NOW)
    assert (tmp_path / f"{other}.sha256").exists()
    assert (tmp_path / "README.txt").exists()


@pytest.mark.parametrize(("count", "days"), [(0, 7), (3, 0), (-1, 7)])
def test_rejects_policies_that_could_delete_everything(count: int, days: float) -> None:
    with pytest.raises(BackupError, match="--keep-"):
        RetentionPolicy(count, days)


@settings(max_examples=60, deadline=None)
@given(
    ages=st.lists(
        st.integers(min_value=0, max_value=60 * 24), min_size=1, max_size=12, unique=True
    ),
    complete=st.lists(st.booleans(), min_size=12, max_size=12),
    keep_count=st.integers(min_value=1, max_value=5),
    keep_days=st.integers(min_value=1, max_value=30),
)
def test_retention_properties(
    tmp_path_factory: pytest.TempPathFactory,
    ages: list[int],
    complete: list[bool],
    keep_count: int,
    keep_days: int,
) -> None:
    directory = tmp_path_factory.mktemp("prop")
    sets = {
        make_set(directory, timedelta(hours=h), complete[i]): (h, complete[i])
        for i, h in enumerate(ages)
    }
    apply_retention(list_sets(directory, "etcd"), RetentionPolicy(keep_count, keep_days), NOW)
    left = remaining(directory)
    good = sorted((h, base) for base, (h, ok) in sets.items() if ok)
    kept_good = [base for _, base in good if base in left]
    if good:
        assert good[0][1] in left  # the newest complete backup always survives
    assert len(kept_good) <= keep_count
    for base in kept_good[1:]:
        assert sets[base][0] <= keep_days * 24
