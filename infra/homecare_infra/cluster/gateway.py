"""Gateway API (standard-channel CRDs) with Traefik v3 as its implementation.

Traefik listens on container ports 8000 (``web``) and 8443 (``websecure``), published as hostPorts
80/443 on the one node with ``homecare.io/role=<gateway.nodeRole>``; the home router forwards
its ports 80/443 there. Each app stack declares its own Gateway (class ``traefik``) in its
namespace, with listeners on ports 8000/8443 (Traefik maps a listener to the entry point of the
same port), its HTTPRoutes and its certificate.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra.cluster import common, kube, upstream
from homecare_infra.cluster.settings import GatewaySettings
from homecare_infra.cluster.versions import GATEWAY_API, TRAEFIK
from homecare_infra.podspec import ROLE_LABEL

CONTROLLER_NAME = "traefik.io/gateway-controller"
WEB_PORT = 8000
WEBSECURE_PORT = 8443
PING_PORT = 9000
METRICS_PORT = 9100
TRAEFIK_UID = 65532
SERVICE_ACCOUNT = "traefik"
TRAEFIK_LABELS = {
    "app.kubernetes.io/name": "traefik",
    "app.kubernetes.io/part-of": "homecare-cluster",
}
"""What the app namespaces' NetworkPolicies admit traffic from (with the gateway namespace)."""


class GatewayApiCrds(pulumi.ComponentResource):
    """The standard-channel CRDs of ``sigs.k8s.io/gateway-api``, unchanged."""

    def __init__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homecare:cluster:GatewayApiCrds", "gateway-api", None, opts)
        self.crds = kube.declare(upstream.documents(GATEWAY_API), self)
        self.register_outputs({"version": GATEWAY_API.version})


def traefik_args(settings: GatewaySettings) -> list[str]:
    timeouts = [
        f"--entryPoints.{ep}.transport.respondingTimeouts.{name}={value}"
        for ep in ("web", "websecure")
        # readTimeout bounds a whole request, an SSE stream included (Traefik has no separate
        # header timeout); writeTimeout 0 never cuts a stream; idle keep-alives end after 3 min.
        for name, value in (
            ("readTimeout", f"{settings.read_timeout_seconds}s"),
            ("writeTimeout", "0s"),
            ("idleTimeout", "180s"),
        )
    ]
    return [
        f"--entryPoints.web.address=:{WEB_PORT}/tcp",
        f"--entryPoints.websecure.address=:{WEBSECURE_PORT}/tcp",
        f"--entryPoints.traefik.address=:{PING_PORT}/tcp",
        f"--entryPoints.metrics.address=:{METRICS_PORT}/tcp",
        *timeouts,
        "--providers.kubernetesgateway=true",
        "--providers.kubernetescrd=true",
        "--providers.kubernetescrd.allowCrossNamespace=false",
        "--ping=true",
        "--ping.entryPoint=traefik",
        "--metrics.prometheus=true",
        "--metrics.prometheus.entryPoint=metrics",
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        "--log.level=INFO",
        "--accesslog=true",
    ]


class Traefik(pulumi.ComponentResource):
    """GatewayClass ``traefik``, Traefik's RBAC (upstream), CRDs for its Middleware filters
    (upstream) and one Deployment on the edge node."""

    def __init__(
        self,
        settings: GatewaySettings,
        crds: GatewayApiCrds,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:cluster:Traefik", "traefik", None, opts)
        ns = common.addon_namespace(
            settings.namespace,
            "privileged",
            self,
            "Traefik publishes hostPorts 80/443 on the edge node (Pod Security baseline forbids "
            "hostPort); the container itself runs restricted",
        )
        deps: list[pulumi.Resource] = [ns, crds]
        traefik_crds = [
            d for d in upstream.documents(TRAEFIK) if d["kind"] == "CustomResourceDefinition"
        ]
        declared_crds = kube.declare(traefik_crds, self)
        rbac = [
            _bind_to(d, settings.namespace)
            for d in upstream.documents(TRAEFIK)
            if d["kind"] in {"ClusterRole", "ClusterRoleBinding"}
        ]
        declared_rbac = kube.declare(rbac, self, depends_on=[ns])
        child = pulumi.ResourceOptions(parent=self, depends_on=deps)
        labels = {**common.addon_labels("traefik", TRAEFIK.version), **TRAEFIK_LABELS}
        account = k8s.core.v1.ServiceAccount(
            "traefik-sa",
            metadata={"name": SERVICE_ACCOUNT, "namespace": settings.namespace, "labels": labels},
            opts=child,
        )
        self.gateway_class = kube.KubeObject(
            "gatewayclass-traefik",
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "GatewayClass",
                "metadata": {"name": settings.class_name, "labels": labels},
                "spec": {"controllerName": CONTROLLER_NAME},
            },
            pulumi.ResourceOptions(parent=self, depends_on=[crds]),
        )
        self.deployment = k8s.apps.v1.Deployment(
            "traefik",
            metadata={
                "name": "traefik",
                "namespace": settings.namespace,
                "labels": labels,
                "annotations": common.checkov(
                    {
                        **common.UPSTREAM_IMAGE_WAIVERS,
                        "CKV_K8S_38": "Traefik watches Gateway API objects with its token",
                        "CKV_K8S_26": "the edge: the home network reaches it on hostPorts 80/443",
                    }
                ),
            },
            spec=_deployment_spec(settings, labels),
            # Its ServiceAccount and RBAC first (else FailedCreate, then forbidden API calls).
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*deps, *declared_crds, account, *declared_rbac]
            ),
        )
        common.ingress_policy(
            "traefik",
            settings.namespace,
            TRAEFIK_LABELS,
            [
                # The internet (through the router) and the LAN; ping for the kubelet's probes.
                {"ports": common.tcp(WEB_PORT, WEBSECURE_PORT, PING_PORT)},
                {"from": [common.from_monitoring()], "ports": common.tcp(METRICS_PORT)},
            ],
            self,
            [ns],
        )
        self.register_outputs({"version": TRAEFIK.version, "gatewayClass": settings.class_name})


def _bind_to(doc: common.Obj, namespace: str) -> common.Obj:
    """Upstream's bindings name example service accounts: bind our ``traefik`` instead, and give
    the two upstream ClusterRoles distinct homecare names."""
    doc["metadata"] = {**doc["metadata"], "name": f"traefik-{doc['metadata']['name']}"}
    if doc["kind"] == "ClusterRoleBinding":
        doc["roleRef"] = {**doc["roleRef"], "name": f"traefik-{doc['roleRef']['name']}"}
        doc["subjects"] = [
            {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}
        ]
    return doc


def _deployment_spec(settings: GatewaySettings, labels: dict[str, str]) -> common.Obj:
    ping = {"httpGet": {"path": "/ping", "port": "ping"}, "periodSeconds": 10}
    pod: common.Obj = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "securityContext": common.restricted_pod(TRAEFIK_UID),
        "nodeSelector": {ROLE_LABEL: settings.node_role},
        "terminationGracePeriodSeconds": 30,
        "containers": [
            {
                "name": "traefik",
                "image": TRAEFIK.images[0],
                "imagePullPolicy": "IfNotPresent",
                "args": traefik_args(settings),
                "ports": [
                    {"name": "web", "containerPort": WEB_PORT, "hostPort": settings.http_port},
                    {
                        "name": "websecure",
                        "containerPort": WEBSECURE_PORT,
                        "hostPort": settings.https_port,
                    },
                    {"name": "ping", "containerPort": PING_PORT},
                    {"name": "metrics", "containerPort": METRICS_PORT},
                ],
                "readinessProbe": {**ping, "failureThreshold": 1},
                "livenessProbe": {**ping, "failureThreshold": 3},
                # Disk: access logs go to stdout (kubelet rotates them); /tmp for plugins.
                "resources": common.resources("100m", "64Mi", "1", "256Mi", "256Mi"),
                "securityContext": common.restricted_container(TRAEFIK_UID),
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
    }
    if settings.node_role == "control-plane":
        pod["tolerations"] = common.control_plane_tolerations()
    return {
        "replicas": 1,
        # hostPorts: two pods cannot hold the node's 80/443 at once.
        "strategy": {"type": "Recreate"},
        "selector": {"matchLabels": TRAEFIK_LABELS},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
