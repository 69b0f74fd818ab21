"""Metrics export: node-exporter textfile merging and the Pushgateway protocol.

No Pushgateway binary is available here (its Go module is not served by the proxy), so the push
test records the HTTP request on a local server and checks it against the Pushgateway API:
POST /metrics/job/<job>/<label>/<value> with the text exposition format.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from homecare_backups.errors import BackupError
from homecare_backups.metrics import MetricsTarget, export


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_textfile_keeps_last_success_when_an_attempt_fails(tmp_path: Path) -> None:
    target = MetricsTarget(textfile=tmp_path / "homecare_backup.prom")
    export(
        target,
        "etcd",
        {
            "homecare_backup_last_success_timestamp_seconds": 1000.0,
            "homecare_backup_last_attempt_success": 1.0,
        },
    )
    export(target, "postgres", {"homecare_backup_last_success_timestamp_seconds": 2000.0})
    export(
        target,
        "etcd",
        {
            "homecare_backup_last_attempt_success": 0.0,
            "homecare_backup_last_attempt_timestamp_seconds": 3000.0,
        },
    )
    values = samples(target.textfile.read_text())  # type: ignore[union-attr]
    etcd, postgres = (("kind", "etcd"),), (("kind", "postgres"),)
    assert values[("homecare_backup_last_success_timestamp_seconds", etcd)] == 1000.0
    assert values[("homecare_backup_last_success_timestamp_seconds", postgres)] == 2000.0
    assert values[("homecare_backup_last_attempt_success", etcd)] == 0.0
    assert values[("homecare_backup_last_attempt_timestamp_seconds", etcd)] == 3000.0
    assert not list(tmp_path.glob(".*partial"))  # written atomically (rename)


class Recorder(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, str, bytes]] = []  # noqa: RUF012 - test-only class state

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(("POST", self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pushgateway() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_push_posts_the_group_for_the_backup_kind(pushgateway: str) -> None:
    export(
        MetricsTarget(pushgateway_url=pushgateway),
        "etcd",
        {
            "homecare_backup_last_size_bytes": 123.0,
            "homecare_backup_last_success_timestamp_seconds": 1.7e9,
        },
    )
    [(method, path, content_type, body)] = Recorder.requests
    assert (method, path) == ("POST", "/metrics/job/homecare_backup/kind/etcd")
    assert content_type.startswith("text/plain")
    values = samples(body.decode())
    assert values[("homecare_backup_last_size_bytes", ())] == 123.0
    assert values[("homecare_backup_last_success_timestamp_seconds", ())] == 1.7e9


def test_push_failure_says_what_to_check() -> None:
    with pytest.raises(BackupError, match="--pushgateway-url"):
        export(
            MetricsTarget(pushgateway_url="http://127.0.0.1:1"),
            "etcd",
            {"homecare_backup_last_size_bytes": 1.0},
        )
