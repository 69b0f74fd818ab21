"""`make up`: the whole platform on this machine, one URL to open, Ctrl-C stops everything.

Starts an embedded PostgreSQL (data kept in .data/ between runs), migrates, seeds demo data, then
runs backend, matching and the frontend as child processes and supervises them. Any child exiting
stops the rest; on Ctrl-C/SIGTERM everything is stopped in reverse order and nothing is left behind.

With HOMECARE_TOSS_STACK=1 (`make up-toss`; the browser tests' Toss spec) it also starts the Toss
path beside the manual one, on the same database: the local Toss contract server (with its HTTP
test controls), a second backend with HOMECARE_PAYMENTS_PROVIDER=toss pointed at it, and a
second frontend serving the Toss CSP in front of that backend. The SDK's script cannot be
fetched here (no internet): a browser on that frontend needs a stand-in for it (e2e/toss-pay).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from homecare_devtools.frontend import build_frontend
from homecare_devtools.pg import EmbeddedPostgres, PostgresError

REPO = Path(__file__).resolve().parents[4]
DATA_DIR = Path(os.environ.get("HOMECARE_DATA_DIR", REPO / ".data"))
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60


@dataclass(frozen=True)
class Port:
    name: str
    variable: str
    default: int

    @property
    def value(self) -> int:
        raw = os.environ.get(self.variable, str(self.default))
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            fail(f"{self.variable}={raw!r} is not a port number (1-65535)")
        return int(raw)


PORTS = {
    "postgres": Port("PostgreSQL", "HOMECARE_PG_PORT", 5433),
    "backend": Port("backend", "HOMECARE_BACKEND_PORT", 8000),
    "matching": Port("matching", "HOMECARE_MATCHING_PORT", 8001),
    "frontend": Port("frontend", "HOMECARE_FRONTEND_PORT", 5173),
}
TOSS_PORTS = {
    "toss-contract": Port("Toss contract server", "HOMECARE_TOSS_CONTRACT_PORT", 8010),
    "backend-toss": Port("backend (toss)", "HOMECARE_TOSS_BACKEND_PORT", 8011),
    "frontend-toss": Port("frontend (toss)", "HOMECARE_TOSS_FRONTEND_PORT", 5174),
}
# Test keys of the local contract server only (it is no Toss account): the backend authenticates
# with the secret one, the SPA gets the client one from GET /v1/payment-config.
TOSS_STANDIN_SECRET_KEY = "test_sk_homecareContractServer0001"  # noqa: S105 - not a real key
TOSS_STANDIN_CLIENT_KEY = "test_ck_homecareContractServer0001"


def toss_stack_enabled() -> bool:
    return os.environ.get("HOMECARE_TOSS_STACK", "") not in ("", "0")


class ShutdownRequested(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised from the signal handler to unwind into the cleanup path."""


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def check_ports(pg: EmbeddedPostgres) -> None:
    for key, port in {**PORTS, **(TOSS_PORTS if toss_stack_enabled() else {})}.items():
        if key == "postgres" and pg.is_running():
            continue  # our own server from an interrupted run: reused below
        if not port_is_free(port.value):
            fail(
                f"port {port.value} ({port.name}) is already in use; stop what uses it "
                f"or set {port.variable} to another port"
            )


def wait_ready(name: str, url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"{name} exited with code {proc.returncode} while starting (see its log above)")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback URL
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    fail(f"{name} not ready at {url} after {READY_TIMEOUT_S} s")


def _uvicorn(py: str, factory: str, port: int) -> list[str]:
    return [py, "-m", "uvicorn", "--factory", factory, "--host", HOST, "--port", str(port)]


def toss_services(
    py: str, dist: Path, env: dict[str, str], ports: dict[str, int]
) -> list[tuple[str, list[str], dict[str, str], str]]:
    """The Toss path's children: (name, argv, env, readiness URL)."""
    contract = f"http://{HOST}:{ports['toss-contract']}"
    backend = f"http://{HOST}:{ports['backend-toss']}"
    backend_env = {
        **env,
        "HOMECARE_PAYMENTS_PROVIDER": "toss",
        "HOMECARE_TOSS_BASE_URL": contract,
        "HOMECARE_TOSS_SECRET_KEY": TOSS_STANDIN_SECRET_KEY,
        "HOMECARE_TOSS_CLIENT_KEY": TOSS_STANDIN_CLIENT_KEY,
        "HOMECARE_INLINE_DISPATCHER": "false",  # the first backend dispatches for both
    }
    frontend_env = {**env, "HOMECARE_BACKEND_URL": backend, "HOMECARE_PAYMENTS_PROVIDER": "toss"}
    frontend_argv = [py, "-m", "homecare_devtools.frontend", "--dist", str(dist)]
    return [
        (
            "toss-contract",
            [py, "-m", "homecare_devtools.toss_contract", "--port", str(ports["toss-contract"]),
             "--secret-key", TOSS_STANDIN_SECRET_KEY],
            env,
            f"{contract}/__test__/healthz",
        ),
        (
            "backend-toss",
            _uvicorn(py, "homecare_backend.main:create_app", ports["backend-toss"]),
            backend_env,
            f"{backend}/readyz",
        ),
        (
            "frontend-toss",
            [*frontend_argv, "--port", str(ports["frontend-toss"])],
            frontend_env,
            f"http://{HOST}:{ports['frontend-toss']}/healthz",
        ),
    ]  # fmt: skip


def start_toss(
    py: str,
    dist: Path,
    env: dict[str, str],
    ports: dict[str, int],
    children: list[tuple[str, subprocess.Popen[bytes]]],
) -> str:
    """Start the Toss path's children (appended to `children`); returns the line to print."""
    for name, argv, child_env, ready_url in toss_services(py, dist, env, ports):
        proc = subprocess.Popen(argv, env=child_env, start_new_session=True)  # noqa: S603
        children.append((name, proc))
        wait_ready(name, ready_url, proc)
    return (
        "  Toss path (local contract server; the SDK script needs a stand-in): "
        f"http://{HOST}:{ports['frontend-toss']}/\n"
    )


def main() -> int:
    toss = toss_stack_enabled()
    ports = {key: port.value for key, port in {**PORTS, **(TOSS_PORTS if toss else {})}.items()}
    DATA_DIR.mkdir(exist_ok=True)
    pg = EmbeddedPostgres(DATA_DIR / "postgres", ports["postgres"])
    check_ports(pg)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise ShutdownRequested(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    database_url = pg.url("homecare", driver="postgresql+asyncpg")
    env = {
        **os.environ,
        "HOMECARE_ENV": "dev",
        "HOMECARE_DATABASE_URL": database_url,
        "HOMECARE_MATCHING_URL": f"http://{HOST}:{ports['matching']}",
        "HOMECARE_BACKEND_URL": f"http://{HOST}:{ports['backend']}",
        "HOMECARE_LOG_JSON": os.environ.get("HOMECARE_LOG_JSON", "false"),
    }
    try:
        print(f"==> PostgreSQL (embedded) on {HOST}:{ports['postgres']}, data in .data/postgres")
        pg.start()
        pg.create_database("homecare")
        py = sys.executable
        subprocess.run([py, "-m", "homecare_backend.migrate", "upgrade"], env=env, check=True)  # noqa: S603
        subprocess.run([py, "-m", "homecare_backend.seed"], env=env, check=True)  # noqa: S603
        dist = build_frontend(REPO / "apps" / "frontend")
        services = {
            "backend": [
                py,
                "-m",
                "uvicorn",
                "--factory",
                "homecare_backend.main:create_app",
                "--host",
                HOST,
                "--port",
                str(ports["backend"]),
            ],
            "matching": [
                py,
                "-m",
                "uvicorn",
                "--factory",
                "homecare_matching.main:create_app",
                "--host",
                HOST,
                "--port",
                str(ports["matching"]),
            ],
            "frontend": [
                py,
                "-m",
                "homecare_devtools.frontend",
                "--dist",
                str(dist),
                "--port",
                str(ports["frontend"]),
            ],
        }
        for name, argv in services.items():
            # Own session: a terminal Ctrl-C reaches only us; we stop the children in order.
            children.append((name, subprocess.Popen(argv, env=env, start_new_session=True)))  # noqa: S603
        wait_ready("backend", f"http://{HOST}:{ports['backend']}/readyz", children[0][1])
        wait_ready("matching", f"http://{HOST}:{ports['matching']}/readyz", children[1][1])
        wait_ready("frontend", f"http://{HOST}:{ports['frontend']}/healthz", children[2][1])
        toss_line = start_toss(py, dist, env, ports, children) if toss else ""
        print(
            f"\n  Homecare is running: http://{HOST}:{ports['frontend']}/\n{toss_line}"
            f"  (API docs http://{HOST}:{ports['backend']}/docs; demo logins in README)\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    fail(f"{name} exited with code {proc.returncode}; stopping the platform")
            time.sleep(0.5)
    except ShutdownRequested:
        print("\n==> stopping", flush=True)
        return 0
    except (PostgresError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for _name, proc in reversed(children):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(children):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
