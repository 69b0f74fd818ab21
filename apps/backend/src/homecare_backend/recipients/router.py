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
from homecare_backend.recipients.schemas import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    RecipientIn,
    RecipientOut,
)
from homecare_shared.openapi import problem_responses

router = APIRouter(prefix="/v1/recipients", tags=["care recipients"], dependencies=[STRICT_QUERY])
# Sharing has its own tag: the schemathesis stateful phase leaves it out (see test_api_schema).
sharing_router = APIRouter(
    prefix="/v1/recipients", tags=["family sharing"], dependencies=[STRICT_QUERY]
)
invitations_router = APIRouter(
    prefix="/v1/invitations", tags=["family sharing"], dependencies=[STRICT_QUERY]
)
_LINK = links_by_id(
    "recipient_id",
    GetRecipient="get_recipient",
    ReplaceRecipient="replace_recipient",
    DeleteRecipient="delete_recipient",
)
_INVITATION_LINK = links_by_id(
    "invitation_id", AcceptInvitation="accept_invitation", DeclineInvitation="decline_invitation"
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


@sharing_router.get(
    "/{recipient_id}/members",
    operation_id="list_members",
    summary="Family accounts sharing the recipient (the first owner first)",
    responses=OBJECT_ERRORS,
)
async def list_members(
    recipient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[MemberOut]:
    return await service.members(session, user, recipient_id)


@sharing_router.delete(
    "/{recipient_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="remove_member",
    summary="Stop sharing with a member (owners), or leave (the member)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def remove_member(
    recipient_id: uuid.UUID, member_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    await service.remove_member(session, user, recipient_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@sharing_router.post(
    "/{recipient_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    operation_id="invite_member",
    summary="Invite a family account by e-mail to share the recipient (owners)",
    responses={201: {"links": _INVITATION_LINK}, **OBJECT_ERRORS, **problem_responses(409)},
)
async def invite_member(
    recipient_id: uuid.UUID, data: InvitationIn, user: FamilyUser, session: SessionDep
) -> InvitationOut:
    return InvitationOut.model_validate(await service.invite(session, user, recipient_id, data))


@sharing_router.get(
    "/{recipient_id}/invitations",
    operation_id="list_invitations",
    summary="The recipient's open invitations (owners)",
    responses=OBJECT_ERRORS,
)
async def list_invitations(
    recipient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[InvitationOut]:
    rows = await service.list_invitations(session, user, recipient_id)
    return [InvitationOut.model_validate(r) for r in rows]


@sharing_router.delete(
    "/{recipient_id}/invitations/{invitation_id}",
    operation_id="revoke_invitation",
    summary="Withdraw an open invitation (owners)",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def revoke_invitation(
    recipient_id: uuid.UUID, invitation_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> InvitationOut:
    return InvitationOut.model_validate(
        await service.revoke_invitation(session, user, recipient_id, invitation_id)
    )


@invitations_router.get(
    "",
    operation_id="list_my_invitations",
    summary="Open invitations addressed to your e-mail address",
    responses=problem_responses(401),
)
async def list_my_invitations(user: CurrentUser, session: SessionDep) -> list[InvitationOut]:
    return [InvitationOut.model_validate(r) for r in await service.my_invitations(session, user)]


@invitations_router.post(
    "/{invitation_id}/accept",
    operation_id="accept_invitation",
    summary="Accept an invitation: you now share the recipient with its role",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def accept_invitation(
    invitation_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> InvitationOut:
    return InvitationOut.model_validate(
        await service.respond(session, user, invitation_id, accept=True)
    )


@invitations_router.post(
    "/{invitation_id}/decline",
    operation_id="decline_invitation",
    summary="Decline an invitation",
    responses={**OBJECT_ERRORS, **problem_responses(409)},
)
async def decline_invitation(
    invitation_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> InvitationOut:
    return InvitationOut.model_validate(
        await service.respond(session, user, invitation_id, accept=False)
    )
