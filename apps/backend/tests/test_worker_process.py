"""The worker as Kubernetes runs it: probes answer on its own port, SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from homecare_devtools.pytest_plugin import free_port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""


def test_worker_serves_probes_and_stops_on_sigterm(migrated_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HOMECARE_ENV": "test",
        "HOMECARE_DATABASE_URL": migrated_url,
        "HOMECARE_WORKER_HTTP_PORT": str(port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "homecare_backend.worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and status != 200:
            assert worker.poll() is None, worker.communicate()[0]
            status, body = _get(f"http://127.0.0.1:{port}/readyz")
            time.sleep(0.2)
        assert status == 200, body
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        metrics = _get(f"http://127.0.0.1:{port}/metrics")[1]
        assert 'http_requests_total{method="GET",route="/readyz",status="200"}' in metrics

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 0  # port released
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
