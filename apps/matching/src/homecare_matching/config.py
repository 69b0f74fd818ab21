"""Matching settings (HOMECARE_* environment variables), read once per process."""

from __future__ import annotations

from functools import lru_cache

from homecare_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    # The backend owns the schema; matching reads it over a read-only connection.
    backend_url: str = "http://127.0.0.1:8000"
    # Full resync of the candidate index (safety net behind LISTEN/NOTIFY), and reconnect delay.
    index_resync_seconds: float = 300.0
    index_retry_seconds: float = 1.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
