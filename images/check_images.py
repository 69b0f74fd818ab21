"""Start each freshly built image the way Kubernetes runs it and check that it works.

HTTP images (backend, matching, frontend) run read-only, without capabilities, as their
non-root user, and must answer ``/healthz`` within the timeout (the frontend image must also
serve the SPA with its cache rules and Content-Security-Policy, and the SPA's API base must be
``/api`` on its own host); the backups image must run
its CLI and carry etcdutl, etcdctl, pg_dump and age. Every final image must be non-root and
free of pip and compilers. The backend and matching images carry product code only: no
benchmark, synthetic data, test oracle or dev tooling module is importable in them.
Usage: python images/check_images.py --tag TAG
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HEALTH_TIMEOUT_SECONDS = 60
NON_ROOT_USER = "10001:10001"
CONTAINER_TMP = "/tmp"  # noqa: S108 - a tmpfs inside the container, as Kubernetes mounts it


@dataclass(frozen=True)
class HttpImage:
    name: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    extra_paths: tuple[str, ...] = ()
    # Further checks against the running container: (image, base URL) -> raises CheckError.
    extra_check: Callable[[str, str], None] | None = None


HTTP_IMAGES: tuple[HttpImage, ...] = (
    HttpImage(
        "backend",
        8000,
        {
            "HOMECARE_ENV": "dev",
            "HOMECARE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
        },
    ),
    HttpImage(
        "matching",
        8001,
        {
            "HOMECARE_ENV": "dev",
            "HOMECARE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
        },
    ),
)


# Dev-only code (apps/devtools: homecare_testing, homecare_devtools; and where it used to live).
DEV_ONLY_MODULES = (
    "homecare_testing",
    "homecare_testing.bench",
    "homecare_testing.matching.synth",
    "homecare_testing.matching.reference",
    "homecare_devtools",
    "homecare_backend.bench_sse",
    "homecare_matching.bench",
    "homecare_matching.synth",
    "homecare_matching.reference",
)
# What each image must import (so the check above is not vacuously true: same interpreter, same
# path, and these are found).
PRODUCT_MODULES = {
    "backend": ("homecare_backend.main", "homecare_backend.worker", "homecare_backend.migrate"),
    "matching": ("homecare_matching.main", "homecare_matching.index"),
}
_FIND_MODULES = """
import importlib.util, json, sys
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
print(json.dumps([name for name in sys.argv[1:] if found(name)]))
"""

os.environ.setdefault(
    "CONTAINERS_CONF", os.path.join(os.path.dirname(os.path.abspath(__file__)), "containers.conf")
)


class CheckError(RuntimeError):
    pass


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    if check and result.returncode != 0:
        raise CheckError(f"podman {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def check_image_hygiene(image: str) -> None:
    user = podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()
    if user != NON_ROOT_USER:
        raise CheckError(f"{image}: USER is {user!r}, expected {NON_ROOT_USER}")
    pip = podman("run", "--rm", "--entrypoint", "python3", image, "-c", "import pip", check=False)
    if pip.returncode == 0:
        raise CheckError(f"{image}: pip is importable in the final image")
    tools = podman(
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        image,
        "-c",
        "command -v gcc cc make apt-get",
        check=False,
    )
    found = [line for line in tools.stdout.split() if not line.endswith("apt-get")]
    if found:
        raise CheckError(f"{image}: build tools in the final image: {found}")


def check_product_only(name: str, image: str) -> None:
    """Dev-only modules are not importable; the image's own modules are."""
    expected = PRODUCT_MODULES[name]
    args = ("--entrypoint", "python3", image, "-c", _FIND_MODULES)
    result = podman("run", "--rm", "--read-only", *args, *expected, *DEV_ONLY_MODULES)
    present = set(json.loads(result.stdout))
    missing = [m for m in expected if m not in present]
    if missing:
        raise CheckError(f"{image}: product modules not importable: {missing}")
    dev_only = [m for m in DEV_ONLY_MODULES if m in present]
    if dev_only:
        raise CheckError(f"{image}: dev-only modules importable in a product image: {dev_only}")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310 - loopback
            return (
                int(response.status),
                {k.lower(): v for k, v in response.headers.items()},
                (response.read()),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


FRONTEND_HEADERS_CONF = Path(__file__).resolve().parents[1] / "apps/frontend/nginx"
IMMUTABLE = "public, max-age=31536000, immutable"


def _check_frontend_shell(
    image: str, base: str, headers_file: str = "security-headers.conf"
) -> str:
    """index.html on every client route, with the CSP and a fresh nonce each time; returns it."""
    conf = (FRONTEND_HEADERS_CONF / headers_file).read_text()
    match = re.search(r'add_header Content-Security-Policy "([^"]+)"', conf)
    if match is None:
        raise CheckError(f"apps/frontend/nginx/{headers_file} has no Content-Security-Policy")
    csp = match.group(1)
    # style-src carries nginx's $request_id as a nonce, which sub_filter also writes into the page.
    policy = re.compile(re.escape(csp).replace(re.escape("$request_id"), "([0-9a-f]{32})"))
    status, headers, body = _fetch(base + "/")
    html = body.decode()
    if status != 200 or '<div id="root">' not in html:
        raise CheckError(f"{image}: GET / answered {status} without the SPA shell")
    sent = policy.fullmatch(headers.get("content-security-policy", ""))
    if sent is None or "connect-src 'self'" not in csp or "unsafe-inline" in csp:
        raise CheckError(f"{image}: CSP is {headers.get('content-security-policy')!r}")
    nonce = sent.group(1)
    if f'nonce="{nonce}"' not in html or "HOMECARE_CSP_NONCE" in html:
        raise CheckError(f"{image}: index.html does not carry the response's CSP nonce")
    if headers.get("cache-control") != "no-cache":
        raise CheckError(f"{image}: index.html Cache-Control {headers.get('cache-control')!r}")
    for route in ("/caregiver/offers", "/family/bookings"):
        status, headers, body = _fetch(base + route)
        again = policy.fullmatch(headers.get("content-security-policy", ""))
        if again is None or again.group(1) == nonce:
            raise CheckError(f"{image}: client route {route} did not get a fresh CSP nonce")
        if status != 200 or body.decode().replace(again.group(1), nonce) != html:
            raise CheckError(f"{image}: client route {route} answered {status}, not index.html")
    return html


def check_frontend(image: str, base: str) -> None:
    """The SPA, its cache rules and CSP; its API base is `/api` on its own host (no CORS)."""
    html = _check_frontend_shell(image, base)
    entry = re.search(r'src="(/assets/index-[^"]+\.js)"', html)
    if entry is None:
        raise CheckError(f"{image}: no entry script in index.html")
    status, headers, script = _fetch(base + entry.group(1))
    if status != 200 or headers.get("cache-control") != IMMUTABLE:
        raise CheckError(f"{image}: {entry.group(1)}: {status}, {headers.get('cache-control')!r}")
    # One origin: the client's base URL is the literal "/api"; no absolute API origin is built in.
    if b'"/api"' not in script or re.search(rb'https?://[^"\s]*/api\b', script):
        raise CheckError(f"{image}: the SPA's API base is not /api on its own host")
    status, headers, _ = _fetch(base + entry.group(1), {"Accept-Encoding": "gzip"})
    if headers.get("content-encoding") != "gzip":
        raise CheckError(f"{image}: {entry.group(1)} is not served precompressed")
    status, _, manifest = _fetch(base + "/manifest.webmanifest")
    if status != 200 or not json.loads(manifest).get("icons"):
        raise CheckError(f"{image}: no web app manifest with icons")
    if _fetch(base + "/sw.js")[0] != 200 or _fetch(base + "/assets/missing-0.js")[0] != 404:
        raise CheckError(f"{image}: sw.js missing, or a missing asset is not a 404")


def check_frontend_toss(image: str, base: str) -> None:
    """With HOMECARE_PAYMENTS_PROVIDER=toss the start script serves the Toss headers file."""
    _check_frontend_shell(image, base, "security-headers-toss.conf")
    csp = _fetch(base + "/")[1].get("content-security-policy", "")
    if "script-src 'self' https://js.tosspayments.com;" not in csp:
        raise CheckError(f"{image}: with provider toss the CSP is {csp!r}")


# Defined after its check functions. The frontend runs twice: the strict CSP (no provider set,
# as in dev), then with HOMECARE_PAYMENTS_PROVIDER=toss (decision 0016).
HTTP_IMAGES = (
    *HTTP_IMAGES,
    HttpImage("frontend", 8080, extra_check=check_frontend),
    HttpImage(
        "frontend", 8080, {"HOMECARE_PAYMENTS_PROVIDER": "toss"}, extra_check=check_frontend_toss
    ),
)


def check_http(spec: HttpImage, image: str) -> float:
    env = [arg for key, value in spec.env.items() for arg in ("-e", f"{key}={value}")]
    container = podman(
        "run",
        "-d",
        "--read-only",
        "--tmpfs",
        CONTAINER_TMP,
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-p",
        f"127.0.0.1::{spec.port}",
        *env,
        image,
    ).stdout.strip()
    start = time.monotonic()
    try:
        host_port = podman("port", container, str(spec.port)).stdout.strip().rsplit(":", 1)[1]
        base = f"http://127.0.0.1:{host_port}"
        while True:
            try:
                status, body = _get(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - start > HEALTH_TIMEOUT_SECONDS:
                logs = podman("logs", container, check=False)
                raise CheckError(
                    f"{image}: /healthz did not answer 200 within {HEALTH_TIMEOUT_SECONDS} s; "
                    f"logs:\n{logs.stdout[-2000:]}{logs.stderr[-2000:]}"
                )
            time.sleep(0.5)
        seconds = time.monotonic() - start
        json.loads(body)
        for path in spec.extra_paths:
            status, body = _get(base + path)
            if status != 200 or not body:
                raise CheckError(f"{image}: GET {path} answered {status}")
        if spec.extra_check is not None:
            spec.extra_check(image, base)
        return seconds
    finally:
        podman("rm", "-f", container, check=False)


def check_backups(image: str) -> None:
    expectations = {
        ("homecare-backups", "--help"): "etcd",
        ("etcdutl", "version"): "etcdutl version: 3.6",
        ("etcdctl", "version"): "etcdctl version: 3.6",
        ("pg_dump", "--version"): "(PostgreSQL) 15",
        ("age", "--version"): ".",
    }
    for (program, arg), expected in expectations.items():
        result = podman("run", "--rm", "--entrypoint", program, image, arg, check=False)
        output = result.stdout + result.stderr
        if result.returncode != 0 or expected not in output:
            raise CheckError(f"{image}: `{program} {arg}` gave {output.strip()[:300]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tag", required=True)
    args = parser.parse_args(argv)
    try:
        for spec in HTTP_IMAGES:
            image = f"localhost/homecare/{spec.name}:{args.tag}"
            check_image_hygiene(image)
            product_only = ""
            if spec.name in PRODUCT_MODULES:
                check_product_only(spec.name, image)
                product_only = ", no bench/synth/reference/devtools modules"
            seconds = check_http(spec, image)
            print(
                f"==> {image}: non-root, no pip/compilers{product_only}, "
                f"/healthz 200 after {seconds:.1f} s"
            )
        image = f"localhost/homecare/backups:{args.tag}"
        check_image_hygiene(image)
        check_backups(image)
        print(f"==> {image}: homecare-backups, etcdutl/etcdctl 3.6, pg_dump 15, age present")
    except CheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
