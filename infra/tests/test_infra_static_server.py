"""The frontend image's static server (images/static-server/static_server.py), in-process."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SERVER_PATH = Path(__file__).resolve().parents[2] / "images" / "static-server" / "static_server.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("static_server", SERVER_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    site = tmp_path / "www"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").write_text("<html>spa</html>", encoding="utf-8")
    (site / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    monkeypatch.setenv("HOMECARE_API_URL", "https://api.example.test")
    server = _load().make_server(site, 0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_health_and_readiness(base_url: str) -> None:
    assert _get(f"{base_url}/healthz")[0] == 200
    assert json.loads(_get(f"{base_url}/readyz")[2]) == {"ready": True}


def test_runtime_config_for_the_spa(base_url: str) -> None:
    status, _, body = _get(f"{base_url}/config.json")
    assert status == 200
    assert json.loads(body)["apiUrl"] == "https://api.example.test"


def test_client_routes_fall_back_to_index(base_url: str) -> None:
    status, headers, body = _get(f"{base_url}/bookings/42")
    assert (status, body) == (200, b"<html>spa</html>")
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_assets_are_served_and_missing_files_404(base_url: str) -> None:
    status, headers, body = _get(f"{base_url}/assets/app.js")
    assert (status, body) == (200, b"console.log(1)")
    assert "javascript" in headers["Content-Type"]
    assert _get(f"{base_url}/assets/missing.js")[0] == 404


def test_no_path_traversal(base_url: str) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        status, _, body = _get(base_url + path)
        assert b"outside" not in body, path
        assert status in (200, 404)
