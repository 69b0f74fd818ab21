"""metrics-server: resource metrics for the HPAs, read from kubelets whose serving certificates it
verifies.

No ``--kubelet-insecure-tls``: the kubelets run with ``serverTLSBootstrap: true`` (Ansible's
kubeadm config), their serving CSRs are approved (runbook), so their certificates chain to the
cluster CA that metrics-server already trusts through its in-cluster configuration. The
APIService keeps upstream's ``insecureSkipTLSVerify`` for the aggregation hop (apiserver ->
metrics-server), which upstream ships; see docs/decisions/cluster-services.md.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra.cluster import common, kube, upstream
from homecare_infra.cluster.versions import METRICS_SERVER

NAMESPACE = "kube-system"
SELECTOR = {"k8s-app": "metrics-server"}


class MetricsServer(pulumi.ComponentResource):
    def __init__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homecare:cluster:MetricsServer", "metrics-server", None, opts)
        labels = {**common.addon_labels("metrics-server", METRICS_SERVER.version), **SELECTOR}
        rbac = kube.declare(upstream.documents(METRICS_SERVER, "rbac.yaml"), self, NAMESPACE)
        child = pulumi.ResourceOptions(parent=self)
        service = k8s.core.v1.Service(
            "metrics-server",
            metadata={"name": "metrics-server", "namespace": NAMESPACE, "labels": labels},
            spec={
                "selector": SELECTOR,
                "ports": [
                    {"name": "https", "port": 443, "targetPort": "https", "appProtocol": "https"}
                ],
            },
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            "metrics-server",
            metadata={
                "name": "metrics-server",
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": common.checkov(
                    {
                        **common.UPSTREAM_IMAGE_WAIVERS,
                        "CKV_K8S_38": "metrics-server reads nodes and pods with its token",
                    }
                ),
            },
            spec=_deployment_spec(labels),
            # Its ServiceAccount and RBAC first (else FailedCreate, then forbidden API calls).
            opts=pulumi.ResourceOptions(parent=self, depends_on=rbac),
        )
        # The aggregated API is called by kube-apiserver from the node's host network.
        common.ingress_policy(
            "metrics-server", NAMESPACE, SELECTOR, [{"ports": common.tcp(10250)}], self
        )
        kube.declare(
            upstream.documents(METRICS_SERVER, "apiservice.yaml"),
            self,
            depends_on=[service, self.deployment],
        )
        self.register_outputs({"version": METRICS_SERVER.version})


def metrics_server_args() -> list[str]:
    return [
        "--cert-dir=/tmp",
        "--secure-port=10250",
        # The kubelet serving certificates name the node's InternalIP (the pinned node IP).
        "--kubelet-preferred-address-types=InternalIP",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
    ]


def _deployment_spec(labels: dict[str, str]) -> common.Obj:
    https = {"port": "https", "scheme": "HTTPS"}
    return {
        "replicas": 1,
        "selector": {"matchLabels": SELECTOR},
        "strategy": {"rollingUpdate": {"maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": "metrics-server",
                "priorityClassName": "system-cluster-critical",
                "securityContext": common.restricted_pod(),
                "tolerations": common.control_plane_tolerations(),
                "containers": [
                    {
                        "name": "metrics-server",
                        "image": METRICS_SERVER.images[0],
                        "imagePullPolicy": "IfNotPresent",
                        "args": metrics_server_args(),
                        "ports": [{"name": "https", "containerPort": 10250}],
                        "readinessProbe": {
                            "httpGet": {"path": "/readyz", **https},
                            "periodSeconds": 10,
                            "initialDelaySeconds": 20,
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/livez", **https},
                            "periodSeconds": 10,
                        },
                        "resources": common.resources("50m", "96Mi", "500m", "256Mi", "64Mi"),
                        "securityContext": common.restricted_container(),
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
                    }
                ],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "32Mi"}}],
            },
        },
    }
