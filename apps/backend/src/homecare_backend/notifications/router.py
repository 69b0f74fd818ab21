from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials

from homecare_backend.api import AUTH_ERRORS, OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import (
    CurrentUser,
    authenticate,
    bearer_scheme,
    stream_ticket_scheme,
    user_from_ticket,
)
from homecare_backend.db import SessionDep
from homecare_backend.notifications import service
from homecare_backend.notifications.hub import EventHub, Frame
from homecare_backend.notifications.schemas import (
    DeviceIn,
    DeviceOut,
    NotificationOut,
    NotificationPage,
    StreamTicketOut,
    VapidKeyOut,
)
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["notifications"], dependencies=[STRICT_QUERY])
KEEPALIVE_S = 15.0


@router.get(
    "/notifications",
    operation_id="list_notifications",
    summary="Your in-app notification feed, newest first",
    responses=AUTH_ERRORS,
)
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    cursor: Annotated[int | None, Query(ge=1, le=2**62, description="`next_cursor`")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> NotificationPage:
    rows, next_cursor = await service.feed_page(
        session, user_id=user.id, cursor=cursor, limit=limit
    )
    return NotificationPage(
        items=[NotificationOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/notifications/{notification_id}/read",
    operation_id="mark_notification_read",
    summary="Mark one of your notifications as read",
    responses=OBJECT_ERRORS,
)
async def mark_notification_read(
    notification_id: Annotated[int, Path(ge=1, le=2**62)],
    user: CurrentUser,
    session: SessionDep,
) -> NotificationOut:
    found = await service.mark_read(session, user_id=user.id, notification_id=notification_id)
    return NotificationOut.model_validate(found)


@router.post(
    "/devices",
    status_code=status.HTTP_201_CREATED,
    operation_id="register_device",
    summary="Register a push target (FCM token or Web Push subscription) for your account",
    responses={**AUTH_ERRORS, **problem_responses(409)},
)
async def register_device(data: DeviceIn, user: CurrentUser, session: SessionDep) -> DeviceOut:
    device = await service.register_device(session, user_id=user.id, data=data)
    return DeviceOut.model_validate(device)


@router.get(
    "/push/vapid-public-key",
    operation_id="get_vapid_public_key",
    summary="The VAPID public key to subscribe a browser to Web Push with",
    responses=AUTH_ERRORS,
)
async def get_vapid_public_key(request: Request, _user: CurrentUser) -> VapidKeyOut:
    key = service.vapid_public_key(request.app.state.settings)
    return VapidKeyOut(enabled=key is not None, public_key=key)


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_device",
    summary="Stop pushing to one of your devices",
    responses=OBJECT_ERRORS,
)
async def delete_device(device_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    await service.delete_device(session, user_id=user.id, device_id=device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _last_event_id(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.strip().isdigit() else None


@router.post(
    "/events/tickets",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_stream_ticket",
    summary="A single-use ticket (about 60 s) to open the event stream without a token in the URL",
    responses=AUTH_ERRORS,
)
async def create_stream_ticket(
    request: Request, user: CurrentUser, session: SessionDep
) -> StreamTicketOut:
    ttl_s: int = request.app.state.settings.stream_ticket_ttl_s
    ticket, expires_at = await service.issue_ticket(session, user, ttl_s)
    return StreamTicketOut(ticket=ticket, expires_at=expires_at, expires_in=ttl_s)


@router.get(
    "/events",
    operation_id="stream_events",
    summary="Server-Sent Events: your notifications live (send Last-Event-ID to replay)",
    description=(
        "Authenticate with `Authorization: Bearer <access token>` (fetch-based clients) or, "
        "for EventSource, with `?ticket=` from `POST /v1/events/tickets` (single use)."
    ),
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless `text/event-stream`; each event's `id` is its feed id",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **AUTH_ERRORS,
    },
)
async def stream_events(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ticket: Annotated[str | None, Depends(stream_ticket_scheme)],
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    if credentials is None and ticket:
        user = await user_from_ticket(request, ticket)
    else:
        user = await authenticate(request, credentials.credentials if credentials else None)
    hub: EventHub = request.app.state.hub
    subscriber = await hub.subscribe(user.id)  # before the replay query: nothing falls between
    try:
        after = _last_event_id(last_event_id)
        backlog: list[Frame] = []
        if after is not None:
            # A short session of its own: the stream outlives the request-scoped one.
            async with request.app.state.sessions() as session:
                backlog = await service.replay(session, user_id=user.id, after=after)
    except BaseException:
        hub.unsubscribe(subscriber)
        raise
    replayed_up_to = backlog[-1].id if backlog else (after or 0)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            for replayed in backlog:
                yield replayed.data
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE_S):  # no extra task per event
                        frame = await subscriber.queue.get()
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if frame is None:
                    return  # hub lost its connection or we fell behind: client reconnects
                if frame.id > replayed_up_to:
                    yield frame.data
        finally:
            hub.unsubscribe(subscriber)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
