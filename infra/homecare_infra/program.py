"""The whole stack: namespaces, secrets, database, workloads, edge, policies and backups."""

from __future__ import annotations

from typing import Any

import pulumi

from homecare_infra import config_source, node_readiness, podspec
from homecare_infra.components.app_secrets import (
    AGE_SECRET,
    APP_SECRET,
    AppSecrets,
    age_recipients_secret,
)
from homecare_infra.components.app_service import AppService, AppSpec, SecretEnv
from homecare_infra.components.database import CREDENTIALS_SECRET, POSTGRES_PORT, Database
from homecare_infra.components.etcd_backup import EtcdBackup
from homecare_infra.components.gateway import AppGateway
from homecare_infra.components.namespace import AppNamespace
from homecare_infra.components.network import NetworkPolicies, Ports, app_rules
from homecare_infra.components.postgres_backup import PostgresBackup
from homecare_infra.podspec import container_security_context
from homecare_infra.secrets import SecretValues
from homecare_infra.settings import CONFIG_NAMESPACE, Settings

PORTS = Ports(
    backend=8000, matching=8001, frontend=8080, worker_metrics=8002, postgres=POSTGRES_PORT
)
SECRET_ENV = {
    "jwt-secret": "HOMECARE_JWT_SECRET",
    "toss-secret-key": "HOMECARE_TOSS_SECRET_KEY",
    "vapid-private-key": "HOMECARE_VAPID_PRIVATE_KEY",
    "fcm-credentials": "HOMECARE_FCM_CREDENTIALS",
    "encryption-keks": "HOMECARE_ENCRYPTION_KEKS",
    "encryption-index-key": "HOMECARE_ENCRYPTION_INDEX_KEY",
}
# The migration that encrypts existing rows needs the keys as well as the database.
MIGRATE_SECRETS = ("encryption-keks", "encryption-index-key")


def _uvicorn(factory: str, port: int, *extra: str) -> list[str]:
    """Listen on every pod interface (the pod IP); NetworkPolicies decide who may connect.

    The apps are built by a factory function (nothing is created at import time).
    """
    everywhere = "0.0.0.0"  # noqa: S104 - inside the pod network namespace
    return [
        "uvicorn",
        "--factory",
        factory,
        "--host",
        everywhere,
        "--port",
        str(port),
        "--no-server-header",
        *extra,
    ]


def _database_env() -> SecretEnv:
    return SecretEnv("HOMECARE_DATABASE_URL", CREDENTIALS_SECRET, "sqlalchemy-url")


def _migrate_init_container(settings: Settings, image: str) -> dict[str, Any]:
    """Alembic ``upgrade head`` before the new backend version serves any traffic."""
    return {
        "name": "migrate",
        "image": image,
        "command": ["python", "-m", "homecare_backend.migrate", "upgrade"],
        "envFrom": [{"configMapRef": {"name": "backend-config"}}],
        "env": [
            {
                "name": "HOMECARE_DATABASE_URL",
                "valueFrom": {
                    "secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "sqlalchemy-url"}
                },
            },
            *(
                {
                    "name": SECRET_ENV[key],
                    "valueFrom": {"secretKeyRef": {"name": APP_SECRET, "key": key}},
                }
                for key in MIGRATE_SECRETS
            ),
        ],
        "resources": podspec.bounded("50m", "128Mi", "500m", "256Mi", "32Mi", "128Mi"),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - container path
    }


def app_specs(settings: Settings, namespace: str, secret_keys: list[str]) -> list[AppSpec]:
    svc = settings.services
    common = {"HOMECARE_ENV": settings.env, "HOMECARE_LOG_LEVEL": settings.log_level.upper()}
    matching_url = f"http://matching.{namespace}.svc.cluster.local:{PORTS.matching}"
    backend_url = f"http://backend.{namespace}.svc.cluster.local:{PORTS.backend}"
    app_secrets = [SecretEnv(SECRET_ENV[key], APP_SECRET, key) for key in secret_keys]
    backend_image = settings.image("backend")
    # The worker Deployment dispatches the outbox; the API processes do not.
    backend_config = {
        **common,
        "HOMECARE_MATCHING_URL": matching_url,
        "HOMECARE_INLINE_DISPATCHER": "false",
    }
    if settings.features.payments:
        # The public client key goes to the SPA through GET /v1/payment-config; the secret key
        # stays in the app Secret (HOMECARE_TOSS_SECRET_KEY).
        backend_config |= {
            "HOMECARE_PAYMENTS_PROVIDER": "toss",
            "HOMECARE_TOSS_CLIENT_KEY": settings.toss_client_key,
        }
    return [
        AppSpec(
            name="backend",
            component="api",
            image=backend_image,
            scale=svc.backend,
            port=PORTS.backend,
            command=_uvicorn(
                "homecare_backend.main:create_app",
                PORTS.backend,
                # Client IPs for the per-IP login limit come from Traefik's X-Forwarded-For;
                # trusting every peer is safe because NetworkPolicies admit only Traefik (and
                # kube-network-policies enforces them).
                "--proxy-headers",
                "--forwarded-allow-ips",
                "*",
                # Open SSE streams would otherwise hold SIGTERM until the grace period ends.
                "--timeout-graceful-shutdown",
                "5",
            ),
            config=backend_config,
            secret_env=[_database_env(), *app_secrets],
            init_containers=[_migrate_init_container(settings, backend_image)],
            scrape=True,
        ),
        AppSpec(
            name="worker",
            component="worker",
            image=backend_image,
            scale=svc.worker,
            port=PORTS.worker_metrics,
            command=["python", "-m", "homecare_backend.worker"],
            config={**backend_config, "HOMECARE_WORKER_HTTP_PORT": str(PORTS.worker_metrics)},
            secret_env=[_database_env(), *app_secrets],
            autoscale=False,
            scrape=True,
        ),
        AppSpec(
            name="matching",
            component="matching",
            image=settings.image("matching"),
            scale=svc.matching,
            port=PORTS.matching,
            command=_uvicorn("homecare_matching.main:create_app", PORTS.matching),
            config={**common, "HOMECARE_BACKEND_URL": backend_url},
            secret_env=[_database_env()],
            scrape=True,
        ),
        AppSpec(
            name="frontend",
            component="web",
            image=settings.image("frontend"),
            scale=svc.frontend,
            port=PORTS.frontend,
            # Debian's nginx with the image's config (port 8080, temp files in /tmp), started by
            # the image's script, which picks the security headers by the payment provider: the
            # CSP admits Toss's hosts only where payments are Toss (decision 0016). The SPA calls
            # `/api` on its own host, so it needs no API URL.
            command=["homecare-frontend"],
            config={
                "HOMECARE_ENV": settings.env,
                "HOMECARE_PAYMENTS_PROVIDER": settings.payments_provider,
            },
        ),
    ]


def build(settings: Settings, secrets: SecretValues) -> dict[str, Any]:
    """Declare every resource of the stack; returns the stack outputs (never a secret)."""
    namespace = settings.namespace
    app_ns = AppNamespace(
        namespace,
        level="restricted",
        quota=settings.quota,
        labels={"app.kubernetes.io/part-of": "homecare", "homecare.io/env": settings.env},
    )
    after_ns = pulumi.ResourceOptions(depends_on=[app_ns])
    app_secrets = AppSecrets(settings, namespace, secrets, opts=after_ns)
    database = Database(settings, namespace, secrets.database_external_url, opts=after_ns)
    after_data = pulumi.ResourceOptions(depends_on=[app_ns, app_secrets, database])
    workloads = {
        spec.name: AppService(spec, settings, namespace, opts=after_data)
        for spec in app_specs(settings, namespace, app_secrets.keys)
    }
    edge = AppGateway(
        settings,
        namespace,
        {"frontend": PORTS.frontend, "backend": PORTS.backend},
        opts=pulumi.ResourceOptions(depends_on=[workloads["frontend"], workloads["backend"]]),
    )
    NetworkPolicies("app-network", settings, namespace, app_rules(settings, PORTS), opts=after_ns)
    backup_namespace = _backups(settings, secrets, namespace, after_data)
    return {
        "env": settings.env,
        "namespaces": sorted(filter(None, [namespace, backup_namespace])),
        "url": edge.url,
        "images": {name: settings.image(name) for name in ("backend", "matching", "frontend")}
        | {"backups": settings.backups_image},
        "databaseHost": database.host if settings.database.mode == "statefulset" else "external",
    }


def _backups(
    settings: Settings, secrets: SecretValues, app_namespace: str, opts: pulumi.ResourceOptions
) -> str | None:
    recipients = secrets.backup_age_recipients
    backup_namespace: str | None = None
    if settings.backups.postgres.enabled and recipients is not None:
        age = age_recipients_secret(settings, app_namespace, recipients, opts=opts)
        PostgresBackup(
            settings,
            app_namespace,
            AGE_SECRET,
            opts=pulumi.ResourceOptions(depends_on=[age, *opts.depends_on]),  # type: ignore[misc]
        )
    if settings.backups.etcd.enabled and recipients is not None:
        backup_namespace = settings.backups.namespace
        backup_ns = AppNamespace(
            backup_namespace,
            level="privileged",
            quota=None,
            labels={"app.kubernetes.io/part-of": "homecare", "homecare.io/env": settings.env},
            annotations={
                "homecare.io/pod-security-exception": "etcd snapshots need hostNetwork and "
                "read-only hostPath access to the kubeadm PKI on the control-plane node"
            },
        )
        after = pulumi.ResourceOptions(depends_on=[backup_ns])
        age = age_recipients_secret(settings, backup_namespace, recipients, opts=after)
        EtcdBackup(
            settings,
            backup_namespace,
            AGE_SECRET,
            opts=pulumi.ResourceOptions(depends_on=[backup_ns, age]),
        )
    return backup_namespace


def main() -> None:
    """Entry point of ``pulumi up`` (infra/__main__.py)."""
    settings, secrets = config_source.load()
    node_readiness.check_before_changes(
        settings.node_ready_timeout_seconds, f"{CONFIG_NAMESPACE}:nodeReadyTimeoutSeconds"
    )
    for key, value in build(settings, secrets).items():
        pulumi.export(key, value)
