from __future__ import annotations

import pytest
from pydantic import ValidationError

from homecare_backend.config import Settings

REAL_SECRET = "m3Q9v2xK7pL0sT8wR4yZ1aB6cD5eF2gH"
SECRETS = ("jwt_secret", "vapid_private_key", "fcm_credentials", "toss_secret_key")


def real_secrets(**overrides: str) -> dict[str, str]:
    return {**{name: f"{REAL_SECRET}-{name}" for name in SECRETS}, **overrides}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_placeholder_secret_is_refused_outside_dev(env: str) -> None:
    with pytest.raises(ValidationError, match="HOMECARE_JWT_SECRET"):
        Settings(env=env)  # type: ignore[arg-type]


def test_short_secret_is_refused_in_prod() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(env="prod", **real_secrets(jwt_secret="short-but-not-placeholder"))  # type: ignore[arg-type]


def test_real_secret_is_accepted_in_prod() -> None:
    settings = Settings(env="prod", **real_secrets(jwt_secret=REAL_SECRET))  # type: ignore[arg-type]
    assert settings.jwt_secret.get_secret_value() == REAL_SECRET


def test_dev_accepts_the_placeholder() -> None:
    assert Settings(env="dev").is_dev


def test_settings_come_from_homecare_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECARE_ENV", "prod")
    for name, value in real_secrets().items():
        monkeypatch.setenv(f"HOMECARE_{name.upper()}", value)
    monkeypatch.setenv("HOMECARE_DATABASE_URL", "postgresql+asyncpg://u@db:5432/homecare")
    settings = Settings()
    assert settings.env == "prod"
    assert settings.database_url.endswith("@db:5432/homecare")


@pytest.mark.parametrize("secret", SECRETS)
def test_each_secret_placeholder_is_refused_in_prod(secret: str) -> None:
    values = real_secrets()
    del values[secret]  # back to its dev placeholder
    with pytest.raises(ValidationError, match=f"HOMECARE_{secret.upper()}"):
        Settings(env="prod", **values)  # type: ignore[arg-type]


def test_push_clients_stay_off_while_unconfigured() -> None:
    dev = Settings(env="dev")
    assert not dev.fcm_enabled
    assert not dev.webpush_enabled
    assert dev.runs_inline_dispatcher
    assert not Settings(env="prod", **real_secrets()).runs_inline_dispatcher  # type: ignore[arg-type]
