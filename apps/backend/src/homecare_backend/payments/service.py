"""Payments: the family's share of a booking, charged once, refunded by the cancellation policy.

- The amount is always the server's (billing split of the booking), never the client's: a
  confirm with another amount is refused (409 `amount_mismatch`).
- Confirm is two-phase: the payment is marked `confirming` (committed) before the provider is
  called, so a timeout or a crash leaves a record to reconcile. The provider's Idempotency-Key
  is `confirm-<payment id>-<attempt>`: a retry of an unanswered call is the same provider
  request (one charge); only a definitive refusal bumps the attempt.
- Reconciliation (on the next confirm, from the webhook, and in the worker) fetches the payment
  from the provider and applies what it says.
- Refunds are recorded as due (committed with the cancellation) and then sent with the key
  `refund-<payment id>-<n>`; a failed send stays due and the worker retries it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.payments.models import Payment, PaymentStatus
from homecare_backend.payments.provider import (
    PaymentProvider,
    ProviderError,
    ProviderPayment,
    ProviderStatus,
    ProviderUnavailableError,
)
from homecare_backend.recipients import service as recipients_service
from homecare_backend.users.models import Role, User
from homecare_shared.errors import ProblemError
from homecare_shared.logging import get_logger

log = get_logger("homecare.payments")
PAYABLE = (BookingStatus.REQUESTED, BookingStatus.OFFERED, BookingStatus.CONFIRMED)
RECONCILE_AFTER = timedelta(seconds=30)


def not_found(payment_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404, "payment_not_found", "Payment not found", f"No payment {payment_id} that you can see."
    )


def visible_to(user: User) -> Select[Payment]:
    stmt = select(Payment)
    if user.role == Role.PLATFORM_ADMIN:
        return stmt
    if user.role == Role.FAMILY:
        # Owners pay; viewers sharing the recipient see no payments.
        owned = recipients_service.shared_with(user.id, owners_only=True)
        mine = select(Booking.id).where(Booking.recipient_id.in_(owned))
        return stmt.where(Payment.booking_id.in_(mine))
    return stmt.where(Payment.id.is_(None))  # caregivers and agencies see no payments


async def get_visible(
    session: AsyncSession, user: User, payment_id: uuid.UUID, *, lock: bool = False
) -> Payment:
    stmt = visible_to(user).where(Payment.id == payment_id)
    found = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(payment_id)
    return found


async def id_for_order(session: AsyncSession, user: User, order_id: str) -> uuid.UUID:
    """The payment of an order the user can see (Toss's redirect names the order, not our id)."""
    stmt = visible_to(user).where(Payment.order_id == order_id)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise ProblemError(
            404,
            "payment_not_found",
            "Payment not found",
            f"No payment for order {order_id} that you can see.",
        )
    payment_id: uuid.UUID = found.id
    return payment_id


def customer_key(user: User) -> str:
    """Toss's customerKey for an account: stable, not guessable, no personal data."""
    return f"hc-{user.id.hex}"


async def for_booking(
    session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False
) -> Payment | None:
    stmt = select(Payment).where(Payment.booking_id == booking_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()


async def create(
    session: AsyncSession,
    booking: Booking,
    amount_krw: int,
    provider: str,
    *,
    table_year: int | None = None,
    provisional: bool = False,
) -> tuple[Payment, bool]:
    """The booking's payment (created if missing); `True` when it was created now. The amount
    is fixed here: what the family agrees to, also when it was priced provisionally."""
    if booking.status not in PAYABLE:
        raise _not_payable(booking)
    if amount_krw <= 0:
        raise ProblemError(
            409,
            "nothing_to_pay",
            "Nothing to pay for this booking",
            "The family's share of this booking is 0 KRW (fully covered by NHIS).",
        )
    existing = await for_booking(session, booking.id)
    if existing is not None:
        return existing, False
    payment = Payment(
        booking_id=booking.id,
        order_id=f"hc-{booking.id.hex}",
        provider=provider,
        amount_krw=amount_krw,
        table_year=table_year,
        priced_provisionally=provisional,
        status=PaymentStatus.PENDING,
    )
    session.add(payment)
    await session.commit()
    await session.refresh(payment)
    return payment, True


def _not_payable(booking: Booking) -> ProblemError:
    return ProblemError(
        409,
        "booking_not_payable",
        "This booking cannot be paid",
        f"The booking is {booking.status.value}; only requested, offered or confirmed bookings "
        "are paid.",
        current_status=booking.status.value,
    )


def apply_provider_state(payment: Payment, fetched: ProviderPayment) -> bool:
    """Bring our record in line with the provider's; False if the provider's does not match."""
    if fetched.order_id != payment.order_id or fetched.total_amount != payment.amount_krw:
        log.error(
            "payments.provider_mismatch",
            payment_id=str(payment.id),
            provider_order=fetched.order_id,
            provider_amount=fetched.total_amount,
        )
        return False
    payment.provider_status = fetched.status.value
    payment.payment_key = fetched.payment_key
    match fetched.status:
        case ProviderStatus.DONE:
            if payment.status in (PaymentStatus.PENDING, PaymentStatus.CONFIRMING):
                payment.status = PaymentStatus.PAID
            payment.approved_at = fetched.approved_at or payment.approved_at
        case ProviderStatus.PARTIAL_CANCELED | ProviderStatus.CANCELED:
            refunded = fetched.total_amount - fetched.balance_amount
            payment.refunded_krw = max(payment.refunded_krw, refunded)
            payment.status = (
                PaymentStatus.REFUNDED
                if fetched.balance_amount == 0
                else PaymentStatus.PARTIALLY_REFUNDED
            )
            payment.approved_at = fetched.approved_at or payment.approved_at
        case ProviderStatus.ABORTED | ProviderStatus.EXPIRED:
            if payment.status in (PaymentStatus.PENDING, PaymentStatus.CONFIRMING):
                payment.status = PaymentStatus.FAILED
                payment.failure_code = fetched.status.value
        case _:
            pass  # READY / IN_PROGRESS / WAITING_FOR_DEPOSIT: not charged (yet)
    return True


async def _reconcile(provider: PaymentProvider, payment: Payment) -> bool:
    """Ask the provider about a payment whose confirm went unanswered; True if it is charged."""
    if payment.payment_key is None:
        return False
    try:
        fetched = await provider.get(payment.payment_key)
    except (ProviderUnavailableError, ProviderError) as exc:
        log.warning("payments.reconcile_unanswered", payment_id=str(payment.id), error=str(exc))
        return False
    if fetched is None:
        return False
    return apply_provider_state(payment, fetched) and fetched.charged


def _key(payment: Payment) -> str:
    return f"confirm-{payment.id}-{payment.attempt}"


async def confirm(
    session: AsyncSession,
    provider: PaymentProvider,
    user: User,
    payment_id: uuid.UUID,
    payment_key: str,
    amount_krw: int,
) -> Payment:
    payment = await get_visible(session, user, payment_id, lock=True)
    if user.role != Role.FAMILY:
        raise ProblemError(403, "not_owner", "Only the family pays", "Ask the family account.")
    booking = await session.get_one(Booking, payment.booking_id)
    if payment.status in (
        PaymentStatus.PAID,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        raise ProblemError(
            409,
            "payment_already_confirmed",
            "This payment is already confirmed",
            "It was charged once; nothing more is charged.",
            current_status=payment.status.value,
        )
    if amount_krw != payment.amount_krw:
        raise ProblemError(
            409,
            "amount_mismatch",
            "The amount does not match",
            f"This booking's share is {payment.amount_krw} KRW (computed by the server).",
            expected_amount_krw=payment.amount_krw,
        )
    if booking.status not in PAYABLE:
        raise _not_payable(booking)
    if payment.status == PaymentStatus.CONFIRMING and payment.payment_key not in (
        None,
        payment_key,
    ):
        raise ProblemError(
            409,
            "payment_in_progress",
            "Another confirmation of this payment is being settled",
            "Retry in a few seconds to see its outcome.",
            headers={"Retry-After": "5"},
        )
    retrying = payment.status == PaymentStatus.CONFIRMING and payment.payment_key == payment_key
    # A retry after an unanswered confirm: the provider may have charged already.
    if retrying and await _reconcile(provider, payment):
        await session.commit()
        return payment
    if payment.status == PaymentStatus.FAILED:
        payment.attempt += 1
        payment.failure_code = None
    payment.payment_key = payment_key
    payment.status = PaymentStatus.CONFIRMING
    try:
        await session.commit()  # from here on a timeout or crash leaves a record to reconcile
    except IntegrityError as exc:
        await session.rollback()
        raise ProblemError(
            409,
            "payment_key_used",
            "This payment key belongs to another payment",
            "Confirm with the payment key the provider returned for this order.",
        ) from exc
    return await _send_confirm(session, provider, payment)


async def _send_confirm(
    session: AsyncSession, provider: PaymentProvider, payment: Payment
) -> Payment:
    assert payment.payment_key is not None  # noqa: S101 - set by confirm() before this
    try:
        fetched = await provider.confirm(
            payment.payment_key, payment.order_id, payment.amount_krw, _key(payment)
        )
    except ProviderUnavailableError as exc:
        log.warning("payments.outcome_unknown", payment_id=str(payment.id), error=str(exc))
        raise ProblemError(
            503,
            "payment_outcome_unknown",
            "The payment provider did not answer",
            "Nothing is charged twice: retry (same Idempotency-Key) to see the outcome.",
            headers={"Retry-After": "5"},
        ) from exc
    except ProviderError as exc:
        return await _after_refusal(session, provider, payment, exc)
    await session.refresh(payment, with_for_update=True)
    apply_provider_state(payment, fetched)
    await session.commit()
    return payment


async def _after_refusal(
    session: AsyncSession, provider: PaymentProvider, payment: Payment, exc: ProviderError
) -> Payment:
    # ALREADY_PROCESSED_PAYMENT and PROVIDER_ERROR may hide a charge made by an earlier call
    # whose answer we lost: ask the provider before calling it a failure.
    await session.refresh(payment, with_for_update=True)
    if await _reconcile(provider, payment):
        await session.commit()
        return payment
    if exc.temporary:
        payment.status = PaymentStatus.PENDING
        payment.attempt += 1
        await session.commit()
        raise ProblemError(
            503,
            "payment_provider_unavailable",
            "The payment provider is temporarily unavailable",
            "Nothing was charged; try again in a moment.",
            headers={"Retry-After": "5"},
        ) from exc
    payment.status = PaymentStatus.FAILED
    payment.failure_code = exc.code
    await session.commit()
    raise ProblemError(
        402,
        "payment_declined",
        "The payment was declined",
        f"The provider refused it ({exc.code}); approve a new payment and confirm again.",
        provider_code=exc.code,
    ) from exc


async def retry_unanswered(
    session: AsyncSession, provider: PaymentProvider, payment_id: uuid.UUID
) -> Payment:
    """A confirm whose outcome is unknown: read the provider, else resend the same request."""
    payment = (
        await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    ).scalar_one()
    if payment.status != PaymentStatus.CONFIRMING:
        await session.rollback()
        return payment
    if await _reconcile(provider, payment):
        await session.commit()
        return payment
    await session.commit()
    return await _send_confirm(session, provider, payment)


async def reconcile_stale(
    sessions: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    older_than: timedelta = RECONCILE_AFTER,
) -> int:
    """Worker pass: settle every `confirming` payment untouched for `older_than`."""
    cutoff = datetime.now(UTC) - older_than
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(Payment.id).where(
                    Payment.status == PaymentStatus.CONFIRMING, Payment.updated_at < cutoff
                )
            )
        ).all()
    settled = 0
    for payment_id in ids:
        async with sessions() as session:
            try:
                payment = await retry_unanswered(session, provider, payment_id)
            except ProblemError as exc:
                log.warning("payments.reconcile_failed", payment_id=str(payment_id), code=exc.code)
                continue
            settled += payment.status != PaymentStatus.CONFIRMING
    return settled


def schedule_refund(payment: Payment, amount_krw: int, reason: str) -> int:
    """Record a refund as due (the caller commits it with the cancellation); returns it."""
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        return 0
    amount = min(amount_krw, payment.amount_krw - payment.refunded_krw)
    if amount <= 0:
        return 0
    payment.refund_due_krw = amount
    payment.refund_reason = reason[:200]
    return amount


async def send_refund(
    session: AsyncSession, provider: PaymentProvider, payment_id: uuid.UUID
) -> Payment:
    """Send the due refund; the provider key makes a resend after a lost answer a replay."""
    payment = (
        await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    ).scalar_one()
    if payment.refund_due_krw <= 0 or payment.payment_key is None:
        await session.rollback()
        return payment
    refundable = payment.amount_krw - payment.refunded_krw
    amount = payment.refund_due_krw
    key = f"refund-{payment.id}-{payment.refunds_made + 1}"
    await session.commit()  # no lock held while the provider is called
    fetched = await provider.cancel(
        payment.payment_key, payment.refund_reason, None if amount == refundable else amount, key
    )
    await session.refresh(payment, with_for_update=True)
    if payment.refund_due_krw > 0:
        payment.refunds_made += 1
        payment.refund_due_krw = 0
    apply_provider_state(payment, fetched)
    await session.commit()
    return payment


async def send_due_refunds(
    sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider
) -> int:
    """Worker pass: send every refund still due (a provider failure leaves it due)."""
    async with sessions() as session:
        ids = (await session.scalars(select(Payment.id).where(Payment.refund_due_krw > 0))).all()
    sent = 0
    for payment_id in ids:
        async with sessions() as session:
            try:
                await send_refund(session, provider, payment_id)
            except (ProviderError, ProviderUnavailableError) as exc:
                log.warning("payments.refund_retry", payment_id=str(payment_id), error=str(exc))
                continue
            sent += 1
    return sent


async def handle_webhook(
    session: AsyncSession, provider: PaymentProvider, payment_key: str, order_id: str
) -> bool:
    """A provider notification: trusted only after re-fetching the payment (replay-safe)."""
    payment = (
        await session.execute(select(Payment).where(Payment.order_id == order_id).with_for_update())
    ).scalar_one_or_none()
    if payment is None:
        await session.rollback()
        return False
    try:
        fetched = await provider.get(payment_key)
    except (ProviderUnavailableError, ProviderError) as exc:
        await session.rollback()
        raise ProblemError(
            503,
            "payment_provider_unavailable",
            "Could not verify the notification with the provider",
            "Send it again later.",
            headers={"Retry-After": "30"},
        ) from exc
    if fetched is None or not apply_provider_state(payment, fetched):
        await session.rollback()
        return False
    await session.commit()
    return True
