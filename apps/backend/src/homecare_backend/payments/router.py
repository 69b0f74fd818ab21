from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse

from homecare_backend import idempotency
from homecare_backend.api import OBJECT_ERRORS, STRICT_QUERY, links_by_id
from homecare_backend.auth.deps import CurrentUser, FamilyUser
from homecare_backend.billing import service as billing_service
from homecare_backend.bookings import service as bookings_service
from homecare_backend.config import Settings
from homecare_backend.db import SessionDep
from homecare_backend.idempotency import IdempotencyHeader
from homecare_backend.payments import service
from homecare_backend.payments.provider import PaymentProvider
from homecare_backend.payments.schemas import (
    ConfirmIn,
    PaymentOut,
    PaymentsConfigOut,
    WebhookIn,
    WebhookOut,
)
from homecare_backend.users.models import User
from homecare_shared.openapi import problem_responses

router = APIRouter(tags=["payments"], dependencies=[STRICT_QUERY])
# Toss's orderId: 6-64 characters of letters, digits, `-`, `_` and `=` (ours: `hc-<booking hex>`).
OrderIdPath = Annotated[
    str,
    Path(
        min_length=6,
        max_length=64,
        pattern=r"^[A-Za-z0-9_\-=]+$",
        description="The payment's order_id, as Toss's success redirect returns it",
        examples=["hc-3f0c2a9e8d7b4c1a9e6f5d4c3b2a1f0e"],
    ),
]
_LINKS = links_by_id("payment_id", GetPayment="get_payment", ConfirmPayment="confirm_payment")


def _provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.payment_provider
    return provider


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _json(payment: Any) -> Any:
    return PaymentOut.model_validate(payment).model_dump(mode="json")


@router.post(
    "/v1/bookings/{booking_id}/payment",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_payment",
    summary="The family's payment for a booking, amount computed by the server",
    response_model=PaymentOut,
    responses={
        200: {"model": PaymentOut, "description": "The booking's existing payment"},
        201: {"links": _LINKS},
        **OBJECT_ERRORS,
        **problem_responses(409),
    },
)
async def create_payment(
    booking_id: uuid.UUID, request: Request, user: FamilyUser, session: SessionDep
) -> JSONResponse:
    booking = await bookings_service.get_owned(session, user, booking_id)
    quote = await billing_service.quote(session, booking)
    payment, created = await service.create(
        session,
        booking,
        quote.family_krw,
        _provider(request).name,
        table_year=quote.pricing.table.year,
        provisional=quote.pricing.provisional,
    )
    return JSONResponse(_json(payment), status_code=201 if created else 200)


@router.get(
    "/v1/payments/{payment_id}",
    operation_id="get_payment",
    summary="One payment",
    responses=OBJECT_ERRORS,
)
async def get_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PaymentOut:
    return PaymentOut.model_validate(await service.get_visible(session, user, payment_id))


async def _confirm(
    request: Request,
    session: SessionDep,
    user: User,
    data: ConfirmIn,
    idempotency_key: str | None,
    scope: str,
    payment: Callable[[], Awaitable[uuid.UUID]],
) -> JSONResponse:
    """Both confirm routes: find the payment, confirm it at the provider, under one
    Idempotency-Key scope (the route as called)."""
    provider = _provider(request)

    async def action() -> tuple[int, Any]:
        confirmed = await service.confirm(
            session, provider, user, await payment(), data.payment_key, data.amount_krw
        )
        return 200, _json(confirmed)

    code, body = await idempotency.run(
        session, user.id, idempotency_key, scope, data.model_dump(mode="json"), action
    )
    return JSONResponse(body, status_code=code)


@router.post(
    "/v1/payments/{payment_id}/confirm",
    operation_id="confirm_payment",
    summary="Confirm (charge) a payment approved at the provider; send an Idempotency-Key",
    response_model=PaymentOut,
    responses={
        **OBJECT_ERRORS,
        **problem_responses(402, 409, 422, 503),
    },
)
async def confirm_payment(
    payment_id: uuid.UUID,
    data: ConfirmIn,
    request: Request,
    user: FamilyUser,
    session: SessionDep,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    async def payment() -> uuid.UUID:
        return payment_id

    return await _confirm(
        request, session, user, data, idempotency_key, f"POST /v1/payments/{payment_id}/confirm",
        payment,
    )  # fmt: skip


@router.post(
    "/v1/payments/by-order/{order_id}/confirm",
    operation_id="confirm_payment_by_order",
    summary="Confirm the payment of an order with what Toss's success redirect returned "
    "(orderId in the path; paymentKey, amount in the body); send an Idempotency-Key",
    response_model=PaymentOut,
    responses={
        **OBJECT_ERRORS,
        **problem_responses(402, 409, 422, 503),
    },
)
async def confirm_payment_by_order(
    order_id: OrderIdPath,
    data: ConfirmIn,
    request: Request,
    user: FamilyUser,
    session: SessionDep,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    async def payment() -> uuid.UUID:
        return await service.id_for_order(session, user, order_id)

    return await _confirm(
        request, session, user, data, idempotency_key,
        f"POST /v1/payments/by-order/{order_id}/confirm", payment,
    )  # fmt: skip


@router.get(
    "/v1/payment-config",
    operation_id="get_payment_config",
    summary="The payment provider and Toss's public client key, to open the payment window",
    responses=problem_responses(401),
)
async def get_payment_config(request: Request, user: CurrentUser) -> PaymentsConfigOut:
    settings = _settings(request)
    provider = settings.payment_provider_name
    client_key = settings.toss_client_key or None
    return PaymentsConfigOut(
        provider=provider,
        toss_client_key=client_key if provider == "toss" else None,
        customer_key=service.customer_key(user),
    )


@router.post(
    "/v1/payments/webhooks/toss",
    operation_id="toss_webhook",
    summary="Toss PAYMENT_STATUS_CHANGED (verified by re-fetching the payment; replay-safe)",
    responses=problem_responses(422, 503),
)
async def toss_webhook(data: WebhookIn, request: Request, session: SessionDep) -> WebhookOut:
    payment_key = data.data.get("paymentKey")
    order_id = data.data.get("orderId")
    if not isinstance(payment_key, str) or not isinstance(order_id, str):
        return WebhookOut(received=False)
    if not (0 < len(payment_key) <= 200 and 0 < len(order_id) <= 64):
        return WebhookOut(received=False)
    applied = await service.handle_webhook(session, _provider(request), payment_key, order_id)
    return WebhookOut(received=applied)
