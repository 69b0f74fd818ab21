"""A throw-away PostgreSQL instance (initdb + pg_ctl from the client tools' dir) for drills."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType

from homecare_backups.errors import BackupError
from homecare_backups.pg import Connection, PgTools
from homecare_backups.proc import run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ScratchPostgres:
    """`with ScratchPostgres(tools, run_as) as conn:` — an empty server, deleted afterwards."""

    def __init__(self, tools: PgTools, run_as: str | None) -> None:
        if os.geteuid() == 0 and run_as is None:
            raise BackupError(
                "PostgreSQL refuses to run as root, so the drill cannot start its scratch server",
                "pass --run-as USER (an unprivileged user), or --target-admin-url URL of an "
                "empty server",
            )
        self.tools = tools
        self.run_as = run_as
        self.workdir = Path(tempfile.mkdtemp(prefix="homecare-drill-pg-"))
        self.port = free_port()

    def _pg(self, *args: str) -> None:
        run(
            list(args),
            what=f"{Path(args[0]).name} (scratch server)",
            user=self.run_as,
            cwd="/",
            timeout=300,
            hint="the scratch server needs initdb, pg_ctl and postgres in --pg-bin",
        )

    def __enter__(self) -> Connection:
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        data = self.workdir / "data"
        self._pg(
            self.tools.path("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            "-c unix_socket_directories='' -c fsync=off"
        )
        self._pg(
            self.tools.path("pg_ctl"),
            "start",
            "-D",
            str(data),
            "-w",
            "-t",
            "120",
            "-l",
            str(self.workdir / "postgres.log"),
            "-o",
            options,
        )
        return Connection(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", {})

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._pg(
                self.tools.path("pg_ctl"),
                "stop",
                "-D",
                str(self.workdir / "data"),
                "-m",
                "immediate",
                "-w",
            )
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
