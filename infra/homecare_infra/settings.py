"""One typed settings object, read once from the stack config (namespace ``homecare``).

Every validation error names the config key (``homecare:services.backend.replicas``) and says how
to fix it. Secret values are not part of :class:`Settings`: see :mod:`homecare_infra.secrets`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

CONFIG_NAMESPACE = "homecare"
SECRET_KEYS = (
    "jwtSecret",
    "tossSecretKey",
    "vapidPrivateKey",
    "fcmCredentials",
    "backupAgeRecipients",
    "databaseExternalUrl",
    "encryptionKeks",
    "encryptionIndexKey",
)
"""Config keys that hold secrets: set them with ``pulumi config set --secret KEY``."""

Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")]
CronSchedule = Annotated[str, Field(pattern=r"^(\S+\s+){4}\S+$")]
M = TypeVar("M", bound="BaseModel")
DnsName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]
TossClientKey = Annotated[str, Field(pattern=r"^((test|live)_ck_[A-Za-z0-9]{8,100})?$")]


class SettingsError(ValueError):
    """Invalid stack configuration; the message lists each bad key and the fix."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ServiceSettings(_Model):
    """Scale and resources of one stateless workload.

    ``replicas`` is the HPA's ``minReplicas`` (and the Deployment's count for workloads without an
    HPA); ``diskLimit`` bounds the container's ephemeral storage (logs, writable layer, /tmp).
    """

    replicas: int = Field(1, ge=1, le=20)
    max_replicas: int = Field(2, ge=1, le=50)
    cpu_request: Quantity = "50m"
    memory_request: Quantity = "128Mi"
    cpu_limit: Quantity = "500m"
    memory_limit: Quantity = "512Mi"
    disk_request: Quantity = "64Mi"
    disk_limit: Quantity = "256Mi"

    @model_validator(mode="after")
    def _max_not_below_replicas(self) -> ServiceSettings:
        if self.max_replicas < self.replicas:
            raise ValueError(
                f"maxReplicas ({self.max_replicas}) must be >= replicas ({self.replicas})"
            )
        return self


class Services(_Model):
    backend: ServiceSettings = ServiceSettings()
    worker: ServiceSettings = ServiceSettings()
    matching: ServiceSettings = ServiceSettings()
    frontend: ServiceSettings = ServiceSettings(memory_request="32Mi", memory_limit="128Mi")


class TlsSettings(_Model):
    """``secret``: an existing kubernetes.io/tls Secret; ``certManager``: annotate for an issuer."""

    mode: Literal["none", "secret", "certManager"] = "none"
    secret_name: DnsName = "homecare-tls"  # noqa: S105 - a Secret name
    cluster_issuer: DnsName = "homecare-ca"


class GatewaySettings(_Model):
    """The stack's public origin: ``https://<host>/`` serves the SPA, ``/api`` the backend.

    The Gateway (class ``className``, implemented by the cluster stack's Traefik in namespace
    ``namespace``) lives in the app namespace with its HTTPRoutes and certificate.
    """

    host: DnsName
    class_name: DnsName = "traefik"
    namespace: DnsName = "homecare-gateway"
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    hsts_max_age_seconds: int = Field(31536000, ge=0)


class DatabaseSettings(_Model):
    """``statefulset``: PostgreSQL in the cluster; ``external``: URL from the secret
    ``databaseExternalUrl``."""

    mode: Literal["statefulset", "external"] = "statefulset"
    image: str = "docker.io/library/postgres:15-bookworm"
    storage_size: Quantity = "5Gi"
    storage_class: str = ""
    """Empty: the cluster's default StorageClass (local-path, from the cluster stack)."""
    name: DnsName = "homecare"
    user: DnsName = "homecare"
    cpu_request: Quantity = "100m"
    memory_request: Quantity = "256Mi"
    cpu_limit: Quantity = "1"
    memory_limit: Quantity = "1Gi"
    wal_archiving: bool = False
    wal_archive_size: Quantity = "5Gi"


class EtcdBackupSettings(_Model):
    enabled: bool = True
    schedule: CronSchedule = "17 */6 * * *"
    keep_count: int = Field(8, ge=1)
    keep_days: int = Field(7, ge=1)
    etcd_image: str = "registry.k8s.io/etcd:3.7.0-0"
    """The image kubeadm runs etcd from (Kubernetes 1.37): already on the control plane, so an
    air-gapped cluster needs nothing more for the snapshot."""
    local_dir: str = Field("/var/backups/homecare/etcd", pattern=r"^/")
    offnode: Literal["nfs", "hostPath"] = "nfs"
    """Where the second copy goes. ``nfs``: the worker's export (the Ansible role
    ``etcd_backup_host``), mounted by the kubelet; ``hostPath``: ``offnodeHostPath`` on the control
    plane, where the operator mounted other storage (a USB disk, a share mounted by the host).
    That copy is off the node only if what is mounted there is."""
    offnode_nfs_server: str = Field("desktop-worker", min_length=1)
    offnode_nfs_path: str = Field("/srv/homecare-backups", pattern=r"^/")
    offnode_host_path: str = Field("/mnt/homecare-backups", pattern=r"^/")
    textfile_dir: str = Field("/var/lib/node-exporter/textfile", pattern=r"^/")


class PostgresBackupSettings(_Model):
    enabled: bool = True
    schedule: CronSchedule = "41 2 * * *"
    keep_count: int = Field(7, ge=1)
    keep_days: int = Field(14, ge=1)
    storage_size: Quantity = "5Gi"
    pushgateway_url: str = ""


class BackupSettings(_Model):
    namespace: DnsName = "homecare-backup"
    image_tag: str = ""
    time_zone: str = "Asia/Seoul"
    etcd: EtcdBackupSettings = EtcdBackupSettings()
    postgres: PostgresBackupSettings = PostgresBackupSettings()


class Features(_Model):
    """Toggles; a feature that needs a secret makes that secret key required."""

    payments: bool = False
    web_push: bool = False
    fcm_push: bool = False


class Placement(_Model):
    """Node placement by the labels Ansible sets (``homecare.io/role``), never by hostname."""

    app_role: Literal["worker", "control-plane"] = "worker"
    database_role: Literal["worker", "control-plane"] = "worker"
    spread_to_control_plane: bool = False


class Quota(_Model):
    cpu_requests: Quantity = "4"
    memory_requests: Quantity = "8Gi"
    cpu_limits: Quantity = "8"
    memory_limits: Quantity = "16Gi"
    pods: int = Field(40, ge=1)


class RegistrySettings(_Model):
    """Where ``make push STACK=<stack>`` puts the images and the nodes pull them from.

    ``host``: the cluster registry Ansible runs on msi-master (``msi-master:5000``, TLS with the
    cluster CA) or a public one (``docker.io``, ``ghcr.io``...). ``caFile`` verifies it from the
    operator's machine. ``check``: ``pulumi preview`` first asks the registry whether every
    image tag exists (turned off only for the offline manifest render).
    """

    host: str = Field(pattern=r"^[a-z0-9.-]+(:[0-9]{1,5})?$")
    repository: str = Field("homecare", pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
    ca_file: str = ""
    check: bool = True


DIGEST = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
PRIVATE_SUFFIXES = (".local", ".localhost", ".internal", ".test", ".invalid", ".example", ".lan")
"""Names no public ACME CA can validate (RFC 2606/6761 and common home-network suffixes)."""


class Settings(_Model):
    env: Literal["dev", "staging", "prod"]
    namespace: DnsName
    image_tag: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    registry: RegistrySettings
    image_digests: dict[str, DIGEST] = {}
    """``{image: sha256:...}`` as ``make push`` recorded them; pinned in the Deployments."""
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    node_ready_timeout_seconds: int = Field(600, ge=0, le=3600)
    """How long ``pulumi up`` waits for NotReady nodes before it stops (node_readiness.py)."""
    monitoring_namespace: DnsName = "monitoring"
    services: Services = Services()
    gateway: GatewaySettings
    tls: TlsSettings = TlsSettings()
    database: DatabaseSettings = DatabaseSettings()
    backups: BackupSettings = BackupSettings()
    features: Features = Features()
    toss_client_key: TossClientKey = ""
    """Toss Payments' client key (public, not a secret: the SPA opens the payment window with
    it; the secret key is ``tossSecretKey``). Required with ``features.payments``; ``live_ck_``
    in prod."""
    placement: Placement = Placement()
    quota: Quota = Quota()

    @model_validator(mode="after")
    def _prod_is_highly_available(self) -> Settings:
        if self.env == "prod":
            for name in ("backend", "matching", "frontend"):
                if getattr(self.services, name).replicas < 2:
                    raise ValueError(f"services.{name}.replicas must be >= 2 in prod")
            if self.tls.mode == "none":
                raise ValueError("tls.mode must be certManager or secret in prod (HTTPS only)")
            if self.gateway.host.endswith(PRIVATE_SUFFIXES) or "." not in self.gateway.host:
                raise ValueError(
                    f"gateway.host {self.gateway.host!r} is not a public DNS name: ACME cannot "
                    "issue for it; set your domain with `pulumi config set --path "
                    "homecare:gateway.host app.<your-domain>`"
                )
        if self.image_tag == "latest":
            raise ValueError("imageTag must not be 'latest': use a release version")
        if self.features.payments and not self.toss_client_key:
            raise ValueError(
                "tossClientKey is required with features.payments (Toss's public client key, "
                "test_ck_... or live_ck_...): `pulumi config set homecare:tossClientKey "
                "live_ck_...`"
            )
        if self.env == "prod" and self.toss_client_key.startswith("test_"):
            raise ValueError(
                "tossClientKey is a test key (test_ck_...) in prod: set the live client key "
                "with `pulumi config set homecare:tossClientKey live_ck_...`"
            )
        return self

    @property
    def payments_provider(self) -> Literal["toss", "manual"]:
        """What the backend charges with and the frontend's CSP admits (toss with payments)."""
        return "toss" if self.features.payments else "manual"

    @property
    def image_prefix(self) -> str:
        return f"{self.registry.host}/{self.registry.repository}"

    def image_ref(self, name: str, tag: str | None = None) -> str:
        return f"{self.image_prefix}/{name}:{tag or self.image_tag}"

    def image(self, name: str) -> str:
        """``<registry>/homecare/<name>:<imageTag>``, plus ``@sha256:...`` once pushed."""
        digest = self.image_digests.get(name)
        return self.image_ref(name) + (f"@{digest}" if digest else "")

    @property
    def backups_image(self) -> str:
        if self.backups.image_tag:
            return self.image_ref("backups", self.backups.image_tag)
        return self.image("backups")


def _key(loc: tuple[int | str, ...], namespace: str = CONFIG_NAMESPACE) -> str:
    return f"{namespace}:" + ".".join(str(part) for part in loc) if loc else namespace


def describe_error(error: Mapping[str, Any], namespace: str = CONFIG_NAMESPACE) -> str:
    """One line per invalid key: the full config key, what is wrong, the command that fixes it."""
    key = _key(tuple(error["loc"]), namespace)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return f"{namespace}:{message}; fix it with `pulumi config set --path KEY VALUE`"
    if kind == "missing":
        return f"{key}: required; set it with `pulumi config set --path {key} VALUE`"
    if kind == "extra_forbidden":
        return f"{key}: unknown key; remove it or fix its spelling (keys are camelCase)"
    got = json.dumps(error.get("input"), default=str)
    return f"{key}: {message} (got {got}); fix it with `pulumi config set --path {key} ...`"


def validate_model(model: type[M], plain: Mapping[str, Any], namespace: str) -> M:
    """``model`` from the config values, or :class:`SettingsError` listing every bad key."""
    try:
        return model.model_validate(plain)
    except ValidationError as exc:
        problems = "\n  ".join(describe_error(e, namespace) for e in exc.errors())
        raise SettingsError(f"invalid stack config:\n  {problems}") from None


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate the non-secret config values (keys without the ``homecare:`` prefix)."""
    plain = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    return validate_model(Settings, plain, CONFIG_NAMESPACE)


def decode_config_value(value: str) -> Any:
    """Pulumi hands structured config values to the program as JSON text."""
    try:
        return json.loads(value)
    except ValueError:
        return value
