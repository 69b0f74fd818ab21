"""schemathesis against the published OpenAPI document: ≥100 generated requests per operation
(valid and invalid data) plus the stateful phase that follows the documented links, against the
real app on a real port and the real embedded PostgreSQL. Any 5xx, undocumented status, wrong
content type or response that breaks its schema fails the test.

Excluded: `GET /v1/events` — an endless SSE stream (tested in test_events.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import create_engine, insert

from homecare_backend import migrate
from homecare_backend.config import Settings
from homecare_backend.main import create_app
from homecare_backend.models import Agency, CaregiverProfile, User
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
    def __init__(self, settings_: Settings) -> None:
        self.port = free_port()
        self.app = create_app(settings_)
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


def make_actors(url: str) -> dict[Role, dict[str, str]]:
    engine = create_engine(migrate.sync_url(url))
    agency = factories.agency_row(name="스키마 센터")
    headers = {}
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
            token = factories.access_token(user["id"], role, ttl_s=3600)
            headers[role] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    return headers


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
        ["list_notifications", "mark_notification_read", "register_device", "delete_device"], F
    ),
    "stream_events": F,
    "start_dispatch": F,
    **dict.fromkeys(["list_my_offers", "accept_offer", "decline_offer"], C),
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
    headers = make_actors(url)
    app_settings = Settings(env="test", database_url=url, log_level="WARNING")
    with ThreadedServer(app_settings) as base_url:
        live = schemathesis.openapi.from_url(f"{base_url}/openapi.json").exclude(path="/v1/events")
        yield {"schema": live, "headers": headers, "base_url": base_url}


# The document the app publishes, loaded once at collection (no database needed for that);
# requests go to the live server of the `api` fixture.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(env="test", log_level="WARNING")).openapi()
).exclude(path="/v1/events")


@schema.parametrize()
@HYPOTHESIS
def test_every_operation(case: Any, api: dict[str, Any]) -> None:
    case.call_and_validate(base_url=api["base_url"], headers=auth_headers(case, api["headers"]))


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

    # Dispatch routes are left out of the stateful phase: with them, schemathesis's inferred
    # links make rule selection non-deterministic (FlakyStrategyDefinition). They are still
    # exercised by test_every_operation and by test_dispatch.py.
    stateful = api["schema"].exclude(tag="dispatch")

    class Workflow(stateful.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth_headers(case, headers)}

        def after_call(self, response: Any, case: Any) -> None:
            seen.add((f"{case.method} {case.path}", response.status_code))

    Workflow.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    # The links were followed: objects created in one step were read back in a later one.
    assert ("GET /v1/recipients/{recipient_id}", 200) in seen, sorted(seen)


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
