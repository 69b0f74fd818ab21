"""Care recipients: a family manages its own, shares them with further family accounts
(`owner` members manage too, `viewer` members only see); platform admins may read all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from homecare_backend.api import page_by_id
from homecare_backend.bookings.models import ACTIVE_STATUSES, Booking
from homecare_backend.notifications import outbox
from homecare_backend.payments.models import Payment, PaymentStatus
from homecare_backend.recipients.models import CareRecipient, RecipientInvitation, RecipientMember
from homecare_backend.recipients.schemas import InvitationIn, MemberOut, RecipientIn
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError


def not_found(recipient_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "recipient_not_found",
        "Care recipient not found",
        f"No care recipient {recipient_id} among those you manage.",
    )


def shared_with(user_id: uuid.UUID, *, owners_only: bool = False) -> Select[uuid.UUID]:
    """Ids of the recipients `user_id` shares (as first owner or member; owners only: those it
    may manage) — a subquery for other domains' visibility rules."""
    members = select(RecipientMember.recipient_id).where(RecipientMember.user_id == user_id)
    if owners_only:
        members = members.where(RecipientMember.role == "owner")
    return select(CareRecipient.id).where(
        or_(CareRecipient.family_id == user_id, CareRecipient.id.in_(members))
    )


async def member_user_ids(session: AsyncSession, recipient_id: uuid.UUID) -> list[uuid.UUID]:
    """Every family account sharing the recipient: the first owner, then members by joining
    (one query: this runs for every booking event)."""
    rows = (
        await session.execute(
            select(CareRecipient.family_id, RecipientMember.user_id)
            .outerjoin(RecipientMember, RecipientMember.recipient_id == CareRecipient.id)
            .where(CareRecipient.id == recipient_id)
            .order_by(RecipientMember.created_at, RecipientMember.user_id)
        )
    ).all()
    if not rows:
        return []
    return [rows[0][0], *(member for _, member in rows if member is not None)]


async def member_role(
    session: AsyncSession, recipient: CareRecipient, user_id: uuid.UUID
) -> str | None:
    """`owner`, `viewer`, or None when `user_id` does not share the recipient."""
    if recipient.family_id == user_id:
        return "owner"
    role: str | None = await session.scalar(
        select(RecipientMember.role).where(
            RecipientMember.recipient_id == recipient.id, RecipientMember.user_id == user_id
        )
    )
    return role


async def is_owner(session: AsyncSession, recipient_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    owned = await session.scalar(
        shared_with(user_id, owners_only=True).where(CareRecipient.id == recipient_id)
    )
    return owned is not None


def not_owner() -> ProblemError:
    return ProblemError(
        403,
        "not_owner",
        "Only the recipient's owners can do this",
        "Viewers see visits and care logs; booking, paying and managing is for owners.",
    )


def visible_to(user: User) -> Select[CareRecipient]:
    stmt = select(CareRecipient)
    if user.role == Role.PLATFORM_ADMIN:
        return stmt
    if user.role == Role.FAMILY:
        return stmt.where(CareRecipient.id.in_(shared_with(user.id)))
    raise ProblemError(
        403,
        "forbidden_role",
        "Not allowed for your role",
        "Care recipients are managed by family accounts.",
    )


async def get_visible(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> CareRecipient:
    if user.role not in (Role.FAMILY, Role.PLATFORM_ADMIN):
        raise not_found(recipient_id)
    found = (
        await session.execute(visible_to(user).where(CareRecipient.id == recipient_id))
    ).scalar_one_or_none()
    if found is None:
        raise not_found(recipient_id)
    return found


async def get_owned(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> CareRecipient:
    recipient = await get_visible(session, user, recipient_id)
    if user.role != Role.FAMILY or await member_role(session, recipient, user.id) != "owner":
        raise not_owner()
    return recipient


async def owned_members(
    session: AsyncSession, user: User, recipient_id: uuid.UUID
) -> list[uuid.UUID]:
    """`get_owned`'s checks (404 unless shared with `user`, 403 `not_owner` for a viewer) and
    `member_user_ids`'s answer, in one query of three columns: booking creation needs exactly
    this, and loading the recipient (two encrypted columns) then its members was two ORM
    statements on the API's busiest write."""
    if user.role != Role.FAMILY:
        await get_owned(session, user, recipient_id)  # raises: only families own recipients
    rows = (
        await session.execute(
            select(CareRecipient.family_id, RecipientMember.user_id, RecipientMember.role)
            .outerjoin(RecipientMember, RecipientMember.recipient_id == CareRecipient.id)
            .where(CareRecipient.id == recipient_id)
            .order_by(RecipientMember.created_at, RecipientMember.user_id)
        )
    ).all()
    if not rows:
        raise not_found(recipient_id)
    first_owner = rows[0][0]
    roles = {member: role for _, member, role in rows if member is not None}
    if user.id != first_owner and user.id not in roles:
        raise not_found(recipient_id)
    if user.id != first_owner and roles[user.id] != "owner":
        raise not_owner()
    return [first_owner, *(member for _, member, _ in rows if member is not None)]


def _values(data: RecipientIn) -> dict[str, object]:
    values = data.model_dump()
    values["conditions"] = sorted(set(values["conditions"]))
    values["preferred_languages"] = sorted(set(values["preferred_languages"]))
    return values


async def create(session: AsyncSession, user: User, data: RecipientIn) -> CareRecipient:
    recipient = CareRecipient(family_id=user.id, **_values(data))
    session.add(recipient)
    await session.commit()
    await session.refresh(recipient)
    return recipient


async def replace(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, data: RecipientIn
) -> CareRecipient:
    recipient = await get_owned(session, user, recipient_id)
    for key, value in _values(data).items():
        setattr(recipient, key, value)
    await session.commit()
    await session.refresh(recipient)
    return recipient


async def delete(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> None:
    recipient = await get_owned(session, user, recipient_id)
    active = await session.scalar(
        select(Booking.id)
        .where(Booking.recipient_id == recipient.id, Booking.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
    if active is not None:
        raise ProblemError(
            409,
            "recipient_has_active_bookings",
            "Care recipient has active bookings",
            "Cancel or complete the bookings first.",
        )
    # Payments never charged go with the recipient; charged ones are kept (refused below).
    bookings_of = select(Booking.id).where(Booking.recipient_id == recipient.id)
    await session.execute(
        sa_delete(Payment).where(
            Payment.booking_id.in_(bookings_of),
            Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.FAILED)),
        )
    )
    charged = await session.scalar(
        select(Payment.id).where(Payment.booking_id.in_(bookings_of)).limit(1)
    )
    if charged is not None:
        await session.rollback()
        raise ProblemError(
            409,
            "recipient_has_payments",
            "Care recipient has payment records",
            "Payments are kept for accounting; the recipient cannot be deleted.",
        )
    await session.delete(recipient)
    await session.commit()


async def list_visible(
    session: AsyncSession, user: User, *, cursor: uuid.UUID | None, limit: int
) -> tuple[list[CareRecipient], str | None]:
    """One page of what `user` may see, oldest first."""
    return await page_by_id(session, visible_to(user), CareRecipient.id, cursor, limit)


# ------------------------------------------------------------------ sharing


def _invitation_not_found(invitation_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "invitation_not_found",
        "Invitation not found",
        f"No invitation {invitation_id} addressed to you.",
    )


def _already_sharing(email: str) -> ProblemError:
    return ProblemError(
        409,
        "already_sharing",
        "Already sharing this recipient",
        f"{email} already shares this care recipient.",
    )


async def invite(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, data: InvitationIn
) -> RecipientInvitation:
    recipient = await get_owned(session, user, recipient_id)
    email = data.email.lower()
    invitee = await session.scalar(select(User).where(func.lower(User.email) == email))
    if invitee is not None:
        if await member_role(session, recipient, invitee.id) is not None:
            raise _already_sharing(email)
        if invitee.role != Role.FAMILY:
            raise ProblemError(
                409,
                "not_a_family_account",
                "Not a family account",
                f"{email} belongs to an account that cannot share care recipients.",
            )
    invitation = RecipientInvitation(
        recipient_id=recipient.id, email=email, role=data.role, invited_by=user.id
    )
    session.add(invitation)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise ProblemError(
            409,
            "invitation_pending",
            "An invitation is already open",
            f"{email} has an open invitation for this recipient.",
        ) from exc
    if invitee is not None:
        await outbox.notify_user(
            session,
            invitee.id,
            "recipient.invitation",
            {
                "invitation_id": str(invitation.id),
                "recipient_id": str(recipient.id),
                "recipient_name": recipient.name,
                "role": data.role,
                "invited_by": user.display_name,
            },
        )
    await session.commit()
    await session.refresh(invitation)
    return invitation


async def list_invitations(
    session: AsyncSession, user: User, recipient_id: uuid.UUID
) -> list[RecipientInvitation]:
    """The recipient's open invitations (owners)."""
    recipient = await get_owned(session, user, recipient_id)
    return list(
        (
            await session.scalars(
                select(RecipientInvitation)
                .where(
                    RecipientInvitation.recipient_id == recipient.id,
                    RecipientInvitation.status == "pending",
                )
                .order_by(RecipientInvitation.id)
            )
        ).all()
    )


async def revoke_invitation(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, invitation_id: uuid.UUID
) -> RecipientInvitation:
    recipient = await get_owned(session, user, recipient_id)
    invitation = await session.scalar(
        select(RecipientInvitation)
        .where(
            RecipientInvitation.id == invitation_id,
            RecipientInvitation.recipient_id == recipient.id,
        )
        .with_for_update()
    )
    if invitation is None:
        raise _invitation_not_found(invitation_id)
    _check_pending(invitation)
    invitation.status = "revoked"
    invitation.responded_at = datetime.now(UTC)
    await session.commit()
    await session.refresh(invitation)
    return invitation


async def my_invitations(session: AsyncSession, user: User) -> list[RecipientInvitation]:
    """Open invitations addressed to the user's e-mail address."""
    return list(
        (
            await session.scalars(
                select(RecipientInvitation)
                .where(
                    RecipientInvitation.email == user.email.lower(),
                    RecipientInvitation.status == "pending",
                )
                .order_by(RecipientInvitation.id)
            )
        ).all()
    )


def _check_pending(invitation: RecipientInvitation) -> None:
    if invitation.status != "pending":
        raise ProblemError(
            409,
            "invitation_not_pending",
            "Invitation already answered",
            f"This invitation is {invitation.status}.",
            current_status=invitation.status,
        )


async def respond(
    session: AsyncSession, user: User, invitation_id: uuid.UUID, *, accept: bool
) -> RecipientInvitation:
    invitation = await session.scalar(
        select(RecipientInvitation)
        .where(
            RecipientInvitation.id == invitation_id,
            RecipientInvitation.email == user.email.lower(),
        )
        .with_for_update()
    )
    if invitation is None or user.role != Role.FAMILY:
        raise _invitation_not_found(invitation_id)
    _check_pending(invitation)
    invitation.status = "accepted" if accept else "declined"
    invitation.responded_at = datetime.now(UTC)
    if accept:
        recipient = await session.get_one(CareRecipient, invitation.recipient_id)
        if await member_role(session, recipient, user.id) is not None:
            raise _already_sharing(user.email)
        session.add(
            RecipientMember(
                recipient_id=recipient.id,
                user_id=user.id,
                role=invitation.role,
                invited_by=invitation.invited_by,
            )
        )
    if invitation.invited_by is not None:
        await outbox.notify_user(
            session,
            invitation.invited_by,
            "recipient.invitation_answered",
            {
                "invitation_id": str(invitation.id),
                "recipient_id": str(invitation.recipient_id),
                "status": invitation.status,
                "by": user.display_name,
            },
        )
    await session.commit()
    await session.refresh(invitation)
    return invitation


async def members(session: AsyncSession, user: User, recipient_id: uuid.UUID) -> list[MemberOut]:
    recipient = await get_visible(session, user, recipient_id)
    first = await session.get_one(User, recipient.family_id)
    rows = (
        await session.execute(
            select(RecipientMember, User)
            .join(User, User.id == RecipientMember.user_id)
            .where(RecipientMember.recipient_id == recipient.id)
            .order_by(RecipientMember.created_at, RecipientMember.user_id)
        )
    ).all()
    return [
        MemberOut(
            user_id=first.id,
            email=first.email,
            display_name=first.display_name,
            role="owner",
            primary=True,
        ),
        *(
            MemberOut(
                user_id=u.id,
                email=u.email,
                display_name=u.display_name,
                role="owner" if m.role == "owner" else "viewer",
                primary=False,
            )
            for m, u in rows
        ),
    ]


async def remove_member(
    session: AsyncSession, user: User, recipient_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """An owner removes a member; a member may leave. The first owner stays."""
    recipient = await get_visible(session, user, recipient_id)
    if member_id != user.id and (
        user.role != Role.FAMILY or await member_role(session, recipient, user.id) != "owner"
    ):
        raise not_owner()
    if member_id == recipient.family_id:
        raise ProblemError(
            409,
            "primary_owner_stays",
            "The first owner cannot be removed",
            "The account that added the care recipient always shares it.",
        )
    removed = await session.execute(
        sa_delete(RecipientMember).where(
            RecipientMember.recipient_id == recipient.id, RecipientMember.user_id == member_id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise ProblemError(
            404, "member_not_found", "Not a member", f"{member_id} does not share this recipient."
        )
    await session.commit()
