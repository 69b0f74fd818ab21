"""Schema migrations: `python -m homecare_backend.migrate [upgrade|downgrade REV|current|head]`.

Alembic is configured in code (no alembic.ini), so the same command works from a checkout,
a wheel and the container image. Migrations run on a synchronous psycopg connection. The command
reads only `DataSettings` (the database URL and the encryption keys, which the migration that
encrypts existing rows needs): the backend's init container is given nothing else.
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from homecare_backend.config import get_data_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def sync_url(url: str) -> str:
    """The async app URL (asyncpg) as a psycopg URL for Alembic."""
    return url.replace("postgresql+asyncpg://", "postgresql+psycopg://", 1)


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = database_url or get_data_settings().database_url
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="homecare-backend-migrate", description=__doc__)
    parser.add_argument(
        "action", choices=["upgrade", "downgrade", "current", "head"], nargs="?", default="upgrade"
    )
    parser.add_argument("revision", nargs="?", help="target revision (default: head / base)")
    args = parser.parse_args(argv)
    if args.action == "upgrade":
        upgrade(revision=args.revision or "head")
    elif args.action == "downgrade":
        downgrade(revision=args.revision or "base")
    elif args.action == "current":
        command.current(alembic_config())
    else:
        print(head_revision())
    return 0


if __name__ == "__main__":
    sys.exit(main())
