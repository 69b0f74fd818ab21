"""AppSecrets: the app's secret settings as one Kubernetes Secret, never a ConfigMap or literal."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from homecare_infra import podspec
from homecare_infra.secrets import SecretValues
from homecare_infra.settings import Settings

APP_SECRET = "homecare-app-secrets"  # noqa: S105 - a Secret name
AGE_SECRET = "backup-age-recipients"  # noqa: S105 - a Secret name
AGE_RECIPIENTS_KEY = "recipients.txt"


class AppSecrets(pulumi.ComponentResource):
    """``homecare-app-secrets``: jwt-secret and the column-encryption keys (config, or generated
    where allowed) and the enabled features' keys.

    ``keys`` lists the Secret's keys so workloads reference only keys that exist.
    """

    def __init__(
        self,
        settings: Settings,
        namespace: str,
        values: SecretValues,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:app:AppSecrets", "app-secrets", None, opts)
        child = pulumi.ResourceOptions(parent=self)
        jwt = values.jwt_secret
        if jwt is None:
            jwt = random.RandomPassword("jwt-secret", length=64, special=False, opts=child).result
        data: dict[str, pulumi.Input[str]] = {"jwt-secret": jwt}
        # Column-encryption keys: from secret config; only dev generates them when unset
        # (read_secrets requires them elsewhere). 43 base64url characters = 256 bits.
        keks = values.encryption_keks
        if keks is None:
            kek = random.RandomPassword("encryption-kek", length=43, special=False, opts=child)
            keks = pulumi.Output.concat("gen1=", kek.result)
        index = values.encryption_index_key
        if index is None:
            index = random.RandomPassword(
                "encryption-index-key", length=43, special=False, opts=child
            ).result
        data["encryption-keks"] = keks
        data["encryption-index-key"] = index
        optional = {
            "toss-secret-key": (settings.features.payments, values.toss_secret_key),
            "vapid-private-key": (settings.features.web_push, values.vapid_private_key),
            "fcm-credentials": (settings.features.fcm_push, values.fcm_credentials),
        }
        for key, (enabled, value) in optional.items():
            if enabled and value is not None:
                data[key] = value
        self.keys = sorted(data)
        self.secret = k8s.core.v1.Secret(
            "app-secrets",
            metadata={
                "name": APP_SECRET,
                "namespace": namespace,
                "labels": podspec.labels(settings, "homecare", "secrets"),
            },
            type="Opaque",
            string_data=data,
            opts=child,
        )
        self.register_outputs({})


def age_recipients_secret(
    settings: Settings,
    namespace: str,
    recipients: pulumi.Output[str],
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.core.v1.Secret:
    """The age public keys that encrypt backups, from ``pulumi config set --secret
    backupAgeRecipients``, mounted by the backup CronJobs as /secrets/age/recipients.txt."""
    return k8s.core.v1.Secret(
        f"{namespace}-age-recipients",
        metadata={
            "name": AGE_SECRET,
            "namespace": namespace,
            "labels": podspec.labels(settings, "backups", "secrets"),
        },
        type="Opaque",
        string_data={AGE_RECIPIENTS_KEY: recipients},
        opts=opts,
    )
