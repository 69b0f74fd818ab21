"""The app-flow client against a real `make up` (demo data seeded by it): the same path the
cluster's end-to-end test takes through the gateway, here through the local same-origin proxy."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from homecare_devtools.pytest_plugin import free_port
from homecare_testing.app_flow import AppClient, FlowError, RequestLoop

DEMO_PASSWORD = "demo-password-2026"  # homecare_backend.seed.DEMO_PASSWORD, published demo data
FAMILY = "family1@demo.homecare.kr"  # owns two recipients in the demo data
START_TIMEOUT_S = 240  # migrations and seed; a cold frontend build takes longer (test_up)


def _wait_for_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Homecare is running:" in line:
            return line.split("running:")[1].strip()
    raise AssertionError("make up did not start:\n" + "".join(output))


@pytest.fixture(scope="module")
def platform_url() -> Iterator[str]:
    """`python -m homecare_devtools.up` on free ports with its own data dir (as test_up does,
    outside pytest's tmp tree so PostgreSQL's own user can reach it)."""
    root = Path(tempfile.mkdtemp(prefix="homecare-appflow-test-"))
    ports = {name: free_port() for name in ("pg", "backend", "matching", "frontend")}
    env = {**os.environ, "HOMECARE_DATA_DIR": str(root / "data")}
    env.update({f"HOMECARE_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    proc = subprocess.Popen(
        [sys.executable, "-m", "homecare_devtools.up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield _wait_for_url(proc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def app(platform_url: str) -> Iterator[AppClient]:
    with AppClient(platform_url) as client:
        yield client


@pytest.fixture(scope="module")
def family_token(platform_url: str) -> str:
    with AppClient(platform_url) as client:
        return client.login(FAMILY, DEMO_PASSWORD)


def test_spa_and_readiness_through_one_origin(app: AppClient) -> None:
    assert "<title>" in app.spa_index()
    assert app.readyz() == 200


def test_booking_event_arrives_on_the_stream(app: AppClient, family_token: str) -> None:
    # The 2 s bound belongs to the cluster test; here, beside make test's other suites, only the
    # event's arrival (within booking_event_latency's timeout) is asserted, the time printed.
    booking, seconds = app.booking_event_latency(family_token, app.visit_booker(family_token))
    print(f"booking {booking['id']} at {booking['start_at']}: event after {seconds:.3f} s")
    assert booking["status"] == "offered"


def test_taken_slots_are_skipped_and_a_cancelled_one_is_free(
    app: AppClient, family_token: str
) -> None:
    """Runs in the same hour ask for the same slots: each booking takes the next free one."""
    book = app.visit_booker(family_token)  # one first slot for the three bookings
    first, second = book(), book()
    slot = (second["start_at"], second["caregiver_id"])
    assert slot != (first["start_at"], first["caregiver_id"])
    assert app.cancel_booking(family_token, second["id"])["status"] == "cancelled_by_family"
    third = book()
    assert (third["start_at"], third["caregiver_id"]) == slot


def test_request_loop_has_no_failures(app: AppClient, family_token: str) -> None:
    with RequestLoop(app, token=family_token, max_requests=200, max_seconds=10) as loop:
        loop.wait()
    stats: dict[str, Any] = loop.stats()
    print(f"request loop: {stats}")
    assert stats["failures"] == 0, stats["errors"]
    assert stats["requests"] > 0


def test_wrong_password_names_status_and_code(app: AppClient) -> None:
    # Another family than the one signed in above: failed logins count against the account.
    with pytest.raises(FlowError) as caught:
        app.login("family3@demo.homecare.kr", "not-the-password")
    message = str(caught.value)
    assert "POST" in message
    assert "/api/v1/auth/login" in message
    assert "401 invalid_credentials" in message


def test_loop_counts_failures(app: AppClient) -> None:
    """A request that fails is counted with what came back (here: no token for bookings)."""
    with RequestLoop(app, token="not-a-token", max_requests=3, max_seconds=5) as loop:
        loop.wait()
    stats = loop.stats()
    assert stats["requests"] == 3
    assert stats["failures"] == 1
    assert "/api/v1/bookings?limit=5 -> 401" in stats["errors"][0]


# ---------------------------------------------------------------------- TLS as at the gateway

GATEWAY_HOST = "app.dev.homecare.local"


def _ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A CA (like the cluster's) and a server certificate it signed for GATEWAY_HOST only."""

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(subject_name=name("test CA"), issuer_name=name("test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder(subject_name=name(GATEWAY_HOST), issuer_name=ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(GATEWAY_HOST)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_gateway(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, list[str]]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for GATEWAY_HOST only, recording the SNI
    names and Host headers it gets; yields (base URL, CA file, what it saw)."""
    ca_file, cert_file, key_file = _ca_and_server_cert(tmp_path)
    seen: dict[str, list[str]] = {"sni": [], "host": []}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda _sock, server_name, _ctx: seen["sni"].append(str(server_name))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers.get("Host", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_file, seen
    finally:
        server.shutdown()
        server.server_close()


def test_https_by_ip_sends_the_routed_host_as_sni_and_verifies_it(
    tls_gateway: tuple[str, Path, dict[str, list[str]]],
) -> None:
    url, ca_file, seen = tls_gateway
    with AppClient(url, host_header=GATEWAY_HOST, ca_file=str(ca_file)) as client:
        assert client.readyz() == 200
    assert seen == {"sni": [GATEWAY_HOST], "host": [GATEWAY_HOST]}


def test_https_certificate_is_checked(
    tls_gateway: tuple[str, Path, dict[str, list[str]]],
) -> None:
    url, ca_file, _seen = tls_gateway
    # Without the routed name the certificate (for GATEWAY_HOST) does not match the IP.
    with AppClient(url, ca_file=str(ca_file)) as client, pytest.raises(FlowError) as caught:
        client.readyz()
    assert "GET https://127.0.0.1" in str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    # Nor is a certificate from another CA taken (the system roots do not know ours).
    with AppClient(url, host_header=GATEWAY_HOST) as client, pytest.raises(FlowError):
        client.readyz()
