"""PostgreSQL helpers: connection URLs, pg_dump/pg_restore, and table fingerprints via psql."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from homecare_backups.errors import BackupError
from homecare_backups.proc import find_tool, run

URL_HINT = "use a URL like postgresql://user:password@host:5432/dbname"


@dataclass(frozen=True)
class Connection:
    """A libpq URL without the password, plus the environment that carries the password."""

    url: str
    env: dict[str, str]

    @property
    def database(self) -> str:
        return urlsplit(self.url).path.lstrip("/") or "postgres"

    def with_database(self, name: str) -> Connection:
        parts = urlsplit(self.url)
        return Connection(urlunsplit(parts._replace(path=f"/{name}")), self.env)


def parse_url(url: str) -> Connection:
    """Accept libpq and SQLAlchemy URLs (postgresql+asyncpg://...); no password in argv."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise BackupError(f"not a PostgreSQL URL: {redact(url)}", URL_HINT)
    env: dict[str, str] = {}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    user = f"{parts.username}@" if parts.username else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    query = [("sslmode", v) if k == "ssl" else (k, v) for k, v in parse_qsl(parts.query)]
    clean = urlunsplit(("postgresql", f"{user}{host}{port}", parts.path, urlencode(query), ""))
    return Connection(clean, env)


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def url_from_env(variable: str) -> Connection:
    value = os.environ.get(variable)
    if not value:
        raise BackupError(
            f"environment variable {variable} is not set",
            f"set {variable} to the database URL (from the Kubernetes Secret) or pass another "
            "--database-url-env",
        )
    return parse_url(value)


class PgTools:
    """pg_dump, pg_restore, psql from --pg-bin DIR or PATH (must be >= the server's major)."""

    def __init__(self, bin_dir: Path | None) -> None:
        self.bin_dir = bin_dir

    def path(self, name: str) -> str:
        return find_tool(name, self.bin_dir)

    def dump(self, conn: Connection, target: Path, snapshot: str | None = None) -> None:
        args = [self.path("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={conn.url}"]
        if snapshot:
            args.append(f"--snapshot={snapshot}")
        run(
            args,
            what=f"pg_dump of {conn.database}",
            env=conn.env,
            hint="check the database URL, that the server is reachable, and that pg_dump's "
            "major version is at least the server's",
        )

    def list_archive(self, dump: Path) -> list[str]:
        output = run(
            [self.path("pg_restore"), "--list", str(dump)],
            what=f"pg_restore --list {dump.name}",
            hint="the file is not a pg_dump custom-format archive (corrupted?)",
        )
        lines = output.decode(errors="replace").splitlines()
        return [line for line in lines if line and not line.startswith(";")]

    def restore(self, dump: Path, conn: Connection, *, clean: bool, no_owner: bool) -> None:
        args = [
            self.path("pg_restore"),
            f"--dbname={conn.url}",
            "--exit-on-error",
            "--single-transaction",
        ]
        if clean:
            args += ["--clean", "--if-exists"]
        if no_owner:
            args += ["--no-owner", "--no-acl"]
        run(
            [*args, str(dump)],
            what=f"pg_restore into {conn.database}",
            env=conn.env,
            hint="read the error above; the target database was left unchanged "
            "(single transaction)",
        )

    def psql(self, conn: Connection, sql: str) -> str:
        return run(
            [
                self.path("psql"),
                "-X",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                f"--dbname={conn.url}",
                "-c",
                sql,
            ],
            what="psql",
            env=conn.env,
        ).decode(errors="replace")
