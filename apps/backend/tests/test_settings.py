from __future__ import annotations

import pytest
from pydantic import ValidationError

from homecare_backend.config import Settings

REAL_SECRET = "m3Q9v2xK7pL0sT8wR4yZ1aB6cD5eF2gH"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_placeholder_secret_is_refused_outside_dev(env: str) -> None:
    with pytest.raises(ValidationError, match="HOMECARE_JWT_SECRET"):
        Settings(env=env)  # type: ignore[arg-type]


def test_short_secret_is_refused_in_prod() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(env="prod", jwt_secret="short-but-not-placeholder")  # type: ignore[arg-type]


def test_real_secret_is_accepted_in_prod() -> None:
    settings = Settings(env="prod", jwt_secret=REAL_SECRET)  # type: ignore[arg-type]
    assert settings.jwt_secret.get_secret_value() == REAL_SECRET


def test_dev_accepts_the_placeholder() -> None:
    assert Settings(env="dev").is_dev


def test_settings_come_from_homecare_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECARE_ENV", "prod")
    monkeypatch.setenv("HOMECARE_JWT_SECRET", REAL_SECRET)
    monkeypatch.setenv("HOMECARE_DATABASE_URL", "postgresql+asyncpg://u@db:5432/homecare")
    settings = Settings()
    assert settings.env == "prod"
    assert settings.database_url.endswith("@db:5432/homecare")
