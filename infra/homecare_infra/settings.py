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
)
"""Config keys that hold secrets: set them with ``pulumi config set --secret KEY``."""

Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")]
CronSchedule = Annotated[str, Field(pattern=r"^(\S+\s+){4}\S+$")]
M = TypeVar("M", bound="BaseModel")
DnsName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]


class SettingsError(ValueError):
    """Invalid stack configuration; the message lists each bad key and the fix."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ServiceSettings(_Model):
    """Scale and resources of one stateless workload."""

    replicas: int = Field(1, ge=1, le=20)
    max_replicas: int = Field(2, ge=1, le=50)
    cpu_request: Quantity = "50m"
    memory_request: Quantity = "128Mi"
    cpu_limit: Quantity = "500m"
    memory_limit: Quantity = "512Mi"

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


class NodePorts(_Model):
    """Bare metal without an ingress controller: expose the services on fixed node ports."""

    enabled: bool = False
    frontend: int = Field(30080, ge=30000, le=32767)
    backend: int = Field(30800, ge=30000, le=32767)


class IngressSettings(_Model):
    class_name: DnsName = "nginx"
    controller_namespace: DnsName = "ingress-nginx"
    app_host: DnsName
    api_host: DnsName
    node_ports: NodePorts = NodePorts()


class DatabaseSettings(_Model):
    """``statefulset``: PostgreSQL in the cluster; ``external``: URL from the secret
    ``databaseExternalUrl``."""

    mode: Literal["statefulset", "external"] = "statefulset"
    image: str = "docker.io/library/postgres:15-bookworm"
    storage_size: Quantity = "5Gi"
    storage_class: str = ""
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
    etcd_image: str = "registry.k8s.io/etcd:3.6.5-0"
    local_dir: str = Field("/var/backups/homecare/etcd", pattern=r"^/")
    offnode_nfs_server: str = Field("desktop-worker", min_length=1)
    offnode_nfs_path: str = Field("/srv/homecare-backups", pattern=r"^/")
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


class Settings(_Model):
    env: Literal["dev", "staging", "prod"]
    namespace: DnsName
    image_tag: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    image_prefix: str = "localhost/homecare"
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    monitoring_namespace: DnsName = "monitoring"
    services: Services = Services()
    ingress: IngressSettings
    tls: TlsSettings = TlsSettings()
    database: DatabaseSettings = DatabaseSettings()
    backups: BackupSettings = BackupSettings()
    features: Features = Features()
    placement: Placement = Placement()
    quota: Quota = Quota()

    @model_validator(mode="after")
    def _prod_is_highly_available(self) -> Settings:
        if self.env == "prod":
            for name in ("backend", "matching", "frontend"):
                if getattr(self.services, name).replicas < 2:
                    raise ValueError(f"services.{name}.replicas must be >= 2 in prod")
        if self.image_tag == "latest":
            raise ValueError("imageTag must not be 'latest': use the git SHA")
        return self

    def image(self, name: str) -> str:
        return f"{self.image_prefix}/{name}:{self.image_tag}"

    @property
    def backups_image(self) -> str:
        return f"{self.image_prefix}/backups:{self.backups.image_tag or self.image_tag}"


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
