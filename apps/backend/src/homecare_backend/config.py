"""Backend settings (HOMECARE_* environment variables), read once per process.

`DataSettings` is what touching the database needs (its URL and the column-encryption keys);
the migrations and `keys` commands read only that, so the pod that runs them is given no other
secret. `Settings`, the API's and the worker's, adds everything else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from homecare_backend.encryption import Keyring
from homecare_shared.settings import ServiceSettings, is_placeholder

TOSS_CLIENT_KEY = re.compile(r"(test|live)_ck_[A-Za-z0-9]{8,100}")


class DataSettings(ServiceSettings):
    """The database URL (ServiceSettings) and the column-encryption keys; nothing else."""

    # Column encryption: KEKs as `id=base64url-key,...`, the first wrapping new data keys (put a
    # new one first to rotate, keep the old ones until `keys rewrap` has run), and the key of
    # the blind indexes (phone lookups). In dev/test the placeholders derive a fixed keyring.
    encryption_keks: SecretStr = SecretStr("dev-only-encryption-keks-placeholder")
    encryption_index_key: SecretStr = SecretStr("dev-only-encryption-index-key-placeholder")

    def keyring(self) -> Keyring:
        keks = self.encryption_keks.get_secret_value()
        index = self.encryption_index_key.get_secret_value()
        if self.is_dev and is_placeholder(keks):
            return Keyring.for_dev(keks)
        current = keks.split(",", 1)[0].partition("=")[0].strip()
        return Keyring.from_spec(keks, current, index)

    @model_validator(mode="after")
    def _keyring_parses(self) -> DataSettings:
        try:
            self.keyring()
        except ValueError as exc:
            raise ValueError(f"HOMECARE_ENCRYPTION_KEKS / _INDEX_KEY: {exc}") from exc
        return self


class Settings(DataSettings):
    jwt_secret: SecretStr = SecretStr("dev-only-jwt-secret-change-me-not-for-prod")
    # Web Push: the VAPID application server key (PEM, or the raw P-256 scalar in base64url).
    vapid_private_key: SecretStr = SecretStr("dev-only-vapid-key-placeholder")
    vapid_subject: str = "mailto:ops@homecare.example.kr"
    # FCM HTTP v1: the Firebase service-account JSON (project_id, client_email, private_key, ...).
    fcm_credentials: SecretStr = SecretStr("dev-only-fcm-credentials-placeholder")
    fcm_base_url: str = "https://fcm.googleapis.com"
    toss_secret_key: SecretStr = SecretStr("dev-only-toss-secret-key-placeholder")
    toss_base_url: str = "https://api.tosspayments.com"
    # Toss's client key (public: the SPA opens the payment window with it; `GET
    # /v1/payment-config` hands it out). An API individual-integration key, `test_ck_...` or
    # `live_ck_...`; empty = none configured (the SPA then says payments are not set up).
    toss_client_key: str = ""
    toss_timeout_s: float = Field(default=10.0, gt=0, le=60)
    toss_attempts: int = Field(default=3, ge=1, le=10)
    # `manual` approves payments in memory (dev and `make up` only); None = manual in dev/test,
    # toss elsewhere. Outside dev/test `manual` is refused.
    payments_provider: Literal["manual", "toss"] | None = None
    # Cancellation policy: free until this many hours before the start, then this share kept.
    cancellation_free_hours: int = Field(default=24, ge=0, le=24 * 14)
    cancellation_late_percent: int = Field(default=50, ge=0, le=100)
    matching_url: str = "http://127.0.0.1:8001"
    # Visit verification: a home's default fence radius and how much of a fix's reported
    # inaccuracy may widen it (agencies set both per home), the check-in tolerance around the
    # planned start (beyond it: an exception), and how early check-in opens (before: refused).
    evv_radius_m: int = Field(default=100, ge=20, le=1000)
    evv_accuracy_cap_m: int = Field(default=50, ge=0, le=500)
    evv_start_tolerance_minutes: int = Field(default=30, ge=0, le=240)
    evv_earliest_check_in_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # Care logs: the caregiver edits a visit's log until this long after check-out; then only
    # addenda are appended.
    carelog_edit_hours: int = Field(default=24, ge=0, le=24 * 14)

    access_token_ttl_s: int = 15 * 60
    # SSE stream tickets (`POST /v1/events/tickets`): single use, valid this long.
    stream_ticket_ttl_s: int = Field(default=60, ge=5, le=300)
    refresh_token_ttl_s: int = 30 * 24 * 3600
    # Login throttling: failed attempts per account and attempts per client IP in a window.
    login_window_s: int = 15 * 60
    login_max_failures_per_account: int = 5
    login_max_attempts_per_ip: int = 30
    # Run the outbox dispatcher inside the API process (dev, single replica); otherwise
    # `python -m homecare_backend.worker` does it. None means "in dev only".
    inline_dispatcher: bool | None = None
    # The worker's own /healthz, /readyz and /metrics (Kubernetes probes, Prometheus); 0 disables.
    worker_http_port: int = 8002

    @property
    def payment_provider_name(self) -> Literal["manual", "toss"]:
        if self.payments_provider is not None:
            return self.payments_provider
        return "manual" if self.is_dev else "toss"

    @model_validator(mode="after")
    def _no_manual_payments_outside_dev(self) -> Settings:
        if not self.is_dev and self.payments_provider == "manual":
            raise ValueError(
                f"HOMECARE_PAYMENTS_PROVIDER=manual is for dev only; in {self.env} use toss "
                "(and set HOMECARE_TOSS_SECRET_KEY)"
            )
        return self

    @model_validator(mode="after")
    def _toss_client_key_is_a_client_key(self) -> Settings:
        key = self.toss_client_key
        if key and not TOSS_CLIENT_KEY.fullmatch(key):
            shown = key[:8] + "..." if len(key) > 8 else key
            raise ValueError(
                f"HOMECARE_TOSS_CLIENT_KEY={shown!r} is not a Toss client key: expected "
                "test_ck_... or live_ck_... (the public key; the secret key test_sk_/live_sk_ "
                "goes in HOMECARE_TOSS_SECRET_KEY)"
            )
        return self

    @property
    def runs_inline_dispatcher(self) -> bool:
        return self.env == "dev" if self.inline_dispatcher is None else self.inline_dispatcher

    @property
    def fcm_enabled(self) -> bool:
        return not is_placeholder(self.fcm_credentials.get_secret_value())

    @property
    def webpush_enabled(self) -> bool:
        return not is_placeholder(self.vapid_private_key.get_secret_value())


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def get_data_settings() -> DataSettings:
    return DataSettings()
