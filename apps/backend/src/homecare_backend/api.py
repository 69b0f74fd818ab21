"""Shared API building blocks: constrained field types, cursor pages, problem responses.

Every schema-valid request is either accepted or refused for a reason of state (401/403/404/409),
never with a 422 the schema did not predict: strings exclude control characters (PostgreSQL
refuses NUL), numbers are bounded (no integer overflow in the database), times are "HH:MM".
"""

from __future__ import annotations

import inspect
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyQuery
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from starlette.responses import Response

from homecare_shared.errors import ProblemError, problem_response
from homecare_shared.openapi import problem_responses

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text(min_length: int = 0, max_length: int = 200) -> object:
    return Field(min_length=min_length, max_length=max_length, pattern=_NO_CONTROL)


Name = Annotated[str, text(1, 100)]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$",
        examples=["family1@demo.homecare.kr"],
    ),
]
Phone = Annotated[
    str,
    Field(
        min_length=9,
        max_length=20,
        pattern=r"^\+?[0-9][0-9 -]{7,17}[0-9]$",
        description="Digits, spaces and dashes; +82 or a leading 0 (stored encrypted)",
        examples=["010-1234-5678"],
    ),
]
Password = Annotated[str, Field(min_length=10, max_length=128, examples=["correct-horse-2026"])]
Latitude = Annotated[
    float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False, examples=[37.5665])
]
Longitude = Annotated[
    float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False, examples=[126.978])
]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
PageLimit = Annotated[int, Query(ge=1, le=100, description="Page size (1–100)")]
UuidCursor = Annotated[
    uuid.UUID | None,
    Query(description="`next_cursor` of the previous page; omit for the first page"),
]


def _json_integer(value: object) -> object:
    """JSON integers only: 2000 and 2000.0 yes; true, "2000" and 2000.5 no."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    """One page of a list, oldest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[T]
    next_cursor: str | None = Field(description="Cursor of the next page, or null on the last page")


AUTH_ERRORS = problem_responses(401)
OBJECT_ERRORS = problem_responses(401, 403, 404)


def links_by_id(path_param: str, **operations: str) -> dict[str, dict[str, Any]]:
    """OpenAPI links from a created object's `id` to follow-up operations (link name=operationId).

    Schemathesis' stateful phase follows these, chaining create -> get/replace/delete.
    """
    return {
        name: {"operationId": op, "parameters": {path_param: "$response.body#/id"}}
        for name, op in operations.items()
    }


async def page_by_id(
    session: AsyncSession,
    stmt: Select[M],
    id_column: InstrumentedAttribute[uuid.UUID],
    cursor: uuid.UUID | None,
    limit: int,
) -> tuple[list[M], str | None]:
    """Keyset pagination on time-ordered UUID ids: rows after `cursor`, and the next cursor."""
    if cursor is not None:
        stmt = stmt.where(id_column > cursor)
    rows = list((await session.execute(stmt.order_by(id_column).limit(limit + 1))).scalars())
    if len(rows) > limit:
        return rows[:limit], str(getattr(rows[limit - 1], id_column.key))
    return rows, None


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        if isinstance(sub.call, APIKeyQuery):  # a security scheme read from the query
            names.add(sub.call.model.name)
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the route does not declare (a typo must not be silently ignored)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise ProblemError(
            422,
            "unknown_query_parameter",
            "Unknown query parameter",
            f"Not a parameter of this route: {', '.join(repr(u) for u in unknown)}; "
            f"known: {', '.join(sorted(known)) or 'none'}.",
        )


STRICT_QUERY = Depends(reject_unknown_query)


def malformed_ids_are_not_found(app: FastAPI) -> None:
    """A path id that is not a UUID names no object: 404 `not_found`, like an unknown UUID.

    (Other validation errors keep the shared 422 problem response.)
    """
    previous = app.exception_handlers[RequestValidationError]

    async def handler(request: Request, exc: Exception) -> Response:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        if errors and all(
            e.get("type") == "uuid_parsing" and tuple(e.get("loc", ()))[:1] == ("path",)
            for e in errors
        ):
            return problem_response(
                404,
                "not_found",
                "Not found",
                "The id in the path is not a UUID, so nothing has it.",
                request.url.path,
            )
        result = previous(request, exc)
        return await result if inspect.isawaitable(result) else result

    app.add_exception_handler(RequestValidationError, handler)
