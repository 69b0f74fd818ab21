"""A user's path through a deployed platform, over HTTP only: the SPA, readiness, a family's login,
booking a visit and its live event, and a request loop to run beside a rolling update.

Made for the end-to-end test on a real cluster, which reaches the app through the gateway (an IP
plus the Host/SNI name the gateway routes by, verified against the cluster CA), and for `make up`
(plain HTTP on loopback). Both serve the SPA at `/` and the backend's `/v1/...` and `/readyz`
under `/api` (the prefix is stripped before the backend), so every path here starts at `/api`.
Every failure is a `FlowError` naming the request and what came back.
"""

from __future__ import annotations

import ssl
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from homecare_testing.sse import iter_sse_events

SPA_ROOT = '<div id="root">'  # apps/frontend/index.html mounts the app here
VISIT_MINUTES = 60  # the shortest visit the backend takes (BookingIn.duration_minutes)
# Far enough ahead to miss the demo data's visits (the next week or so), well inside the
# backend's one-year window.
LEAD = timedelta(days=21)
MAX_SLOT_TRIES = 48  # taken slots skipped (each caregiver, then an hour on) before giving up


class FlowError(AssertionError):
    """The app did not do what a user needs; the message says what was asked and answered."""


def describe(response: httpx.Response) -> str:
    """`METHOD URL -> status code: detail (request id)`, from problem+json when there is one."""
    request = response.request
    text = f"{request.method} {request.url} -> {response.status_code}"
    problem = _problem(response)
    if problem:
        text += f" {problem.get('code', '')}: {problem.get('detail') or problem.get('title', '')}"
    elif not response.is_success:
        text += f" {response.text[:200]!r}"
    request_id = response.headers.get("x-request-id")
    return f"{text} (request id {request_id})" if request_id else text


def _problem(response: httpx.Response) -> dict[str, Any]:
    if "json" not in response.headers.get("content-type", ""):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) and "code" in body else {}


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise FlowError(f"expected {status}: {describe(response)}")
    return response


class AppClient:
    """One origin of the platform (gateway or `make up`), spoken to as the SPA does."""

    def __init__(
        self,
        base_url: str,
        *,
        host_header: str | None = None,
        ca_file: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host_header = host_header
        self.ca_file = ca_file
        self.timeout_s = timeout_s
        self._extensions: dict[str, Any] = {}
        if host_header is not None and self.base_url.startswith("https:"):
            # We dial the gateway's IP; the TLS name (SNI and the name the certificate is checked
            # against) must be the routed host. httpcore takes it per request.
            self._extensions["sni_hostname"] = host_header
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Host": host_header} if host_header else {},
            verify=self._verify(),
            timeout=timeout_s,
        )

    def _verify(self) -> ssl.SSLContext | bool:
        if not self.base_url.startswith("https:"):
            return True  # plain HTTP: nothing to verify
        # Never off: the cluster CA when given, else the system's roots.
        return ssl.create_default_context(cafile=self.ca_file)

    def clone(self) -> AppClient:
        """A client of its own (own connections) on the same origin, for another thread."""
        return AppClient(
            self.base_url,
            host_header=self.host_header,
            ca_file=self.ca_file,
            timeout_s=self.timeout_s,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self.http.request(
                method, path, headers=headers, extensions=self._extensions, **kwargs
            )
        except httpx.TransportError as exc:
            raise FlowError(
                f"{method} {self.base_url}{path} -> {type(exc).__name__}: {exc}"
            ) from exc

    def _json(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        return _expect(self.request(method, path, **kwargs), status).json()

    # ------------------------------------------------------------------ the user's path

    def spa_index(self) -> str:
        """The SPA's index.html at `/`."""
        response = _expect(self.request("GET", "/"), 200)
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/html") or SPA_ROOT not in response.text:
            raise FlowError(
                f"expected the SPA's HTML ({SPA_ROOT}): {describe(response)} {kind}, "
                f"body starts {response.text[:200]!r}"
            )
        return response.text

    def readyz(self) -> int:
        """The backend's readiness status through the `/api` prefix."""
        return self.request("GET", "/api/readyz").status_code

    def login(self, email: str, password: str) -> str:
        """An access token for the account (`POST /v1/auth/login`)."""
        body = self._json(
            "POST", "/api/v1/auth/login", 200, json={"email": email, "password": password}
        )
        return str(body["access_token"])

    def me(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "/api/v1/me", 200, token=token)
        return result

    def owned_recipient(self, token: str) -> dict[str, Any]:
        """A care recipient the signed-in family owns (only owners may book; a shared one may be
        view-only), as listed by `GET /v1/recipients`."""
        me = self.me(token)
        items = self._json("GET", "/api/v1/recipients", 200, token=token)["items"]
        owned = [r for r in items if r["family_id"] == me["id"]]
        if not owned:
            raise FlowError(f"{me['email']} owns no care recipient (of {len(items)} it sees)")
        return dict(owned[0])

    def bookable_caregivers(self, token: str) -> list[dict[str, Any]]:
        """The caregivers a family may book: `GET /v1/caregivers` lists the verified ones."""
        body = self._json("GET", "/api/v1/caregivers", 200, token=token)
        items: list[dict[str, Any]] = body["items"]
        if not items:
            raise FlowError("GET /api/v1/caregivers listed no caregiver to book")
        return items

    def visit_booker(
        self, token: str, *, notes: str = "app-flow check"
    ) -> Callable[[], dict[str, Any]]:
        """Look up an owned recipient and the bookable caregivers now; the function returned then
        books a one-hour visit (`offered`) with nothing but `POST /v1/bookings`, so a latency
        measured around it is the booking's, not the look-ups'.

        The first slot tried is the next full hour three weeks ahead, so runs an hour or more
        apart ask for different slots. A slot the caregiver already has (409
        `caregiver_double_booked`, the database's no-overlap constraint) moves the try to the
        next caregiver, and after all of them an hour on, a bounded number of times. One-off
        visits need no weekly availability in the backend: it checks none for them.
        """
        recipient = self.owned_recipient(token)
        caregivers = [c["id"] for c in self.bookable_caregivers(token)]
        first = _next_hour(datetime.now(UTC) + LEAD)

        def book() -> dict[str, Any]:
            last = ""
            for attempt in range(MAX_SLOT_TRIES):
                caregiver = caregivers[attempt % len(caregivers)]
                start = first + timedelta(hours=attempt // len(caregivers))
                response = self._create_booking(token, recipient["id"], caregiver, start, notes)
                if response.status_code == 201:
                    result: dict[str, Any] = response.json()
                    return result
                if _problem(response).get("code") != "caregiver_double_booked":
                    raise FlowError(f"expected 201: {describe(response)}")
                last = describe(response)
            raise FlowError(f"no free slot in {MAX_SLOT_TRIES} tries; last: {last}")

        return book

    def book_a_visit(self, token: str, *, notes: str = "app-flow check") -> dict[str, Any]:
        """Book a visit as the signed-in family (see `visit_booker`); returns the booking."""
        return self.visit_booker(token, notes=notes)()

    def cancel_booking(self, token: str, booking_id: str) -> dict[str, Any]:
        """Cancel as the family (free while unpaid and far ahead): frees the caregiver's slot."""
        result: dict[str, Any] = self._json(
            "POST",
            f"/api/v1/bookings/{booking_id}/status",
            200,
            token=token,
            json={"status": "cancelled_by_family"},
        )
        return result

    def _create_booking(
        self, token: str, recipient_id: str, caregiver_id: str, start: datetime, notes: str
    ) -> httpx.Response:
        body = {
            "recipient_id": recipient_id,
            "caregiver_id": caregiver_id,
            "service_type": "home_care",
            "start_at": start.isoformat(),
            "duration_minutes": VISIT_MINUTES,
            "notes": notes,
        }
        # A key per slot: a retry after a lost answer returns the first answer, not a 409.
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return self.request("POST", "/api/v1/bookings", token=token, json=body, headers=headers)

    def list_bookings(self, token: str, limit: int = 5) -> list[dict[str, Any]]:
        body = self._json("GET", "/api/v1/bookings", 200, token=token, params={"limit": limit})
        return list(body["items"])

    # ------------------------------------------------------------------ live events

    def stream_ticket(self, token: str) -> str:
        """A single-use ticket for `GET /v1/events` (how the SPA's EventSource signs in)."""
        return str(self._json("POST", "/api/v1/events/tickets", 201, token=token)["ticket"])

    def booking_event_latency(
        self, token: str, create: Callable[[], dict[str, Any]], timeout_s: float = 10.0
    ) -> tuple[dict[str, Any], float]:
        """Open the event stream, call `create()` (a booking), and return the booking and the
        seconds from calling `create()` until an event about it is read off the stream.

        The backend subscribes the stream before it answers, so once the 200 is in nothing can be
        missed. Events that arrive while `create()` runs wait in the socket and count as read
        when `create()` returns: the figure is an upper bound, which is what a latency check
        wants. Bounded: no event within `timeout_s` of the last byte is a `FlowError`.
        """
        params = {"ticket": self.stream_ticket(token)}
        with self.http.stream(
            "GET",
            "/api/v1/events",
            params=params,
            timeout=httpx.Timeout(self.timeout_s, read=timeout_s),
            extensions=self._extensions,
        ) as response:
            if response.status_code != 200:
                response.read()
                raise FlowError(f"expected the event stream: {describe(response)}")
            started = time.monotonic()
            booking = create()
            seconds = self._await_booking_event(response, str(booking["id"]), started, timeout_s)
        return booking, seconds

    def _await_booking_event(
        self, response: httpx.Response, booking_id: str, started: float, timeout_s: float
    ) -> float:
        seen: list[str] = []
        try:
            for event in iter_sse_events(response.iter_lines()):
                data = event.get("data")
                payload = data.get("payload", {}) if isinstance(data, dict) else {}
                if payload.get("booking_id") == booking_id:
                    return time.monotonic() - started
                seen.append(str(event.get("event")))
                if time.monotonic() - started > timeout_s:
                    break
        except httpx.ReadTimeout:
            pass
        except httpx.TransportError as exc:
            raise FlowError(f"GET /api/v1/events broke: {type(exc).__name__}: {exc}") from exc
        raise FlowError(
            f"no event about booking {booking_id} on GET /api/v1/events within {timeout_s} s "
            f"(other events: {seen or 'none'})"
        )


def _next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class RequestLoop:
    """Requests one after another from a thread of its own while the block runs (a rolling update):
    `GET /api/readyz` and `GET /` in turn, and the family's bookings when given a token.

    Stops at the block's end, after `max_requests`, or after `max_seconds`, whichever is first.
    A failure is a non-2xx answer or a transport error; `stats()` counts them and keeps the first
    few messages.
    """

    KEEP_ERRORS = 5

    def __init__(
        self,
        app: AppClient,
        *,
        token: str | None = None,
        max_requests: int = 1000,
        max_seconds: float = 60.0,
        pause_s: float = 0.02,
    ) -> None:
        self._app = app.clone()  # its own connections: the caller's client stays usable
        self._paths = ["/api/readyz", "/"] + (["/api/v1/bookings?limit=5"] if token else [])
        self._token = token
        self._max_requests = max_requests
        self._max_seconds = max_seconds
        self._pause_s = pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-loop", daemon=True)
        self._latencies: list[float] = []
        self._failures = 0
        self._errors: list[str] = []
        self._elapsed = 0.0

    def __enter__(self) -> RequestLoop:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        # The longest one request can take, plus a margin: the thread is bounded by its timeout.
        self._thread.join(self._app.timeout_s * 2 + 5)
        self._app.close()

    def wait(self) -> None:
        """Block until the loop ends by its own bounds."""
        self._thread.join(self._max_seconds + self._app.timeout_s * 2 + 5)

    def _run(self) -> None:
        started = time.monotonic()
        for n, path in zip(range(self._max_requests), self._cycle(), strict=False):
            if self._stop.is_set() or time.monotonic() - started > self._max_seconds:
                break
            self._one(n, path)
            self._stop.wait(self._pause_s)
        self._elapsed = time.monotonic() - started

    def _cycle(self) -> Iterator[str]:
        while True:
            yield from self._paths

    def _one(self, n: int, path: str) -> None:
        begun = time.monotonic()
        try:
            response = self._app.request("GET", path, token=self._token)
        except FlowError as exc:
            self._fail(f"[{n}] {exc}")
            return
        finally:
            self._latencies.append(time.monotonic() - begun)
        if not response.is_success:
            self._fail(f"[{n}] {describe(response)}")

    def _fail(self, message: str) -> None:
        self._failures += 1
        if len(self._errors) < self.KEEP_ERRORS:
            self._errors.append(message)

    def stats(self) -> dict[str, Any]:
        """Counts and latencies (seconds) so far; final once the block has ended."""
        latencies = sorted(self._latencies)
        return {
            "requests": len(latencies),
            "failures": self._failures,
            "errors": list(self._errors),
            "elapsed_s": round(self._elapsed, 3),
            "latency_p50_s": round(statistics.median(latencies), 4) if latencies else None,
            "latency_p95_s": round(_quantile(latencies, 0.95), 4) if latencies else None,
            "latency_max_s": round(latencies[-1], 4) if latencies else None,
        }


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
