"""schemathesis against the published OpenAPI document: ≥100 generated requests per operation
(valid and invalid data) plus the stateful phase that follows the documented links, against the
real app on a real port and the real embedded PostgreSQL. Any 5xx, undocumented status, wrong
content type or response that breaks its schema fails the test.

Each operation runs as the role that can get past a 403 (`ACTORS`, by operationId; a test checks
every operation has one). Valid `start_dispatch` bodies are aimed at a real booking of the family
(a fixed ranking stands in for matching), so dispatch is exercised beyond 404.

And once as an outsider: the schemathesis CLI, `st run --checks all`, with no credentials
configured at all (`test_no_credentials_all_checks`), so `ignored_auth` and the other checks
see every protected operation refuse and every open one behave.

Excluded: `GET /v1/events` — an endless SSE stream (tested in test_events.py).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import create_engine, func, insert, select, text

from homecare_backend import migrate
from homecare_backend.config import Settings
from homecare_backend.dispatch.models import Dispatch
from homecare_backend.dispatch.service import DispatchService
from homecare_backend.main import create_app
from homecare_backend.models import Agency, Booking, CaregiverProfile, CareRecipient, User
from homecare_backend.users.models import Role
from homecare_devtools.pytest_plugin import free_port
from homecare_testing import factories

EXAMPLES = 100
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
)


class ThreadedServer:
    def __init__(self, settings_: Settings, dispatch: DispatchService, matcher: Any) -> None:
        self.port = free_port()
        self.app = create_app(settings_)
        self.app.state.dispatch = dispatch
        self.app.state.matcher = matcher
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "API server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@dataclass
class World:
    headers: dict[Role, dict[str, str]]
    booking_id: uuid.UUID  # an open booking of the family actor, for `start_dispatch`
    caregiver_id: uuid.UUID  # the caregiver actor's profile
    recipient_id: uuid.UUID  # the family actor's recipient, for `create_care_request`

    def ranked(self) -> Any:
        """Matching stands in as a fixed ranking (its service is tested in apps/matching)."""

        async def source(_session: Any, _booking: Any) -> Sequence[uuid.UUID]:
            return [self.caregiver_id]

        return source

    def matcher(self) -> Any:
        """Matching's answer for a care request: the caregiver actor, explained."""

        async def match(_body: dict[str, Any]) -> dict[str, Any]:
            part = {"value": 1.0, "weight": 0.35, "contribution": 0.35}
            result = {
                "caregiver_id": str(self.caregiver_id),
                "score": 0.35,
                "distance_km": 2.5,
                "breakdown": {"distance": part},
            }
            return {"results": [result], "considered": 1, "excluded": {}}

        return match


def make_world(url: str) -> World:
    engine = create_engine(migrate.sync_url(url))
    agency = factories.agency_row(name="스키마 센터")
    headers = {}
    ids: dict[Role, uuid.UUID] = {}
    caregiver_id = None
    with engine.begin() as conn:
        conn.execute(insert(Agency).values(agency))
        for role in Role:
            user = factories.user_row(
                role,
                agency_id=agency["id"],
                email=f"{role.value}@schema.example.kr",
                password="schema-test-password",
            )
            conn.execute(insert(User).values(user))
            if role == Role.CAREGIVER:
                profile = factories.caregiver_profile_row(
                    user["id"], agency_id=agency["id"], licence_number="2026-999999"
                )
                conn.execute(insert(CaregiverProfile).values(profile))
                caregiver_id = profile["id"]
            token = factories.access_token(user["id"], role, ttl_s=3600)
            headers[role] = {"Authorization": f"Bearer {token}"}
            ids[role] = user["id"]
        recipient = factories.recipient_row(ids[Role.FAMILY])
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        booking = factories.booking_row(recipient["id"], start_at=start)
        conn.execute(insert(CareRecipient).values(recipient))
        conn.execute(insert(Booking).values(booking))
    engine.dispose()
    assert caregiver_id is not None
    return World(headers, booking["id"], caregiver_id, recipient["id"])


F, C, A = Role.FAMILY, Role.CAREGIVER, Role.PLATFORM_ADMIN
# operationId -> the role that can exercise the operation beyond a 403, so generated data reaches
# the database. Routes without authentication get a family token, which they ignore.
ACTORS: dict[str, Role] = {
    **dict.fromkeys(["signup", "login", "refresh_tokens", "logout", "change_password"], F),
    "get_me": F,
    "get_own_caregiver_profile": C,
    **dict.fromkeys(
        ["create_recipient", "list_recipients", "get_recipient", "replace_recipient"], F
    ),
    "delete_recipient": F,
    **dict.fromkeys(
        [
            "list_members",
            "remove_member",
            "invite_member",
            "list_invitations",
            "revoke_invitation",
            "list_my_invitations",
            "accept_invitation",
            "decline_invitation",
        ],
        F,
    ),
    **dict.fromkeys(
        [
            "create_caregiver_profile",
            "list_caregivers",
            "get_caregiver",
            "replace_caregiver_profile",
            "get_availability",
            "replace_availability",
            "add_day_off",
            "remove_day_off",
        ],
        C,
    ),
    **dict.fromkeys(["set_verification", "set_agency", "create_agency", "list_agencies"], A),
    **dict.fromkeys(["create_booking", "list_bookings", "get_booking"], F),
    "change_booking_status": C,
    **dict.fromkeys(
        [
            "create_series",
            "change_series",
            "get_series",
            "get_cancellation_terms",
            "get_booking_split",
            "get_recipient_month",
            "create_payment",
            "get_payment",
            "confirm_payment",
            "confirm_payment_by_order",
            "get_payment_config",
            "toss_webhook",
        ],
        F,
    ),
    **dict.fromkeys(
        [
            "list_notifications",
            "mark_notification_read",
            "register_device",
            "delete_device",
            "get_vapid_public_key",
        ],
        F,
    ),
    **dict.fromkeys(["stream_events", "create_stream_ticket"], F),
    "start_dispatch": F,
    **dict.fromkeys(
        [
            "send_booking_message",
            "list_booking_messages",
            "mark_booking_messages_read",
            "list_message_threads",
            "create_review",
            "get_booking_review",
            "list_caregiver_reviews",
        ],
        F,
    ),
    "reply_to_review": C,
    **dict.fromkeys(
        [
            "create_care_request",
            "list_care_requests",
            "get_care_request",
            "choose_care_candidate",
            "dispatch_care_request",
            "cancel_care_request",
        ],
        F,
    ),
    **dict.fromkeys(["list_my_offers", "accept_offer", "decline_offer"], C),
    **dict.fromkeys(
        ["check_in_visit", "check_out_visit", "write_care_log", "add_care_log_addendum"], C
    ),
    **dict.fromkeys(["get_visit", "get_care_log", "list_care_log_revisions", "get_care_plan"], F),
    "replace_care_plan": F,
    **dict.fromkeys(
        [
            "list_visit_exceptions",
            "resolve_visit_exception",
            "get_visit_site",
            "replace_visit_site",
        ],
        A,
    ),
    **dict.fromkeys(
        [
            "get_caregiver_statement",
            "download_caregiver_statement_csv",
            "download_caregiver_statement_pdf",
        ],
        C,
    ),
    **dict.fromkeys(
        ["get_agency_statement", "download_agency_statement_csv", "download_agency_statement_pdf"],
        Role.AGENCY_ADMIN,
    ),
}


def actor_for(case: Any) -> Role:
    if not case.path.startswith("/v1/"):
        return Role.FAMILY  # /healthz, /readyz: no authentication
    return ACTORS[case.operation.definition.raw["operationId"]]


def auth_headers(case: Any, headers: dict[Role, dict[str, str]]) -> dict[str, str]:
    """The actor's token, except for a case whose point is a missing or broken Authorization
    header (negative header data): adding the token would turn it into a valid request."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode.is_negative:
        return {}
    return headers[actor_for(case)]


@pytest.fixture(scope="module")
def api(fresh_database: Callable[[], str]) -> Iterator[dict[str, Any]]:
    url = fresh_database()
    migrate.upgrade(url)
    world = make_world(url)
    engine = create_engine(migrate.sync_url(url))
    with engine.connect() as conn:
        world_built_at = conn.scalar(text("SELECT now()"))
    engine.dispose()
    app_settings = Settings(env="test", database_url=url, log_level="WARNING")
    server = ThreadedServer(app_settings, DispatchService(world.ranked()), world.matcher())
    with server as base_url:
        live = schemathesis.openapi.from_url(f"{base_url}/openapi.json").exclude(path="/v1/events")
        yield {
            "schema": live,
            "headers": world.headers,
            "base_url": base_url,
            "world": world,
            "world_built_at": world_built_at,
            "app": server.app,
            "url": url,
        }


# The document the app publishes, loaded once at collection (no database needed for that);
# requests go to the live server of the `api` fixture.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(env="test", log_level="WARNING")).openapi()
).exclude(path="/v1/events")


def is_valid_body(case: Any, operation_id: str) -> bool:
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    return (
        case.operation.definition.raw["operationId"] == operation_id
        and isinstance(case.body, dict)
        and body is not None
        and not body.mode.is_negative
    )


_REQUESTS_MADE = itertools.count()


def aim_care_request(
    case: Any, world: World, made: Iterator[int] = _REQUESTS_MADE, from_day: int = 10
) -> None:
    """A random recipient id only ever finds nothing (404) and a random time is rarely within
    the bookable year: aim valid bodies at the family's recipient, one-off schedules at distinct
    future hours (so the visits they lead to do not collide), `from_day` days ahead and on."""
    if not is_valid_body(case, "create_care_request"):
        return
    case.body["recipient_id"] = str(world.recipient_id)
    schedule = case.body.get("schedule")
    n = next(made)
    if isinstance(schedule, dict) and schedule.get("kind") == "one_off":
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        schedule["start_at"] = (start + timedelta(days=from_day + 30, hours=n)).isoformat()
    elif isinstance(schedule, dict) and schedule.get("kind") == "weekly":
        schedule["start_date"] = (
            datetime.now(UTC).date() + timedelta(days=from_day + n % 40)
        ).isoformat()
        schedule["end_date"], schedule["count"] = None, 2


@schema.parametrize()
@HYPOTHESIS
def test_every_operation(case: Any, api: dict[str, Any]) -> None:
    if is_valid_body(case, "start_dispatch"):
        # A random booking id only ever finds nothing (404); aim valid bodies at a real booking
        # of the family, so the first starts a dispatch (201) and the rest meet it (409).
        case.body["booking_id"] = str(api["world"].booking_id)
    aim_care_request(case, api["world"])
    case.call_and_validate(base_url=api["base_url"], headers=auth_headers(case, api["headers"]))


def test_start_dispatch_was_fuzzed_beyond_not_found(api: dict[str, Any]) -> None:
    # Runs after test_every_operation (file order): its valid bodies started the dispatch.
    engine = create_engine(migrate.sync_url(api["url"]))
    try:
        with engine.connect() as conn:
            started = conn.scalar(
                select(func.count())
                .select_from(Dispatch)
                .where(Dispatch.booking_id == api["world"].booking_id)
            )
    finally:
        engine.dispose()
    assert started == 1


def test_every_operation_has_an_actor() -> None:
    document = create_app(Settings(env="test", log_level="WARNING")).openapi()
    operations = {
        operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for operation in item.values()
    }
    assert sorted(operations - ACTORS.keys()) == [], "add these operations to ACTORS"
    assert sorted(ACTORS.keys() - operations) == [], "ACTORS names operations that do not exist"


def test_stateful_links(api: dict[str, Any]) -> None:
    headers = api["headers"]
    seen: set[tuple[str, int]] = set()

    # Left out of the stateful phase: dispatch, family sharing, care requests, visits and care
    # logs. Their answers depend on what earlier steps left in the shared database (a second
    # dispatch, invitation or check-in is a 409), so schemathesis's inferred links make rule
    # selection non-deterministic (FlakyStrategyDefinition). They are still exercised by
    # test_every_operation and by test_dispatch.py / test_sharing.py / test_care_requests.py /
    # test_visits.py / test_carelog.py; the care request -> booking -> payment links by the
    # machine of the next test. Statements too: read-only, computed from whatever the other
    # steps left (the inferred links from `GET /v1/agencies` made rule selection flaky); they
    # are fuzzed by test_every_operation and checked against hand-computed months in
    # test_statements.py.
    stateful = api["schema"].exclude(
        tag=["dispatch", "family sharing", "care requests", "visits", "care logs", "statements"]
    )

    class Workflow(stateful.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth_headers(case, headers)}

        def after_call(self, response: Any, case: Any) -> None:
            seen.add((f"{case.method} {case.path}", response.status_code))

    Workflow.run(
        settings=settings(
            # Sized so the create -> read-back chains are reached with every domain's
            # operations in the machine (60 x 8 did not always reach them once payments landed).
            max_examples=100,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    # The links were followed: objects created in one step were read back in a later one.
    assert ("GET /v1/recipients/{recipient_id}", 200) in seen, sorted(seen)


CHAIN = [
    "create_care_request",
    "get_care_request",
    "choose_care_candidate",
    "get_booking",
    "create_payment",
    "get_payment",
    "confirm_payment",
]


def test_stateful_care_request_to_booking_to_payment(api: dict[str, Any]) -> None:
    """The documented links from a care request to the booking it leads to and that booking's
    payment: a machine of just those operations reaches every step (the whole-API machine
    above also holds them, but reaching a 4-step chain there depends on the draw)."""
    headers, world = api["headers"], api["world"]
    seen: set[tuple[str, int]] = set()
    chain = api["schema"].include(operation_id=CHAIN)
    engine = create_engine(migrate.sync_url(api["url"]))
    # From the world as the fixture built it: what the tests before this one left (bookings,
    # requests, payments; how many depends on their draws) is removed first, so this machine
    # draws the same in the whole-file run as alone (it missed its choose step there).
    started = api["world_built_at"]

    def forget_this_example() -> None:
        # Each example starts from the same server state: the links' answers (201 for a new
        # payment, 200 for an existing one, 409 for a taken slot) then depend on the example
        # alone, as Hypothesis requires (otherwise: FlakyStrategyDefinition on replay).
        made = {"t0": started}
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM idempotency_keys WHERE created_at >= :t0"), made)
            conn.execute(text("DELETE FROM payments WHERE created_at >= :t0"), made)
            conn.execute(text("DELETE FROM care_requests WHERE created_at >= :t0"), made)
            conn.execute(text("DELETE FROM bookings WHERE created_at >= :t0"), made)
            conn.execute(text("DELETE FROM booking_series WHERE created_at >= :t0"), made)
        # The dev provider's memory goes with the payments: an order it had charged in an
        # earlier example (or test) answered ALREADY_PROCESSED_PAYMENT, a 402, on replay.
        provider = api["app"].state.payment_provider
        provider._payments.clear()
        provider._replies.clear()

    # Its own counter, restarted for every example: the same aims on a replay of an example.
    made = [itertools.count()]

    class Workflow(chain.as_state_machine()):  # type: ignore[misc]
        def teardown(self) -> None:
            forget_this_example()
            made[0] = itertools.count()  # the same aims on a replay of the same example

        def before_call(self, case: Any) -> None:
            aim_care_request(case, world, made[0])

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth_headers(case, headers)}

        def after_call(self, response: Any, case: Any) -> None:
            seen.add((f"{case.method} {case.path}", response.status_code))

    forget_this_example()
    with engine.begin() as conn:  # the world's rows the tests before may have changed
        conn.execute(
            text("UPDATE caregiver_profiles SET verification_status = 'verified' WHERE id = :c"),
            {"c": world.caregiver_id},
        )
        conn.execute(
            text("DELETE FROM caregiver_days_off WHERE caregiver_id = :c"),
            {"c": world.caregiver_id},
        )
    Workflow.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    engine.dispose()
    reached = {
        ("POST", "/v1/care-requests", 201),
        ("POST", "/v1/care-requests/{care_request_id}/choose", 200),
        ("POST", "/v1/bookings/{booking_id}/payment", 201),
    }
    assert {(f"{m} {p}", c) for m, p, c in reached} <= seen, sorted(seen)


def test_schema_documents_problem_json_and_examples(api: dict[str, Any]) -> None:
    document = api["schema"].raw_schema
    assert document["openapi"].startswith("3.")
    assert "Problem" in document["components"]["schemas"]
    login = document["paths"]["/v1/auth/login"]["post"]
    assert "application/problem+json" in login["responses"]["429"]["content"]
    assert "Retry-After" in login["responses"]["429"]["headers"]
    body = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert document["components"]["schemas"][body]["examples"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert "application/problem+json" in response["content"], (path, method)


@pytest.mark.timeout(1200)  # ~200 s for 91 operations at load ~20; more when it finds something
def test_no_credentials_all_checks(api: dict[str, Any], tmp_path: Path) -> None:
    """`st run --checks all` as an outsider would run it: no credentials configured at all.

    Every operation then meets its authentication: protected ones must answer 401 problem+json
    (never 2xx: `ignored_auth`), including to tokens schemathesis makes up; open ones (sign-up,
    login, the webhook, the VAPID key) are fuzzed as usual. All checks, every phase but the
    stateful one (its links need objects that only an authenticated caller can create).
    """
    st = Path(sys.executable).with_name("st")
    # `--exclude-path`: the endless SSE stream, as in the tests above.
    command = [
        str(st),
        "run",
        f"{api['base_url']}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "15",
        "--seed",
        "2026",
        "--generation-deterministic",
        "--workers",
        "1",
        "--exclude-path",
        "/v1/events",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1100, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
