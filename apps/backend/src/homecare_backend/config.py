"""Backend settings (HOMECARE_* environment variables), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr

from homecare_shared.settings import ServiceSettings, is_placeholder


class Settings(ServiceSettings):
    jwt_secret: SecretStr = SecretStr("dev-only-jwt-secret-change-me-not-for-prod")
    # Web Push: the VAPID application server key (PEM, or the raw P-256 scalar in base64url).
    vapid_private_key: SecretStr = SecretStr("dev-only-vapid-key-placeholder")
    vapid_subject: str = "mailto:ops@homecare.example.kr"
    # FCM HTTP v1: the Firebase service-account JSON (project_id, client_email, private_key, ...).
    fcm_credentials: SecretStr = SecretStr("dev-only-fcm-credentials-placeholder")
    fcm_base_url: str = "https://fcm.googleapis.com"
    toss_secret_key: SecretStr = SecretStr("dev-only-toss-secret-key-placeholder")
    matching_url: str = "http://127.0.0.1:8001"

    access_token_ttl_s: int = 15 * 60
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
