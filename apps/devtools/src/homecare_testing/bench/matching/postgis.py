"""A throw-away Debian PostgreSQL + PostGIS cluster for the baseline (not the system cluster).

The bench runs it from Debian's binaries (`postgresql`, `postgresql-15-postgis-3`, installed by
`scripts/ensure-apt.sh`) as the unprivileged `postgres` user, in its own temporary data
directory, on a free loopback port, with no unix socket; `stop()` removes everything.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

SERVICE_USER = "postgres"
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "max_parallel_workers_per_gather": "0",  # one query at a time, like the index
    "jit": "off",
}


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError(
            "Debian PostgreSQL is missing: run `scripts/ensure-apt.sh postgresql "
            "postgresql-15-postgis-3` (make bench-matching does this)"
        )
    return Path(found[-1]).parent


class DebianPostgres:
    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="homecare-postgis-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.user = SERVICE_USER if os.geteuid() == 0 else None

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - fixed Debian binary, no shell
            [str(bin_dir() / program), *args],
            capture_output=True,
            text=True,
            user=self.user,
            cwd="/",
            check=False,
            start_new_session=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {(result.stderr or result.stdout).strip()}")

    def start(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")  # fmt: skip
        options = " ".join(f"-c {k}={v}" for k, v in {**SETTINGS, "port": self.port}.items())
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options)  # fmt: skip

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
