"""OpenAPI documentation of problem+json errors, so the published schema matches the wire.

`problem_responses(401, 404)` documents error statuses on a route; `document_problem_errors(app)`
rewrites FastAPI's default 422 (`HTTPValidationError`, application/json) into the problem+json
body our handlers really send, and documents 400/413 on every operation that takes a body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from homecare_shared.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; switch on `code`, not on `title`.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "example": "urn:homecare:problem:not_found"},
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "example": 404},
        "code": {"type": "string", "example": "not_found"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or expired credentials",
    403: "Authenticated but not allowed",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    413: "Body larger than 1 MiB",
    422: "Request body, path or query failed validation",
    429: "Too many attempts; retry after `Retry-After` seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting problem+json errors for the given statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}
            }
        out[status] = entry
    return out


def document_problem_errors(app: FastAPI) -> None:
    """Serve an OpenAPI document whose error responses are problem+json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            servers=app.servers,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                # 422 also answers unknown query parameters, so every operation may return it.
                responses["422"] = problem_responses(422)[422]
                if "requestBody" in operation:  # unreadable (non-UTF-8) or oversized bodies
                    for status, entry in problem_responses(400, 413).items():
                        responses.setdefault(str(status), entry)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
