"""The in-app feed and push targets of one user (each user sees and changes only their own)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.notifications.hub import Frame, feed_event, render_frame
from homecare_backend.notifications.models import DeviceToken, Notification
from homecare_backend.notifications.schemas import DeviceIn
from homecare_shared.errors import ProblemError

REPLAY_LIMIT = 1000


async def feed_page(
    session: AsyncSession, *, user_id: uuid.UUID, cursor: int | None, limit: int
) -> tuple[list[Notification], int | None]:
    """Newest first; the cursor is the id of the last entry of the previous page."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if cursor is not None:
        stmt = stmt.where(Notification.id < cursor)
    rows = list(
        (await session.execute(stmt.order_by(Notification.id.desc()).limit(limit + 1))).scalars()
    )
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


async def mark_read(
    session: AsyncSession, *, user_id: uuid.UUID, notification_id: int
) -> Notification:
    """Marks it read once (the first read time stays); 404 when it is not the user's."""
    found = (
        await session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
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
    return found


async def register_device(
    session: AsyncSession, *, user_id: uuid.UUID, data: DeviceIn
) -> DeviceToken:
    """Upsert by token: a device that changes hands (sign-in as someone else) moves with it."""
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
            user_id=user_id,
            platform=data.platform,
            token=data.token,
            p256dh=data.p256dh,
            auth=data.auth,
        )
        .on_conflict_do_update(
            index_elements=["token"],
            set_={
                "user_id": user_id,
                "platform": data.platform,
                "p256dh": data.p256dh,
                "auth": data.auth,
            },
        )
        .returning(DeviceToken)
    )
    device = (await session.execute(stmt)).scalar_one()
    await session.commit()
    return device


async def delete_device(session: AsyncSession, *, user_id: uuid.UUID, device_id: uuid.UUID) -> None:
    device = await session.get(DeviceToken, device_id)
    if device is None or device.user_id != user_id:
        raise ProblemError(
            404, "device_not_found", "Device not found", f"You have no device {device_id}."
        )
    await session.delete(device)
    await session.commit()


async def replay(session: AsyncSession, *, user_id: uuid.UUID, after: int) -> list[Frame]:
    """SSE frames of the feed entries after `after` (a `Last-Event-ID`), oldest first."""
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
