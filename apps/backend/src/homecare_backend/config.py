"""Backend settings (HOMECARE_* environment variables), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr

from homecare_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    jwt_secret: SecretStr = SecretStr("dev-only-jwt-secret-change-me")
    matching_url: str = "http://127.0.0.1:8001"


@lru_cache
def get_settings() -> Settings:
    return Settings()
