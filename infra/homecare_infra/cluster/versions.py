"""The one place that pins every cluster add-on: Go module, version and container image.

The upstream manifests (CRDs, RBAC) are copied out of the same module version by
``make cluster-upstream`` (see :mod:`homecare_infra.cluster.upstream`); the container images are
the ones each project publishes for that release tag.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Addon:
    name: str
    module: str
    version: str
    files: tuple[str, ...]
    """Paths inside the module that are vendored under ``upstream/<name>/``."""
    images: tuple[str, ...] = ()


GATEWAY_API = Addon(
    "gateway-api",
    "sigs.k8s.io/gateway-api",
    "v1.6.3",
    tuple(
        f"config/crd/standard/gateway.networking.k8s.io_{kind}.yaml"
        for kind in (
            "gatewayclasses",
            "gateways",
            "httproutes",
            "grpcroutes",
            "referencegrants",
            "backendtlspolicies",
            "listenersets",
            "tlsroutes",
        )
    ),
)
TRAEFIK = Addon(
    "traefik",
    "github.com/traefik/traefik/v3",
    "v3.7.13",
    (
        "docs/content/reference/dynamic-configuration/kubernetes-gateway-rbac.yml",
        "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml",
        "docs/content/reference/dynamic-configuration/kubernetes-crd-rbac.yml",
    ),
    ("docker.io/library/traefik:v3.7.13",),
)
CERT_MANAGER = Addon(
    "cert-manager",
    "github.com/cert-manager/cert-manager",
    "v1.21.2",
    (
        *(
            f"deploy/crds/{name}.yaml"
            for name in (
                "cert-manager.io_certificaterequests",
                "cert-manager.io_certificates",
                "cert-manager.io_clusterissuers",
                "cert-manager.io_issuers",
                "acme.cert-manager.io_challenges",
                "acme.cert-manager.io_orders",
            )
        ),
        # Published only as a Helm template: resolved with the chart defaults on refresh.
        "deploy/charts/cert-manager/templates/rbac.yaml",
    ),
    tuple(f"quay.io/jetstack/cert-manager-{part}:v1.21.2" for part in ("controller", "acmesolver")),
)
METRICS_SERVER = Addon(
    "metrics-server",
    "sigs.k8s.io/metrics-server",
    "v0.8.0",
    ("manifests/base/rbac.yaml", "manifests/base/apiservice.yaml"),
    ("registry.k8s.io/metrics-server/metrics-server:v0.8.0",),
)
LOCAL_PATH = Addon(
    "local-path-provisioner",
    "github.com/rancher/local-path-provisioner",
    "v0.0.30",
    ("deploy/local-path-storage.yaml",),
    ("docker.io/rancher/local-path-provisioner:v0.0.30", "docker.io/library/busybox:1.37.0"),
)
NETWORK_POLICIES = Addon(
    "kube-network-policies",
    "sigs.k8s.io/kube-network-policies",
    "v0.8.0",
    ("install.yaml",),
    ("registry.k8s.io/networking/kube-network-policies:v0.8.0",),
)

ADDONS: tuple[Addon, ...] = (
    LOCAL_PATH,
    GATEWAY_API,
    TRAEFIK,
    CERT_MANAGER,
    METRICS_SERVER,
    NETWORK_POLICIES,
)


def versions() -> dict[str, str]:
    """``{add-on: version}`` for the stack output ``addonVersions``."""
    return {addon.name: addon.version for addon in ADDONS}
