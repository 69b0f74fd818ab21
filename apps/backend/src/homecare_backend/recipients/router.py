from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from homecare_backend.api import (
    OBJECT_ERRORS,
    STRICT_QUERY,
    Page,
    PageLimit,
    UuidCursor,
    links_by_id,
)
from homecare_backend.auth.deps import CurrentUser, FamilyUser
from homecare_backend.db import SessionDep
from homecare_backend.recipients import service
from homecare_backend.recipients.schemas import RecipientIn, RecipientOut
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/recipients", tags=["care recipients"], dependencies=[STRICT_QUERY])
_LINK = links_by_id(
    "recipient_id",
    GetRecipient="get_recipient",
    ReplaceRecipient="replace_recipient",
    DeleteRecipient="delete_recipient",
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_recipient",
    summary="Add a care recipient to your family account",
    responses={201: {"links": _LINK}, **problem_responses(401, 403)},
)
async def create_recipient(
    data: RecipientIn, user: FamilyUser, session: SessionDep
) -> RecipientOut:
    return RecipientOut.model_validate(await service.create(session, user, data))


@router.get(
    "",
    operation_id="list_recipients",
    summary="Care recipients you manage (platform admins: all)",
    responses=problem_responses(401, 403),
)
async def list_recipients(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> Page[RecipientOut]:
    rows, next_cursor = await service.list_visible(session, user, cursor=cursor, limit=limit)
    return Page(items=[RecipientOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{recipient_id}",
    operation_id="get_recipient",
    summary="One care recipient",
    responses=OBJECT_ERRORS,
)
async def get_recipient(
    recipient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> RecipientOut:
    return RecipientOut.model_validate(await service.get_visible(session, user, recipient_id))


@router.put(
    "/{recipient_id}",
    operation_id="replace_recipient",
    summary="Replace a care recipient's details",
    responses=OBJECT_ERRORS,
)
async def replace_recipient(
    recipient_id: uuid.UUID, data: RecipientIn, user: CurrentUser, session: SessionDep
) -> RecipientOut:
    return RecipientOut.model_validate(await service.replace(session, user, recipient_id, data))


@router.delete(
    "/{recipient_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_recipient",
    summary="Remove a care recipient (no active bookings)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def delete_recipient(
    recipient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    await service.delete(session, user, recipient_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
