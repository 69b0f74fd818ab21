"""PostgreSQL backup CronJob in the app namespace, Pod Security ``restricted``.

``homecare-backups db backup`` runs ``pg_dump -Fc``, writes the checksum, encrypts with age,
prunes by count and age on its PVC and reports metrics to the Pushgateway when one is configured.

RPO: dumps only, the schedule interval (24 h with the daily default); with ``database.walArchiving``
the server also archives a WAL segment at least every ``archive_timeout`` (60 s), so point-in-time
recovery loses at most about a minute.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.components.backup_cronjob import Schedule, backup_cron_job
from homecare_infra.components.database import CREDENTIALS_SECRET
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings

NAME = "pg-backup"
BACKUP_DIR = "/backups"
AGE_DIR = "/secrets/age"


def backup_command(settings: Settings) -> list[str]:
    pg = settings.backups.postgres
    command = [
        "homecare-backups",
        "db",
        "backup",
        "--database-url-env",
        "HOMECARE_DATABASE_URL",
        "--dest",
        f"{BACKUP_DIR}/pg",
        "--keep-count",
        str(pg.keep_count),
        "--keep-days",
        str(pg.keep_days),
        "--age-recipients-file",
        f"{AGE_DIR}/recipients.txt",
    ]
    if pg.pushgateway_url:
        command += ["--pushgateway-url", pg.pushgateway_url]
    return command


def _pod(settings: Settings, age_secret: str) -> Obj:
    tmp_volume, tmp_mount = podspec.tmp_volume()
    container = {
        "name": "backup",
        "image": settings.backups_image,
        "command": backup_command(settings),
        "env": [
            {
                "name": "HOMECARE_DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "url"}},
            }
        ],
        "securityContext": podspec.container_security_context(),
        # Disk: dumps go to the PVC; only /tmp (64Mi) and logs are ephemeral.
        "resources": podspec.bounded("100m", "128Mi", "1", "512Mi", "64Mi", "256Mi"),
        "volumeMounts": [
            {"name": "backups", "mountPath": BACKUP_DIR},
            {"name": "age", "mountPath": AGE_DIR, "readOnly": True},
            tmp_mount,
        ],
    }
    return {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": podspec.pod_security_context(),
        "nodeSelector": {podspec.ROLE_LABEL: settings.placement.database_role},
        "containers": [container],
        "volumes": [
            {"name": "backups", "persistentVolumeClaim": {"claimName": NAME}},
            {"name": "age", "secret": {"secretName": age_secret, "defaultMode": 0o440}},
            tmp_volume,
        ],
    }


class PostgresBackup(pulumi.ComponentResource):
    """ServiceAccount (no token) + PVC for the dumps + CronJob."""

    def __init__(
        self,
        settings: Settings,
        namespace: str,
        age_secret: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:backup:PostgresBackup", NAME, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pg = settings.backups.postgres
        meta = {"namespace": namespace, "labels": podspec.labels(settings, NAME, "backup")}
        claim: Obj = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": pg.storage_size}},
        }
        if settings.database.storage_class:
            claim["storageClassName"] = settings.database.storage_class
        k8s.core.v1.PersistentVolumeClaim(
            f"{NAME}-pvc", metadata={**meta, "name": NAME}, spec=claim, opts=child
        )
        self.cron_job = backup_cron_job(
            self,
            settings,
            namespace,
            NAME,
            Schedule(pg.schedule, 900, 2, 3600),
            _pod(settings, age_secret),
            {
                "CKV_K8S_35": "homecare-backups reads the database URL from the env var "
                "named by --database-url-env; the value is a secretKeyRef",
            },
        )
        self.register_outputs({"name": NAME})
