"""Monthly statements as JSON, CSV (UTF-8 with BOM) and PDF: a caregiver's own month (also
readable by their agency's admins and platform admins) and an agency's month per recipient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CurrentUser
from homecare_backend.db import SessionDep
from homecare_backend.statements import render, service
from homecare_backend.statements.schemas import AgencyStatementOut, CaregiverStatementOut
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["statements"], dependencies=[STRICT_QUERY])
Month = Annotated[
    str,
    Path(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (Asia/Seoul)"),
]
_ERRORS = {**OBJECT_ERRORS, **problem_responses(409)}
T = TypeVar("T")


def _file(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": what,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        },
        **_ERRORS,
    }


_CSV = _file("text/csv", "The statement as CSV: UTF-8 with a byte-order mark, Korean headers")
_PDF = _file("application/pdf", "The statement as a PDF (A4, Korean)")


def _parse(month: str) -> tuple[int, int]:
    year, mon = month.split("-")
    return int(year), int(mon)


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _rendered(make: Callable[[T], bytes], statement: T) -> bytes:
    # PDF layout takes a CPU-bound fraction of a second: keep it off the event loop.
    return await run_in_threadpool(make, statement)


@router.get(
    "/caregivers/{caregiver_id}/statements/{month}",
    operation_id="get_caregiver_statement",
    summary="A caregiver's month: visits served, hours, surcharge hours, earnings",
    responses=_ERRORS,
)
async def get_caregiver_statement(
    caregiver_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> CaregiverStatementOut:
    statement = await service.caregiver_statement(session, user, caregiver_id, *_parse(month))
    return CaregiverStatementOut.of(statement)


@router.get(
    "/caregivers/{caregiver_id}/statements/{month}/csv",
    operation_id="download_caregiver_statement_csv",
    summary="A caregiver's month as CSV (UTF-8 with BOM, opens in Excel)",
    response_class=Response,
    responses=_CSV,
)
async def download_caregiver_statement_csv(
    caregiver_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> Response:
    statement = await service.caregiver_statement(session, user, caregiver_id, *_parse(month))
    body = render.caregiver_csv(statement)
    return _download(body, "text/csv; charset=utf-8", f"caregiver-statement-{month}.csv")


@router.get(
    "/caregivers/{caregiver_id}/statements/{month}/pdf",
    operation_id="download_caregiver_statement_pdf",
    summary="A caregiver's month as PDF",
    response_class=Response,
    responses=_PDF,
)
async def download_caregiver_statement_pdf(
    caregiver_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> Response:
    statement = await service.caregiver_statement(session, user, caregiver_id, *_parse(month))
    body = await _rendered(render.caregiver_pdf, statement)
    return _download(body, "application/pdf", f"caregiver-statement-{month}.pdf")


@router.get(
    "/agencies/{agency_id}/statements/{month}",
    operation_id="get_agency_statement",
    summary="An agency's month per recipient: NHIS claim, co-pay, EVV exceptions flagged",
    responses=_ERRORS,
)
async def get_agency_statement(
    agency_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> AgencyStatementOut:
    statement = await service.agency_statement(session, user, agency_id, *_parse(month))
    return AgencyStatementOut.of(statement)


@router.get(
    "/agencies/{agency_id}/statements/{month}/csv",
    operation_id="download_agency_statement_csv",
    summary="An agency's month as CSV (UTF-8 with BOM, opens in Excel)",
    response_class=Response,
    responses=_CSV,
)
async def download_agency_statement_csv(
    agency_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> Response:
    statement = await service.agency_statement(session, user, agency_id, *_parse(month))
    body = render.agency_csv(statement)
    return _download(body, "text/csv; charset=utf-8", f"agency-statement-{month}.csv")


@router.get(
    "/agencies/{agency_id}/statements/{month}/pdf",
    operation_id="download_agency_statement_pdf",
    summary="An agency's month as PDF",
    response_class=Response,
    responses=_PDF,
)
async def download_agency_statement_pdf(
    agency_id: uuid.UUID, month: Month, user: CurrentUser, session: SessionDep
) -> Response:
    statement = await service.agency_statement(session, user, agency_id, *_parse(month))
    body = await _rendered(render.agency_pdf, statement)
    return _download(body, "application/pdf", f"agency-statement-{month}.pdf")
