"""Serve the built SPA (apps/frontend/dist) with the standard library only.

- ``/healthz`` and ``/readyz``: liveness/readiness (ready once index.html is readable)
- ``/config.json``: runtime settings for the SPA (``HOMECARE_API_URL``, ``HOMECARE_ENV``)
- unknown paths without a file extension fall back to ``index.html`` (client-side routing)
- a precompressed ``.gz`` sibling is sent when the client accepts gzip
Settings: ``HOMECARE_STATIC_ROOT`` (default /srv/www), ``HOMECARE_STATIC_PORT`` (default 8080).
"""

from __future__ import annotations

import json
import mimetypes
import os
import signal
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def resolve(root: Path, url_path: str) -> Path | None:
    """The file for ``url_path`` inside ``root``, or None (never a path outside ``root``)."""
    relative = unquote(urlsplit(url_path).path).lstrip("/")
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


class Handler(BaseHTTPRequestHandler):
    root: Path = Path("/srv/www")
    server_version = "homecare-static"
    sys_version = ""

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(HTTPStatus.OK, b'{"status":"ok"}', "application/json", head=head)
        elif path == "/readyz":
            ready = (self.root / "index.html").is_file()
            status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
            body = json.dumps({"ready": ready}).encode()
            self._send(status, body, "application/json", head=head)
        elif path == "/config.json":
            config = {
                "apiUrl": os.environ.get("HOMECARE_API_URL", ""),
                "env": os.environ.get("HOMECARE_ENV", "dev"),
            }
            self._send(HTTPStatus.OK, json.dumps(config).encode(), "application/json", head=head)
        else:
            self._file(path, head=head)

    def _file(self, path: str, *, head: bool) -> None:
        target = resolve(self.root, path)
        if target is None:
            if "." in path.rsplit("/", 1)[-1]:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head=head)
                return
            target = self.root / "index.html"
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        gz = target.with_name(target.name + ".gz")
        encoding = None
        if "gzip" in self.headers.get("Accept-Encoding", "") and gz.is_file():
            target, encoding = gz, "gzip"
        cache = "no-cache" if target.name.startswith("index.html") else "public, max-age=31536000"
        extra = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
        if encoding:
            extra["Content-Encoding"] = encoding
        self._send(HTTPStatus.OK, target.read_bytes(), content_type, head=head, extra=extra)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        *,
        head: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if not self.path.startswith(("/healthz", "/readyz")):
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(root: Path, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:  # noqa: S104
    handler = type("RootedHandler", (Handler,), {"root": root.resolve()})
    return ThreadingHTTPServer((host, port), handler)


def main() -> int:
    root = Path(os.environ.get("HOMECARE_STATIC_ROOT", "/srv/www"))
    if not (root / "index.html").is_file():
        print(f"error: {root}/index.html not found: build the SPA into {root}", file=sys.stderr)
        return 1
    server = make_server(root, int(os.environ.get("HOMECARE_STATIC_PORT", "8080")))
    signal.signal(signal.SIGTERM, _stop)
    print(f"serving {root} on :{server.server_address[1]}", file=sys.stderr)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
