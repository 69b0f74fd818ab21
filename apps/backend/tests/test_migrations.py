"""Migrations are reversible and match the ORM models exactly (no autogenerate drift)."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from homecare_backend import migrate
from homecare_backend.models import Base


def test_upgrade_downgrade_upgrade(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = create_engine(migrate.sync_url(url))
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    with engine.connect() as conn:
        assert {
            "users",
            "bookings",
            "care_recipients",
            "caregiver_profiles",
            "caregiver_weekly_slots",
            "caregiver_days_off",
            "outbox",
            "notifications",
            "device_tokens",
            "refresh_tokens",
        } <= set(inspect(conn).get_table_names())
    engine.dispose()


def test_models_match_migrations(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    engine = create_engine(migrate.sync_url(url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_constraints_follow_the_naming_convention(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    engine = create_engine(migrate.sync_url(url))
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            assert inspector.get_pk_constraint(table)["name"] == f"pk_{table}"
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"].startswith(f"fk_{table}_")
            for ck in inspector.get_check_constraints(table):
                assert ck["name"].startswith(f"ck_{table}_")
    engine.dispose()


def test_exactly_one_alembic_head() -> None:
    """Backend and dispatch migrations must form one chain: add yours onto the current head."""
    heads = ScriptDirectory.from_config(migrate.alembic_config("postgresql://unused")).get_heads()
    assert len(heads) == 1, f"several Alembic heads {heads}: re-chain the newest migration"
