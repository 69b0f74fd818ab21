"""Secret config values: read only with ``Config.get_secret`` so they stay secret Outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from homecare_infra.settings import CONFIG_NAMESPACE, Settings, SettingsError


@dataclass(frozen=True)
class SecretValues:
    """Secrets from ``pulumi config set --secret``; ``None`` where the stack does not need one."""

    jwt_secret: pulumi.Output[str] | None
    toss_secret_key: pulumi.Output[str] | None
    vapid_private_key: pulumi.Output[str] | None
    fcm_credentials: pulumi.Output[str] | None
    backup_age_recipients: pulumi.Output[str] | None
    database_external_url: pulumi.Output[str] | None
    # Column encryption: `id=base64url-key,...` (the first wraps new data keys) and the
    # blind-index key. Generated for dev when unset; required elsewhere (losing them loses data).
    encryption_keks: pulumi.Output[str] | None
    encryption_index_key: pulumi.Output[str] | None


def _required_keys(settings: Settings) -> list[str]:
    needed: list[str] = []
    if settings.features.payments:
        needed.append("tossSecretKey")
    if settings.features.web_push:
        needed.append("vapidPrivateKey")
    if settings.features.fcm_push:
        needed.append("fcmCredentials")
    if settings.backups.etcd.enabled or settings.backups.postgres.enabled:
        needed.append("backupAgeRecipients")
    if settings.database.mode == "external":
        needed.append("databaseExternalUrl")
    if settings.env != "dev":
        needed += ["encryptionKeks", "encryptionIndexKey"]
    return needed


def read_secrets(config: pulumi.Config, settings: Settings) -> SecretValues:
    """Read the secret keys; a key that a enabled feature needs and that is unset is an error."""
    missing = [key for key in _required_keys(settings) if config.get_secret(key) is None]
    if missing:
        lines = "\n  ".join(
            f"{CONFIG_NAMESPACE}:{key}: required by this stack's settings; set it with "
            f"`pulumi config set --secret {key} VALUE`"
            for key in missing
        )
        raise SettingsError(f"missing secret config:\n  {lines}")
    return SecretValues(
        jwt_secret=config.get_secret("jwtSecret"),
        toss_secret_key=config.get_secret("tossSecretKey"),
        vapid_private_key=config.get_secret("vapidPrivateKey"),
        fcm_credentials=config.get_secret("fcmCredentials"),
        backup_age_recipients=config.get_secret("backupAgeRecipients"),
        database_external_url=config.get_secret("databaseExternalUrl"),
        encryption_keks=config.get_secret("encryptionKeks"),
        encryption_index_key=config.get_secret("encryptionIndexKey"),
    )
