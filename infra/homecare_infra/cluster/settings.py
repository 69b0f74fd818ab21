"""Typed settings of the cluster-services stack (config namespace ``homecare-cluster``).

Read once from the stack config; every error names the key and the command that fixes it, like
the app stacks' :mod:`homecare_infra.settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from homecare_infra.settings import DnsName, SettingsError, _Model, validate_model

CLUSTER_NAMESPACE = "homecare-cluster"
NodeRole = Literal["worker", "control-plane"]


class StorageSettings(_Model):
    """local-path-provisioner: one directory per PersistentVolume on the node that uses it."""

    path: str = Field("/var/lib/homecare/local-path", pattern=r"^/[^\s]*$")
    class_name: DnsName = "local-path"
    reclaim_policy: Literal["Delete", "Retain"] = "Retain"


class GatewaySettings(_Model):
    """Traefik as the Gateway API implementation, reachable on one node's ports 80/443."""

    namespace: DnsName = "homecare-gateway"
    class_name: DnsName = "traefik"
    node_role: NodeRole = "worker"
    http_port: int = Field(80, ge=1, le=65535)
    https_port: int = Field(443, ge=1, le=65535)
    read_timeout_seconds: int = Field(3600, ge=60)
    """Upper bound for one request, SSE streams included (EventSource reconnects after it)."""


class TlsSettings(_Model):
    """cert-manager issuers: a self-signed CA for dev/staging, ACME (HTTP-01) for prod."""

    namespace: DnsName = "cert-manager"
    ca_issuer: DnsName = "homecare-ca"
    acme_issuer: DnsName = "homecare-acme"
    acme_email: str = Field("", pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    acme_server: str = Field(
        "https://acme-v02.api.letsencrypt.org/directory", pattern=r"^https://\S+$"
    )
    solver_gateway: DnsName = "homecare"
    """Name of the Gateway each app stack declares in its namespace (HTTP-01 answers there)."""


class ClusterSettings(_Model):
    storage: StorageSettings = StorageSettings()
    gateway: GatewaySettings = GatewaySettings()
    tls: TlsSettings = TlsSettings()
    node_ready_timeout_seconds: int = Field(600, ge=0, le=3600)
    """How long ``pulumi up`` waits for NotReady nodes before it stops (node_readiness.py)."""
    acme: bool = True
    """Declare the ACME ClusterIssuer (needs ``tls.acmeEmail``)."""

    @model_validator(mode="after")
    def _acme_needs_email(self) -> ClusterSettings:
        if self.acme and not self.tls.acme_email:
            raise ValueError(
                "tls.acmeEmail is required for the ACME issuer (Let's Encrypt sends expiry "
                "notices there): set it, or set acme to false on a cluster without prod"
            )
        return self


def parse_cluster_settings(raw: Mapping[str, Any]) -> ClusterSettings:
    return validate_model(ClusterSettings, raw, CLUSTER_NAMESPACE)


def require_context(context: str | None) -> str:
    """The stack must pin the cluster it deploys to: a kubeconfig's current context could be any
    cluster."""
    if not context:
        raise SettingsError(
            "invalid stack config:\n  kubernetes:context: required, so that `pulumi up` cannot "
            "reach another cluster; set it with `pulumi config set kubernetes:context "
            "kubernetes-admin@homecare` (see `kubectl config get-contexts`)"
        )
    return context
