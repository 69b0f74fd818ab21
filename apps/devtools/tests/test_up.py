"""`make up` as a user runs it: one URL, both services ready, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from homecare_devtools.pytest_plugin import free_port


def up_env(root: Path, **ports: int) -> dict[str, str]:
    env = {**os.environ, "HOMECARE_DATA_DIR": str(root / "data")}
    for name, port in ports.items():
        env[f"HOMECARE_{name.upper()}_PORT"] = str(port)
    return env


@pytest.fixture
def up_root() -> Iterator[Path]:
    """A directory for `make up`'s data outside pytest's tmp_path tree: PostgreSQL runs as its
    own user, which must traverse the parents, and every pytest start resets its private
    /tmp/pytest-of-<user> to mode 0700 (a concurrent pytest then locks PostgreSQL out)."""
    root = Path(tempfile.mkdtemp(prefix="homecare-up-test-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: free_port() for name in ("pg", "backend", "matching", "frontend")}


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_busy_port_is_one_clear_line(
    up_root: Path, ports: dict[str, int], occupied_port: int
) -> None:
    ports["backend"] = occupied_port
    result = subprocess.run(
        [sys.executable, "-m", "homecare_devtools.up"],
        env=up_env(up_root, **ports),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: port {occupied_port} (backend) is already in use; stop what uses it "
        "or set HOMECARE_BACKEND_PORT to another port"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def platform_processes(data_dir: Path, ports: dict[str, int]) -> list[psutil.Process]:
    """Our postgres (by data dir) and our services (by their port flag)."""
    markers = [str(data_dir)] + [f"--port {port}" for port in ports.values()]
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if any(marker in cmdline for marker in markers):
            found.append(proc)
    return found


def test_up_serves_everything_and_ctrl_c_leaves_nothing(
    up_root: Path, ports: dict[str, int]
) -> None:
    env = up_env(up_root, **ports)
    proc = subprocess.Popen(
        [sys.executable, "-m", "homecare_devtools.up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url = None
    output = []
    deadline = time.monotonic() + 480  # cold: npm build, migrations, seed
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Homecare is running:" in line:
            url = line.split("running:")[1].strip()
    assert url == f"http://127.0.0.1:{ports['frontend']}/", "".join(output)

    assert get(f"http://127.0.0.1:{ports['backend']}/readyz")[0] == 200
    assert get(f"http://127.0.0.1:{ports['matching']}/readyz")[0] == 200
    status, page = get(url)
    assert status == 200
    assert b'<div id="root">' in page
    assert get(f"{url}api/readyz")[0] == 200  # same-origin proxy to the backend
    assert len(platform_processes(up_root / "data", ports)) >= 4

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    time.sleep(0.5)
    leftovers = [p for p in platform_processes(up_root / "data", ports) if p.is_running()]
    assert leftovers == []
    # The data survives for the next `make up`.
    assert (up_root / "data" / "postgres" / "PG_VERSION").exists()
