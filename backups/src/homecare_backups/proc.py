"""Finding and running the external programs (age, etcdutl, pg_dump, ...)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from homecare_backups.errors import BackupError

INSTALL_HINTS = {
    "age": "install age (Debian: apt-get install age) or put the age binary on PATH",
    "etcdutl": "put etcdutl 3.6 on PATH (build it with e2e/tools/build-etcd.sh)",
    "etcdctl": "put etcdctl 3.6 on PATH (build it with e2e/tools/build-etcd.sh)",
}
PG_HINT = "install the PostgreSQL client programs (Debian: postgresql-client) or pass --pg-bin DIR"


def find_tool(name: str, search_dir: Path | None = None) -> str:
    """Absolute path of `name`, looked up in `search_dir` first, then on PATH."""
    if search_dir is not None and (search_dir / name).is_file():
        return str(search_dir / name)
    found = shutil.which(name)
    if found is None:
        hint = INSTALL_HINTS.get(name, PG_HINT)
        raise BackupError(f"required program {name!r} was not found on PATH", hint)
    return found


def run(
    args: Sequence[str],
    *,
    what: str,
    hint: str = "",
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 3600,
    user: str | None = None,
    cwd: str | None = None,
) -> bytes:
    """Run a program (no shell) and return its stdout; raise BackupError with stderr on failure.

    Bytes, because some output is binary (decrypted backups); callers that read text decode it.
    """
    full_env = {**os.environ, **env} if env else None
    try:
        result = subprocess.run(  # noqa: S603 - argument lists built by this package, no shell
            list(args),
            input=input_bytes,
            capture_output=True,
            env=full_env,
            timeout=timeout,
            check=False,
            user=user,
            cwd=cwd,
        )
    except FileNotFoundError as exc:
        raise BackupError(f"{what}: program not found: {args[0]}", hint) from exc
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{what}: timed out after {timeout:.0f} s", hint) from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).decode(errors="replace").strip()
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}", hint)
    return result.stdout
