from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from homecare_backend.api import AUTH_ERRORS, OBJECT_ERRORS, STRICT_QUERY, PageLimit, UuidCursor
from homecare_backend.auth.deps import CurrentUser
from homecare_backend.db import SessionDep
from homecare_backend.messages import service
from homecare_backend.messages.schemas import (
    MessageIn,
    MessageOut,
    MessagePage,
    ReadMarkerOut,
    ThreadOut,
    ThreadPage,
)

router = APIRouter(prefix="/v1", tags=["messages"], dependencies=[STRICT_QUERY])


@router.post(
    "/bookings/{booking_id}/messages",
    status_code=status.HTTP_201_CREATED,
    operation_id="send_booking_message",
    summary="Write to the booking's thread; delivered live to its other parties",
    responses=OBJECT_ERRORS,
)
async def send_booking_message(
    booking_id: uuid.UUID, data: MessageIn, user: CurrentUser, session: SessionDep
) -> MessageOut:
    return MessageOut.model_validate(await service.send(session, user, booking_id, data.body))


@router.get(
    "/bookings/{booking_id}/messages",
    operation_id="list_booking_messages",
    summary="The booking's thread, oldest first, with your unread count",
    responses=OBJECT_ERRORS,
)
async def list_booking_messages(
    booking_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    cursor: Annotated[int | None, Query(ge=0, le=2**62, description="`next_cursor`")] = None,
    limit: PageLimit = 50,
) -> MessagePage:
    rows, next_cursor, unread = await service.page(
        session, user, booking_id, cursor=cursor, limit=limit
    )
    return MessagePage(
        items=[MessageOut.model_validate(r) for r in rows],
        next_cursor=next_cursor,
        unread_count=unread,
    )


@router.post(
    "/bookings/{booking_id}/messages/read",
    operation_id="mark_booking_messages_read",
    summary="Mark the booking's thread read up to its latest message",
    responses=OBJECT_ERRORS,
)
async def mark_booking_messages_read(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ReadMarkerOut:
    marker = await service.mark_read(session, user, booking_id)
    unread = await service.unread(session, user, booking_id)
    return ReadMarkerOut(booking_id=booking_id, last_read_id=marker, unread_count=unread)


@router.get(
    "/message-threads",
    operation_id="list_message_threads",
    summary="Your booking threads that have messages, with unread counts",
    responses=AUTH_ERRORS,
)
async def list_message_threads(
    user: CurrentUser, session: SessionDep, cursor: UuidCursor = None, limit: PageLimit = 50
) -> ThreadPage:
    rows, next_cursor, total = await service.threads(session, user, cursor=cursor, limit=limit)
    return ThreadPage(
        items=[
            ThreadOut(booking_id=b, message_count=n, unread_count=u, last_message_at=t)
            for b, n, u, t in rows
        ],
        next_cursor=next_cursor,
        unread_total=total,
    )
