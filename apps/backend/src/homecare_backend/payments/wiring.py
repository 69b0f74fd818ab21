"""Which payment provider and cancellation policy a process uses, from the settings."""

from __future__ import annotations

from datetime import timedelta

from homecare_backend.bookings.cancellation import CancellationPolicy
from homecare_backend.config import Settings
from homecare_backend.payments.manual import ManualProvider
from homecare_backend.payments.provider import PaymentProvider
from homecare_backend.payments.toss import TossClient


def build_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider_name == "manual":
        return ManualProvider()
    return TossClient(
        settings.toss_secret_key.get_secret_value(),
        settings.toss_base_url,
        timeout_s=settings.toss_timeout_s,
        attempts=settings.toss_attempts,
    )


def cancellation_policy(settings: Settings) -> CancellationPolicy:
    return CancellationPolicy(
        free_before=timedelta(hours=settings.cancellation_free_hours),
        late_charge_percent=settings.cancellation_late_percent,
    )
