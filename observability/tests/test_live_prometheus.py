"""A real Prometheus scrapes the running backend, worker and matching (plus node_exporter reading
the backups' textfile metrics, and etcd when its binary is built) with our rules loaded, and
answers every dashboard query with data; every metric a rule or panel uses is exported by one of
them (checked against their real /metrics output), or listed in metrics/on-real-kubelets.yml
(kube-apiserver and kubelet names, checked against real output by the e2e-cluster suite) or in
metrics/not-run-here.yml (kube-state-metrics, which runs nowhere in `make test`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from obs_support import OBSERVABILITY, RULE_FILES, Tools, note_not_run, recorded_names
from test_dashboards import checked_in, panel_queries

from homecare_backups.metrics import MetricsTarget, export
from homecare_devtools.pytest_plugin import free_port

NAMESPACE = "homecare-dev"
NOT_RUN_HERE: dict[str, list[str]] = yaml.safe_load(
    (OBSERVABILITY / "metrics" / "not-run-here.yml").read_text()
)
ON_REAL_KUBELETS: dict[str, list[str]] = yaml.safe_load(
    (OBSERVABILITY / "metrics" / "on-real-kubelets.yml").read_text()
)
SCRAPE_SECONDS = 2


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)  # noqa: S310 - loopback URLs the test built
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def _post(url: str, body: object, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310
        url, data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"null")


def _wait(
    what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with code {proc.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} not ready after {timeout:.0f} s")


def _ready(url: str) -> Callable[[], bool]:
    return lambda: _get(url)[0] == 200


@dataclass
class Stack:
    urls: dict[str, str]
    prometheus: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, body = _get(url)
        assert status == 200, f"{expr}: HTTP {status} {body}"
        return list(json.loads(body)["data"]["result"])


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _traffic(backend: str, matching: str) -> None:
    """Requests a family, a caregiver and matching see, so every business panel has data."""
    status, tokens = _post(
        f"{backend}/v1/auth/login",
        {"email": "family1@demo.homecare.kr", "password": "demo-password-2026"},
    )
    assert status == 200, tokens
    token = tokens["access_token"]
    _, recipients = _get(f"{backend}/v1/recipients", token)
    items = json.loads(recipients)
    recipient = (items["items"] if isinstance(items, dict) else items)[0]["id"]
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=1, minute=0, second=0)
    status, booking = _post(
        f"{backend}/v1/bookings",
        {"recipient_id": recipient, "start_at": start.isoformat(), "duration_minutes": 120},
        token,
    )
    assert status == 201, booking
    _post(f"{backend}/v1/bookings/{booking['id']}/status", {"status": "cancelled"}, token)
    _post(f"{backend}/v1/offers/00000000-0000-0000-0000-000000000000/accept", {}, token)
    _get(f"{backend}/v1/bookings/not-a-uuid", token)  # a 4xx
    window = {
        "start": (start + timedelta(hours=8)).isoformat(),
        "end": (start + timedelta(hours=11)).isoformat(),
    }
    _post(f"{matching}/v1/match", {"latitude": 200, "longitude": 0, "windows": []})  # a 422
    for _ in range(3):
        status, found = _post(
            f"{matching}/v1/match", {"latitude": 37.5665, "longitude": 126.978, "windows": [window]}
        )
        assert status == 200, found


def _textfile(directory: Path) -> None:
    """The backups' own writer: what the etcd backup CronJob leaves for node-exporter."""
    target = MetricsTarget(textfile=directory / "homecare_backup_etcd.prom")
    now = time.time()
    export(
        target,
        "etcd",
        {
            "homecare_backup_last_attempt_timestamp_seconds": now,
            "homecare_backup_last_attempt_success": 1.0,
            "homecare_backup_last_success_timestamp_seconds": now - 3600,
            "homecare_backup_last_size_bytes": 2_500_000.0,
            "homecare_backup_last_duration_seconds": 7.5,
            "homecare_backup_drill_rto_seconds": 8.1,
            "homecare_backup_drill_success_timestamp_seconds": now - 86400,
        },
    )


def _prometheus_config(targets: dict[str, tuple[str, dict[str, str]]], rules: Path) -> str:
    return yaml.safe_dump(
        {
            "global": {
                "scrape_interval": f"{SCRAPE_SECONDS}s",
                "evaluation_interval": f"{SCRAPE_SECONDS}s",
            },
            "rule_files": [str(rules / "*.yml")],
            "scrape_configs": [
                {
                    "job_name": job,
                    "static_configs": [{"targets": [address], "labels": labels}],
                }
                for job, (address, labels) in targets.items()
            ],
        }
    )


@pytest.fixture(scope="module")
def stack(
    tools: Tools, fresh_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("live")
    database_url = fresh_database()
    ports = {
        name: free_port()
        for name in ("backend", "matching", "worker", "node", "prom", "etcd", "peer")
    }
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in ("backend", "matching", "worker")}
    env = {
        **os.environ,
        "HOMECARE_ENV": "dev",
        "HOMECARE_DATABASE_URL": database_url,
        "HOMECARE_MATCHING_URL": urls["matching"],
        "HOMECARE_BACKEND_URL": urls["backend"],
        "HOMECARE_WORKER_HTTP_PORT": str(ports["worker"]),
        "HOMECARE_INLINE_DISPATCHER": "false",
        "HOMECARE_LOG_JSON": "true",
    }
    py = sys.executable
    subprocess.run(
        [py, "-m", "homecare_backend.migrate", "upgrade"], env=env, check=True, capture_output=True
    )
    subprocess.run([py, "-m", "homecare_backend.seed"], env=env, check=True, capture_output=True)
    uvicorn = [py, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--no-access-log"]
    procs: list[subprocess.Popen[bytes]] = []
    live = Stack(
        urls=urls, prometheus=f"http://127.0.0.1:{ports['prom']}", logs=tmp, processes=procs
    )
    try:
        for name, app in (
            ("backend", "homecare_backend.main:create_app"),
            ("matching", "homecare_matching.main:create_app"),
        ):
            procs.append(
                _start([*uvicorn, app, "--port", str(ports[name])], env, tmp / f"{name}.log")
            )
        procs.append(_start([py, "-m", "homecare_backend.worker"], env, tmp / "worker.log"))
        for (name, url), proc in zip(urls.items(), procs, strict=True):
            _wait(name, _ready(f"{url}/readyz"), proc, 120)
        textfile = tmp / "textfile"
        textfile.mkdir()
        _textfile(textfile)
        node = _start(
            [
                str(tools.path("node_exporter")),
                f"--web.listen-address=127.0.0.1:{ports['node']}",
                f"--collector.textfile.directory={textfile}",
            ],
            env,
            tmp / "node_exporter.log",
        )
        procs.append(node)
        _wait(
            "node_exporter",
            lambda: _get(f"http://127.0.0.1:{ports['node']}/metrics")[0] == 200,
            node,
            30,
        )
        app_labels = {"namespace": NAMESPACE, "env": "dev"}
        targets = {
            "homecare-apps-backend": (
                f"127.0.0.1:{ports['backend']}",
                {**app_labels, "service": "backend"},
            ),
            "homecare-apps-worker": (
                f"127.0.0.1:{ports['worker']}",
                {**app_labels, "service": "worker"},
            ),
            "homecare-apps-matching": (
                f"127.0.0.1:{ports['matching']}",
                {**app_labels, "service": "matching"},
            ),
            "node-exporter": (f"127.0.0.1:{ports['node']}", {"node": "msi-master"}),
        }
        etcd = sorted(Path(tools.bin_dir).glob("etcd-v*"))
        if etcd:
            data = tmp / "etcd"
            proc = _start(
                [
                    str(etcd[-1]),
                    f"--data-dir={data}",
                    f"--listen-client-urls=http://127.0.0.1:{ports['etcd']}",
                    f"--advertise-client-urls=http://127.0.0.1:{ports['etcd']}",
                    f"--listen-peer-urls=http://127.0.0.1:{ports['peer']}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{ports['peer']}",
                    f"--initial-cluster=default=http://127.0.0.1:{ports['peer']}",
                ],
                env,
                tmp / "etcd.log",
            )
            procs.append(proc)
            _wait(
                "etcd", lambda: _get(f"http://127.0.0.1:{ports['etcd']}/health")[0] == 200, proc, 60
            )
            targets["etcd"] = (f"127.0.0.1:{ports['etcd']}", {})
        else:
            note_not_run(
                "etcd panels and rules against a live etcd: build it with e2e/tools/build-etcd.sh"
            )
        config = tmp / "prometheus.yml"
        config.write_text(_prometheus_config(targets, OBSERVABILITY / "rules"))
        prom = _start(
            [
                str(tools.path("prometheus")),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{ports['prom']}",
            ],
            env,
            tmp / "prometheus.log",
        )
        procs.append(prom)
        _wait("prometheus", lambda: _get(f"{live.prometheus}/-/ready")[0] == 200, prom, 60)
        live.jobs = list(targets)
        _traffic(urls["backend"], urls["matching"])
        # rate() needs two samples after the traffic; the recording rules one more evaluation.
        time.sleep(SCRAPE_SECONDS * 4)
        _traffic(urls["backend"], urls["matching"])
        time.sleep(SCRAPE_SECONDS * 4)
        yield live
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _not_run_here(expr: str) -> list[str]:
    """Names in EXPR from components this suite does not scrape (so the query has no data)."""
    groups = [*NOT_RUN_HERE.values(), *ON_REAL_KUBELETS.values()]
    names = {name for group in groups for name in group}
    return sorted(name for name in names if name in expr)


def test_every_target_is_up(stack: Stack) -> None:
    up = {r["metric"]["job"]: r["value"][1] for r in stack.query("up")}
    assert up == dict.fromkeys(stack.jobs, "1")


def test_every_dashboard_query_answers_with_data(stack: Stack) -> None:
    empty: list[str] = []
    skipped: list[str] = []
    for name, dashboard in checked_in().items():
        services = ["backend", "matching"] if name == "service-red" else ["backend"]
        for title, expr in panel_queries(dashboard):
            if _not_run_here(expr):
                skipped.append(f"{name}/{title}")
                continue
            for service in services:
                concrete = (
                    expr.replace('service="backend"', f'service="{service}"')
                    if name == "service-red"
                    else expr
                )
                if not stack.query(concrete):
                    empty.append(f"{name}/{title} [{service}]: {concrete}")
    assert not empty, "panels without data:\n" + "\n".join(empty)
    if skipped:
        note_not_run(
            f"live data for {len(skipped)} panels on kube-state-metrics/kubelet/kube-apiserver "
            "metrics (those exporters do not run here; the queries are parsed)"
        )


def _metric_names(stack: Stack, expr: str) -> set[str]:
    """Metric names of every vector selector, from Prometheus' own parser (/api/v1/parse_query)."""
    url = f"{stack.prometheus}/api/v1/parse_query?" + urllib.parse.urlencode({"query": expr})
    status, body = _get(url)
    assert status == 200, f"{expr}: {body}"
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("vectorSelector", "matrixSelector") and node.get("name"):
                names.add(str(node["name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body)["data"])
    return names


def _exported(stack: Stack) -> set[str]:
    """Metric names in the real /metrics output of every scraped target."""
    names: set[str] = set()
    for target in json.loads(_get(f"{stack.prometheus}/api/v1/targets")[1])["data"][
        "activeTargets"
    ]:
        _, text = _get(target["scrapeUrl"])
        for line in text.splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("{")[0].split(" ")[0])
    _, own = _get(f"{stack.prometheus}/metrics")
    names |= {
        line.split("{")[0].split(" ")[0] for line in own.splitlines() if line and line[0] != "#"
    }
    return names | {"up"}


def test_every_metric_used_is_exported_by_something_we_scrape(stack: Stack) -> None:
    exprs = [
        rule["expr"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]
    exprs += [expr for dashboard in checked_in().values() for _, expr in panel_queries(dashboard)]
    exported = _exported(stack)
    recorded = recorded_names()
    not_run = {name: component for component, names in NOT_RUN_HERE.items() for name in names}
    on_kubelets = {name for names in ON_REAL_KUBELETS.values() for name in names}
    unknown: set[str] = set()
    elsewhere: set[str] = set()
    for expr in exprs:
        for name in _metric_names(stack, expr):
            if name in exported or name in recorded or name in on_kubelets:
                continue
            if name in not_run:
                elsewhere.add(f"{name} ({not_run[name]})")
            elif name.startswith("etcd_") and "etcd" not in stack.jobs:
                elsewhere.add(f"{name} (etcd not built)")
            else:
                unknown.add(name)
    assert not unknown, f"used but exported by nothing we scrape: {sorted(unknown)}"
    if elsewhere:
        note_not_run(
            f"{len(elsewhere)} metric names checked against observability/metrics/not-run-here.yml"
            " instead of real /metrics output (kube-state-metrics is not built here; kubelet and"
            " kube-apiserver names are checked on real kubelets by the e2e-cluster suite)"
        )


def test_app_logs_are_json_with_request_id_and_a_user_hash_never_an_email(stack: Stack) -> None:
    text = (stack.logs / "backend.log").read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert requests
    assert all(line.get("request_id") for line in requests)
    signed_in = [line for line in requests if line["route"] == "/v1/bookings"]
    assert signed_in
    assert all(len(line["user"]) == 16 for line in signed_in), signed_in
    assert "family1@demo.homecare.kr" not in text
    assert "@demo.homecare.kr" not in text


def test_domain_metrics_count_what_the_traffic_did(stack: Stack) -> None:
    def value(expr: str) -> float:
        result = stack.query(expr)
        assert result, expr
        return float(result[0]["value"][1])

    # Two rounds of traffic: two bookings created, three matches per round.
    assert value('sum(homecare_booking_transitions_total{to="requested"})') == 2
    assert value('sum(homecare_booking_transitions_total{to="confirmed"})') == 0
    assert value("sum(homecare_match_candidates_count)") == 6
    assert value("sum(homecare_match_duration_seconds_count)") == 6
    assert value('sum(homecare_sse_subscribers{service="backend"})') == 0
    assert value('max(homecare_outbox_lag_seconds{service="worker"})') >= 0
