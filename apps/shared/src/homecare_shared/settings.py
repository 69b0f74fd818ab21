"""Settings common to every service, read from HOMECARE_* environment variables.

Outside `dev`/`test` a service refuses to start while any secret still holds a placeholder,
so a forgotten `pulumi config set --secret` fails the rollout instead of shipping a known key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["dev", "test", "staging", "prod"]

PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "dev-only", "insecure", "example")
MIN_SECRET_LENGTH = 32


class PlaceholderSecretError(ValueError):
    """A secret setting still holds a development placeholder outside dev."""


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return len(value) < MIN_SECRET_LENGTH or any(m in lowered for m in PLACEHOLDER_MARKERS)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMECARE_", extra="ignore")

    env: Environment = "dev"
    log_level: str = "INFO"
    log_json: bool = True
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/homecare"

    @property
    def is_dev(self) -> bool:
        return self.env in ("dev", "test")

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.is_dev:
            return self
        bad = [
            f"HOMECARE_{name.upper()}"
            for name, value in self
            if isinstance(value, SecretStr) and is_placeholder(value.get_secret_value())
        ]
        if bad:
            raise PlaceholderSecretError(
                f"refusing to start in {self.env}: placeholder or too-short secret in "
                f"{', '.join(bad)} (set a real value of at least {MIN_SECRET_LENGTH} characters)"
            )
        return self
