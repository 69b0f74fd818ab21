"""Build and serve the frontend for `make up`: the SPA plus same-origin proxies to the APIs.

`/api/*` goes to the backend and `/matching/*` to the matching service (prefix stripped), so the
browser talks to one origin exactly as it does behind the cluster's Gateway. Static responses
carry the frontend image's headers: its Content-Security-Policy and security headers (read from
apps/frontend/nginx/security-headers.conf) and its caching (hashed assets immutable, the rest
revalidated), so the browser tests exercise the policy the cluster serves.
Run: `python -m homecare_devtools.frontend --dist apps/frontend/dist --port 5173`.
`--write-openapi FILE` instead writes the backend's OpenAPI document (from its app factory, no
database needed), which `make frontend-api` turns into the SPA's typed client.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SECURITY_HEADERS_CONF = Path("nginx") / "security-headers.conf"
# What the image's start script (nginx/homecare-frontend) serves per HOMECARE_PAYMENTS_PROVIDER.
HEADERS_BY_PROVIDER = {
    "manual": SECURITY_HEADERS_CONF,
    "toss": Path("nginx") / "security-headers-toss.conf",
}
_ADD_HEADER = re.compile(r'^\s*add_header\s+([A-Za-z-]+)\s+"([^"]*)"\s+always;', re.MULTILINE)
IMMUTABLE = "public, max-age=31536000, immutable"
# The CSP nonce: nginx puts `$request_id` in the header and, by sub_filter, in place of the
# build's placeholder in index.html; this server does the same with a fresh token per response.
NONCE_VARIABLE = "$request_id"
NONCE_PLACEHOLDER = "HOMECARE_CSP_NONCE"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


def _newest_mtime(root: Path) -> float:
    return max((p.stat().st_mtime for p in root.rglob("*") if p.is_file()), default=0.0)


def security_headers(app_dir: Path, provider: str = "manual") -> dict[str, str]:
    """The `add_header NAME "VALUE" always;` lines of the image's nginx include file for this
    payment provider (the strict one unless payments are Toss, as the image selects it)."""
    if provider not in HEADERS_BY_PROVIDER:
        raise SystemExit(
            f"error: HOMECARE_PAYMENTS_PROVIDER={provider!r} is not a payment provider; "
            "use toss or manual"
        )
    conf = app_dir / HEADERS_BY_PROVIDER[provider]
    headers = dict(_ADD_HEADER.findall(conf.read_text()))
    if "Content-Security-Policy" not in headers:
        raise SystemExit(f"error: no Content-Security-Policy in {conf}")
    return headers


def with_nonce(headers: dict[str, str], nonce: str) -> dict[str, str]:
    """The headers with this response's nonce in the Content-Security-Policy."""
    csp = headers.get("Content-Security-Policy")
    if csp is None:
        return dict(headers)
    return {**headers, "Content-Security-Policy": csp.replace(NONCE_VARIABLE, nonce)}


def cache_control(relative: str) -> str:
    """Hashed build output is immutable; icons a day; index.html, sw.js, the manifest no-cache."""
    if relative.startswith("assets/"):
        return IMMUTABLE
    if relative.startswith("icons/"):
        return "public, max-age=86400"
    return "no-cache"


def build_frontend(app_dir: Path) -> Path:
    """`npm ci` when dependencies changed, `npm run build` when sources changed; returns dist/."""
    dist = app_dir / "dist"
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("error: npm not found; install Node.js 20+ (apt-get install nodejs npm)")
    lock = app_dir / "package-lock.json"
    stamp = app_dir / "node_modules" / ".package-lock.json"
    # Playwright's browser download is off: the tests use Debian's Chromium.
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        print("==> npm ci (apps/frontend)", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=app_dir, check=True, env=env)  # noqa: S603
    sources = max(
        _newest_mtime(app_dir / "src"),
        _newest_mtime(app_dir / "public"),
        (app_dir / "index.html").stat().st_mtime,
        (app_dir / "vite.config.ts").stat().st_mtime,
    )
    if not (dist / "index.html").exists() or _newest_mtime(dist) < sources:
        print("==> npm run build (apps/frontend)", flush=True)
        subprocess.run([npm, "run", "build"], cwd=app_dir, check=True)  # noqa: S603
    return dist


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (a `;q=0` entry refuses it)."""
    for entry in accept_encoding.lower().split(","):
        name, _, params = entry.strip().partition(";")
        if name.strip() in {"gzip", "*"}:
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def static_file(path: Path, headers: dict[str, str], accept_encoding: str) -> FileResponse:
    """The file, or its build-time `.gz` copy when the client takes gzip (nginx's gzip_static)."""
    compressed = path.with_name(path.name + ".gz")
    if not compressed.is_file():
        return FileResponse(path, headers=headers)
    headers = {**headers, "Vary": "Accept-Encoding"}
    if not accepts_gzip(accept_encoding):
        return FileResponse(path, headers=headers)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".webmanifest":
        media_type = "application/manifest+json"
    return FileResponse(
        compressed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
    )


def index_html(dist: Path, headers: dict[str, str]) -> Response:
    """index.html with the nonce of this response's CSP in place of the build's placeholder."""
    csp = headers.get("Content-Security-Policy", "")
    nonce = match.group(1) if (match := re.search(r"'nonce-([^']+)'", csp)) else ""
    html = (dist / "index.html").read_text().replace(NONCE_PLACEHOLDER, nonce)
    return Response(html, media_type="text/html", headers={**headers, "Cache-Control": "no-cache"})


def create_app(
    dist: Path, backend_url: str, matching_url: str, headers: dict[str, str] | None = None
) -> Starlette:
    static_headers = headers if headers is not None else security_headers(dist.parent)
    # Idle connections are dropped before uvicorn's own keep-alive timeout (5 s) closes them
    # from the other end, so a request never goes out on a connection the backend is closing;
    # connect errors (the backend still starting, or restarting) are retried with backoff
    # (0.5 s, 1 s) before the SPA gets a 502.
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, read=None),
        limits=httpx.Limits(keepalive_expiry=2.0),
        transport=httpx.AsyncHTTPTransport(retries=2),
    )
    upstreams = {"api": backend_url.rstrip("/"), "matching": matching_url.rstrip("/")}

    async def proxy(request: Request) -> Response:
        upstream = upstreams[request.url.path.split("/")[1]]
        url = f"{upstream}/{request.path_params['path']}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream_request = client.build_request(
            request.method,
            url,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        try:
            upstream_response = await client.send(upstream_request, stream=True)
        except httpx.TransportError:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": f"{upstream} is not reachable",
                    "status": 502,
                    "code": "upstream_unavailable",
                },
                502,
                media_type="application/problem+json",
            )

        async def body() -> AsyncIterator[bytes]:
            async for chunk in upstream_response.aiter_raw():
                yield chunk

        out_headers = {
            k: v for k, v in upstream_response.headers.items() if k.lower() not in HOP_BY_HOP
        }
        return StreamingResponse(
            body(),
            status_code=upstream_response.status_code,
            headers=out_headers,
            background=BackgroundTask(upstream_response.aclose),
        )

    def spa(request: Request) -> Response:  # sync: file checks run in the thread pool
        relative = request.path_params.get("path", "")
        candidate = (dist / relative).resolve()
        headers = with_nonce(static_headers, secrets.token_hex(16))
        inside = candidate.is_file() and candidate.is_relative_to(dist.resolve())
        if relative and relative != "index.html" and inside:
            headers["Cache-Control"] = cache_control(relative)
            return static_file(candidate, headers, request.headers.get("accept-encoding", ""))
        if relative.startswith("assets/"):
            # A stale hashed asset must fail loudly, not come back as index.html.
            return Response(status_code=404, headers=headers)
        return index_html(dist, headers)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/api/{path:path}", proxy, methods=methods),
            Route("/matching/{path:path}", proxy, methods=methods),
            Route("/{path:path}", spa),
        ]
    )


def write_openapi(out: Path) -> None:
    """The backend's OpenAPI document as the SPA's client generator reads it (stable order)."""
    os.environ.setdefault("HOMECARE_ENV", "dev")
    # The schema never touches the database; an unreachable URL proves it.
    os.environ.setdefault("HOMECARE_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    from homecare_backend.main import create_app  # noqa: PLC0415 - only this mode needs it

    document = create_app().openapi()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path)
    parser.add_argument("--port", type=int, default=5173)
    parser.add_argument("--write-openapi", type=Path, metavar="FILE")
    args = parser.parse_args()
    if args.write_openapi is not None:
        write_openapi(args.write_openapi)
        return
    if args.dist is None:
        parser.error("--dist is required to serve the SPA")
    provider = os.environ.get("HOMECARE_PAYMENTS_PROVIDER") or "manual"
    app = create_app(
        args.dist,
        os.environ.get("HOMECARE_BACKEND_URL", "http://127.0.0.1:8000"),
        os.environ.get("HOMECARE_MATCHING_URL", "http://127.0.0.1:8001"),
        security_headers(args.dist.parent, provider),
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
