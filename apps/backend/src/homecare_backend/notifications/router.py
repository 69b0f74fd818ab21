from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.api import AUTH_ERRORS, OBJECT_ERRORS, STRICT_QUERY
from homecare_backend.auth.deps import CurrentUser, authenticate, bearer_scheme
from homecare_backend.db import SessionDep
from homecare_backend.notifications.hub import EventHub, Frame, feed_event, render_frame
from homecare_backend.notifications.models import DeviceToken, Notification
from homecare_backend.notifications.schemas import (
    DeviceIn,
    DeviceOut,
    NotificationOut,
    NotificationPage,
)
from homecare_shared.errors import ProblemError
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["notifications"], dependencies=[STRICT_QUERY])
KEEPALIVE_S = 15.0
REPLAY_LIMIT = 1000


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
    stmt = select(Notification).where(Notification.user_id == user.id)
    if cursor is not None:
        stmt = stmt.where(Notification.id < cursor)
    rows = list(
        (await session.execute(stmt.order_by(Notification.id.desc()).limit(limit + 1))).scalars()
    )
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return NotificationPage(
        items=[NotificationOut.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor
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
    found = (
        await session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user.id)
            .values(read_at=func.coalesce(Notification.read_at, func.now()))
            .returning(Notification)
        )
    ).scalar_one_or_none()
    if found is None:
        raise ProblemError(
            404,
            "notification_not_found",
            "Notification not found",
            f"You have no notification {notification_id}.",
        )
    await session.commit()
    return NotificationOut.model_validate(found)


@router.post(
    "/devices",
    status_code=status.HTTP_201_CREATED,
    operation_id="register_device",
    summary="Register a push target (FCM token or Web Push subscription) for your account",
    responses={**AUTH_ERRORS, **problem_responses(409)},
)
async def register_device(data: DeviceIn, user: CurrentUser, session: SessionDep) -> DeviceOut:
    if data.platform == "webpush" and (
        not data.token.startswith("https://") or not data.p256dh or not data.auth
    ):
        raise ProblemError(
            409,
            "incomplete_subscription",
            "Web Push subscription incomplete",
            "Send the subscription's https endpoint as `token` plus `p256dh` and `auth` keys.",
        )
    stmt = (
        insert(DeviceToken)
        .values(
            id=uuid.uuid4(),
            user_id=user.id,
            platform=data.platform,
            token=data.token,
            p256dh=data.p256dh,
            auth=data.auth,
        )
        .on_conflict_do_update(
            index_elements=["token"],
            set_={
                "user_id": user.id,
                "platform": data.platform,
                "p256dh": data.p256dh,
                "auth": data.auth,
            },
        )
        .returning(DeviceToken)
    )
    device = (await session.execute(stmt)).scalar_one()
    await session.commit()
    return DeviceOut.model_validate(device)


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_device",
    summary="Stop pushing to one of your devices",
    responses=OBJECT_ERRORS,
)
async def delete_device(device_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    device = await session.get(DeviceToken, device_id)
    if device is None or device.user_id != user.id:
        raise ProblemError(
            404, "device_not_found", "Device not found", f"You have no device {device_id}."
        )
    await session.delete(device)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _replay(session: AsyncSession, user_id: uuid.UUID, after: int) -> list[Frame]:
    rows = (
        await session.execute(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.id > after)
            .order_by(Notification.id)
            .limit(REPLAY_LIMIT)
        )
    ).scalars()
    return [
        render_frame(
            feed_event(
                {
                    "id": r.id,
                    "user_id": r.user_id,
                    "kind": r.kind,
                    "payload": r.payload,
                    "created_at": r.created_at,
                }
            )
        )
        for r in rows
    ]


def _last_event_id(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.strip().isdigit() else None


@router.get(
    "/events",
    operation_id="stream_events",
    summary="Server-Sent Events: your notifications live (send Last-Event-ID to replay)",
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
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    access_token: Annotated[
        str | None,
        Query(max_length=2000, description="For EventSource clients that cannot send headers"),
    ] = None,
) -> StreamingResponse:
    user = await authenticate(request, credentials.credentials if credentials else access_token)
    hub: EventHub = request.app.state.hub
    subscriber = await hub.subscribe(user.id)  # before the replay query: nothing falls between
    try:
        after = _last_event_id(last_event_id)
        backlog: list[Frame] = []
        if after is not None:
            async with request.app.state.sessions() as session:
                backlog = await _replay(session, user.id, after)
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
