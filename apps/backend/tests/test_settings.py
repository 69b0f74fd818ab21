from __future__ import annotations

import pytest
from pydantic import ValidationError

from homecare_backend.config import Settings
from homecare_backend.encryption import new_key

REAL_SECRET = "m3Q9v2xK7pL0sT8wR4yZ1aB6cD5eF2gH"
SECRETS = (
    "jwt_secret",
    "vapid_private_key",
    "fcm_credentials",
    "toss_secret_key",
    "encryption_keks",
    "encryption_index_key",
)
KEK_A, KEK_B, INDEX = new_key(), new_key(), new_key()


def real_secrets(**overrides: str) -> dict[str, str]:
    values = {name: f"{REAL_SECRET}-{name}" for name in SECRETS}
    values |= {"encryption_keks": f"2027a={KEK_A},2026a={KEK_B}", "encryption_index_key": INDEX}
    return {**values, **overrides}


def test_the_first_kek_listed_is_current_and_every_one_unwraps() -> None:
    keyring = Settings(env="prod", **real_secrets()).keyring()  # type: ignore[arg-type]
    assert keyring.current == "2027a"
    assert sorted(keyring.keks) == ["2026a", "2027a"]


@pytest.mark.parametrize(
    "keks", [f"2027a{KEK_A}", "2027a=c2hvcnQ-but-long-enough-not-a-placeholder", f"2027 a={KEK_A}"]
)
def test_a_malformed_keyring_is_refused(keks: str) -> None:
    with pytest.raises(ValidationError, match="HOMECARE_ENCRYPTION_KEKS"):
        Settings(env="prod", **real_secrets(encryption_keks=keks))  # type: ignore[arg-type]


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


@pytest.mark.parametrize(
    "key", ["test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R", "ck_missingprefix123", "test_ck_short"]
)
def test_a_toss_client_key_that_is_not_one_is_refused_by_name(key: str) -> None:
    with pytest.raises(ValidationError, match="HOMECARE_TOSS_CLIENT_KEY"):
        Settings(env="dev", toss_client_key=key)


def test_a_toss_client_key_is_accepted() -> None:
    key = "live_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq"
    settings = Settings(env="prod", toss_client_key=key, **real_secrets())  # type: ignore[arg-type]
    assert settings.toss_client_key.startswith("live_ck_")
