"""Migrations are reversible and match the ORM models exactly (no autogenerate drift)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect

from homecare_backend import encryption, migrate
from homecare_backend.config import DataSettings, Settings
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


def test_the_migrate_command_needs_only_the_database_and_the_keys_in_prod(
    fresh_database: Callable[[], str],
) -> None:
    """The backend's init container gets HOMECARE_DATABASE_URL and the encryption keys, no other
    secret (infra program.py, MIGRATE_SECRETS): with exactly that, in prod, the command migrates,
    while the API's settings would refuse to start (so this is the pod's environment)."""
    url = fresh_database()
    pod_env = {
        "HOMECARE_ENV": "prod",
        "HOMECARE_DATABASE_URL": url,
        "HOMECARE_ENCRYPTION_KEKS": f"2026a={encryption.new_key()}",
        "HOMECARE_ENCRYPTION_INDEX_KEY": encryption.new_key(),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("HOMECARE_")]:
            patch.delenv(name)
        for name, value in pod_env.items():
            patch.setenv(name, value)
        with pytest.raises(ValidationError, match="HOMECARE_JWT_SECRET"):
            Settings()
        assert DataSettings().keyring().current == "2026a"
    env = {"PATH": os.environ["PATH"], **pod_env}
    for action in ("upgrade", "current"):
        done = subprocess.run(
            [sys.executable, "-m", "homecare_backend.migrate", action],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert f"{migrate.head_revision()} (head)" in done.stdout
    engine = create_engine(migrate.sync_url(url))
    with engine.connect() as conn:
        assert {"users", "bookings", "outbox"} <= set(inspect(conn).get_table_names())
    engine.dispose()


def test_the_migrate_command_refuses_placeholder_keys_outside_dev() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOMECARE_ENV": "staging",
        "HOMECARE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    }
    done = subprocess.run(
        [sys.executable, "-m", "homecare_backend.migrate", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert "HOMECARE_ENCRYPTION_KEKS, HOMECARE_ENCRYPTION_INDEX_KEY" in done.stderr
    assert "HOMECARE_JWT_SECRET" not in done.stderr
