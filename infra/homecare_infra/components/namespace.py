"""Namespace set-up: Pod Security labels, default-deny NetworkPolicy with DNS egress, quota."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra.podspec import Obj, meta
from homecare_infra.settings import Quota

PSS_VERSION = "v1.37"
PodSecurityLevel = Literal["restricted", "baseline", "privileged"]


def pss_labels(level: PodSecurityLevel) -> dict[str, str]:
    """enforce at ``level``; warn and audit always at ``restricted`` so exceptions stay visible."""
    labels: dict[str, str] = {"pod-security.kubernetes.io/enforce": level}
    labels["pod-security.kubernetes.io/enforce-version"] = PSS_VERSION
    for mode in ("warn", "audit"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return labels


DNS_EGRESS: Obj = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}


class AppNamespace(pulumi.ComponentResource):
    """A namespace whose pods can talk to nothing but DNS until a policy allows more."""

    def __init__(
        self,
        name: str,
        *,
        level: PodSecurityLevel,
        quota: Quota | None,
        labels: dict[str, str],
        annotations: dict[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:platform:AppNamespace", name, None, opts)
        self.name = name
        self.namespace = k8s.core.v1.Namespace(
            name,
            metadata={
                "name": name,
                "labels": {**labels, **pss_labels(level)},
                "annotations": annotations or {},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        deny_meta: Obj = {"name": "default-deny", "namespace": name, "labels": labels}
        dns_meta: Obj = {"name": "allow-dns-egress", "namespace": name, "labels": labels}
        deny_all: Obj = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns: Obj = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [DNS_EGRESS]}
        self.default_deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=deny_meta,
            spec=deny_all,
            opts=child,
        )
        self.dns = k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-dns",
            metadata=dns_meta,
            spec=dns,
            opts=child,
        )
        if quota is not None:
            k8s.core.v1.ResourceQuota(
                f"{name}-quota",
                metadata={"name": "homecare-quota", "namespace": name, "labels": labels},
                spec={
                    "hard": {
                        "requests.cpu": quota.cpu_requests,
                        "requests.memory": quota.memory_requests,
                        "limits.cpu": quota.cpu_limits,
                        "limits.memory": quota.memory_limits,
                        "pods": str(quota.pods),
                    }
                },
                opts=child,
            )
            k8s.core.v1.LimitRange(
                f"{name}-limits",
                metadata=meta("homecare-defaults", name, labels),
                spec={
                    "limits": [
                        {
                            "type": "Container",
                            # Defaults for pods the platform does not write itself (e.g.
                            # cert-manager's ACME solver), ephemeral storage included.
                            "default": {
                                "cpu": "250m",
                                "memory": "256Mi",
                                "ephemeral-storage": "256Mi",
                            },
                            "defaultRequest": {
                                "cpu": "50m",
                                "memory": "64Mi",
                                "ephemeral-storage": "32Mi",
                            },
                            "max": {"cpu": "4", "memory": "8Gi"},
                        }
                    ]
                },
                opts=child,
            )
        self.register_outputs({"name": name})
