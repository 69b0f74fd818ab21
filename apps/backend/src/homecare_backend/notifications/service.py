"""The in-app feed and push targets of one user (each user sees and changes only their own)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.config import Settings
from homecare_backend.notifications.hub import Frame, feed_event, render_frame
from homecare_backend.notifications.models import DeviceToken, Notification, StreamTicket
from homecare_backend.notifications.schemas import DeviceIn
from homecare_backend.notifications.webpush import load_vapid_key, public_key_b64
from homecare_backend.users.models import User
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


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest()


async def issue_ticket(session: AsyncSession, user: User, ttl_s: int) -> tuple[str, datetime]:
    """A fresh stream ticket for `user` (only its hash is kept); expired ones are swept here."""
    ticket = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_s)
    await session.execute(delete(StreamTicket).where(StreamTicket.expires_at < func.now()))
    session.add(
        StreamTicket(
            ticket_hash=_ticket_hash(ticket),
            user_id=user.id,
            token_version=user.token_version,
            expires_at=expires_at,
        )
    )
    await session.commit()
    return ticket, expires_at


async def redeem_ticket(session: AsyncSession, ticket: str) -> tuple[uuid.UUID, int] | None:
    """Consume a ticket: (user id, token version) once, while unexpired; None otherwise.

    The DELETE makes it single-use even when two connects race with the same ticket."""
    row = (
        await session.execute(
            delete(StreamTicket)
            .where(StreamTicket.ticket_hash == _ticket_hash(ticket))
            .returning(StreamTicket.user_id, StreamTicket.token_version, StreamTicket.expires_at)
        )
    ).one_or_none()
    await session.commit()
    if row is None or row.expires_at <= datetime.now(UTC):
        return None
    return row.user_id, row.token_version


def vapid_public_key(settings: Settings) -> str | None:
    """The application server key browsers subscribe with; None when Web Push is off."""
    if not settings.webpush_enabled:
        return None
    return _public_key(settings.vapid_private_key.get_secret_value())


@lru_cache(maxsize=4)
def _public_key(private_key: str) -> str:
    return public_key_b64(load_vapid_key(private_key))
