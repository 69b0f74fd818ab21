"""`make up`'s SPA server: the image's headers and cache rules, SPA fallback, OpenAPI dump."""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from homecare_devtools.frontend import IMMUTABLE, create_app, security_headers, write_openapi

APP_DIR = Path(__file__).resolve().parents[2] / "frontend"


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><meta property="csp-nonce" nonce="HOMECARE_CSP_NONCE"><title>spa</title>'
    )
    (dist / "assets" / "index-AbC123.js").write_text("console.log(1)")
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    return dist


def test_policy_is_strict_and_same_origin() -> None:
    csp = security_headers(APP_DIR)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    # Mantine's runtime <style> elements carry the per-response nonce; nothing inline otherwise.
    assert directives["style-src"] == "'self' 'nonce-$request_id'"
    assert "unsafe-inline" not in csp
    # The SPA may only call its own origin: the API is /api on the same host.
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in csp


def _directives(csp: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in csp.split(";"))


def test_the_toss_policy_adds_only_tosss_hosts() -> None:
    """Where payments are Toss the CSP admits the SDK's script, API calls and payment window on
    tosspayments.com and nothing else; every other header and directive is the strict one's."""
    strict = security_headers(APP_DIR)
    toss = security_headers(APP_DIR, "toss")
    assert {k: v for k, v in toss.items() if k != "Content-Security-Policy"} == {
        k: v for k, v in strict.items() if k != "Content-Security-Policy"
    }
    before = _directives(strict["Content-Security-Policy"])
    after = _directives(toss["Content-Security-Policy"])
    assert after["script-src"] == "'self' https://js.tosspayments.com"
    assert after["connect-src"] == "'self' https://*.tosspayments.com"
    assert after["frame-src"] == "https://*.tosspayments.com"
    assert "frame-src" not in before  # strict: frames fall back to default-src 'self'
    changed = {"script-src", "connect-src", "frame-src"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert "unsafe-inline" not in toss["Content-Security-Policy"]


def test_an_unknown_provider_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="HOMECARE_PAYMENTS_PROVIDER='stripe'"):
        security_headers(APP_DIR, "stripe")


def test_static_headers_and_spa_fallback(tmp_path: Path) -> None:
    headers = security_headers(APP_DIR)
    app = create_app(_dist(tmp_path), "http://127.0.0.1:9", "http://127.0.0.1:9", headers)
    with TestClient(app) as client:
        asset = client.get("/assets/index-AbC123.js")
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == IMMUTABLE
        assert re.fullmatch(
            headers["Content-Security-Policy"].replace("$request_id", "[0-9a-f]{32}"),
            asset.headers["content-security-policy"],
        )
        for path in ("/", "/caregiver/offers", "/sw.js"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-cache", path
            assert response.headers["x-content-type-options"] == "nosniff"
        assert "spa" in client.get("/family/bookings").text
        assert client.get("/assets/gone-123.js").status_code == 404


def test_each_page_load_gets_a_fresh_style_nonce(tmp_path: Path) -> None:
    headers = security_headers(APP_DIR)
    app = create_app(_dist(tmp_path), "http://127.0.0.1:9", "http://127.0.0.1:9", headers)
    nonces = []
    with TestClient(app) as client:
        for path in ("/", "/index.html", "/family/bookings"):
            response = client.get(path)
            policy = re.search(
                r"'nonce-([0-9a-f]{32})'", response.headers["content-security-policy"]
            )
            assert policy is not None, path
            assert f'nonce="{policy.group(1)}"' in response.text, path
            assert "HOMECARE_CSP_NONCE" not in response.text
            nonces.append(policy.group(1))
    assert len(set(nonces)) == len(nonces)


def test_api_is_proxied_and_reports_an_unreachable_backend(tmp_path: Path) -> None:
    app = create_app(_dist(tmp_path), "http://127.0.0.1:9", "http://127.0.0.1:9", {})
    with TestClient(app) as client:
        response = client.get("/api/v1/me")
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upstream_unavailable"


def test_a_backend_that_starts_late_is_retried_not_502(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free loopback port, nothing listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def ok(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"late"})

    server = uvicorn.Server(uvicorn.Config(ok, host="127.0.0.1", port=port, log_level="error"))
    starter = threading.Timer(0.3, server.run)  # listens while the proxy is retrying
    starter.start()
    try:
        app = create_app(_dist(tmp_path), f"http://127.0.0.1:{port}", "http://127.0.0.1:9", {})
        with TestClient(app) as client:
            response = client.get("/api/v1/me")
        assert response.status_code == 200
        assert response.text == "late"
    finally:
        server.should_exit = True
        starter.join(timeout=10)


def test_write_openapi(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    write_openapi(out)
    document = json.loads(out.read_text())
    assert "/v1/auth/login" in document["paths"]


def test_precompressed_assets_are_served_to_gzip_clients(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    body = b"console.log('a long enough module');" * 40
    (dist / "assets" / "index-AbC123.js").write_bytes(body)
    (dist / "assets" / "index-AbC123.js.gz").write_bytes(gzip.compress(body))
    app = create_app(dist, "http://127.0.0.1:9", "http://127.0.0.1:9", {})
    with TestClient(app) as client:
        zipped = client.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "br, gzip"})
        plain = client.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "identity"})
        refused = client.get("/assets/index-AbC123.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert int(zipped.headers["content-length"]) < len(body)
    assert zipped.content == body  # httpx decodes it
    for response in (plain, refused):
        assert "content-encoding" not in response.headers
        assert response.content == body
        assert response.headers["vary"] == "Accept-Encoding"
