"""Shared pieces of the add-on components: namespaces, labels, resources, security contexts."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra.components.namespace import PodSecurityLevel, pss_labels
from homecare_infra.podspec import CONTROL_PLANE_TAINT, checkov_skips, container_security_context

Obj = dict[str, Any]
NOBODY = 65534
"""The add-ons' images run fine as ``nobody``; none needs a root UID."""


def addon_labels(name: str, version: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": "homecare-cluster",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def addon_namespace(
    name: str,
    level: PodSecurityLevel,
    parent: pulumi.Resource,
    exception: str | None = None,
) -> k8s.core.v1.Namespace:
    """PSS ``enforce`` at ``level`` (warn/audit stay ``restricted``); a namespace below
    restricted carries the reason as ``homecare.io/pod-security-exception``."""
    if level != "restricted" and not exception:
        raise ValueError(f"namespace {name}: a Pod Security exception needs its reason")
    annotations = {"homecare.io/pod-security-exception": exception} if exception else {}
    return k8s.core.v1.Namespace(
        name,
        metadata={
            "name": name,
            "labels": {"app.kubernetes.io/part-of": "homecare-cluster", **pss_labels(level)},
            "annotations": annotations,
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str, disk: str) -> Obj:
    """Requests and limits; ``disk`` is the ephemeral-storage limit (logs + writable layer +
    emptyDirs), requested at a quarter of it."""
    disk_request = f"{int(disk.removesuffix('Mi')) // 4}Mi"
    return {
        "requests": {"cpu": cpu, "memory": memory, "ephemeral-storage": disk_request},
        "limits": {"cpu": cpu_limit, "memory": memory_limit, "ephemeral-storage": disk},
    }


def restricted_container(uid: int = NOBODY) -> Obj:
    return container_security_context(uid)


def restricted_pod(uid: int = NOBODY) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def control_plane_tolerations() -> list[Obj]:
    return [{"key": CONTROL_PLANE_TAINT, "operator": "Exists", "effect": "NoSchedule"}]


def checkov(reasons: dict[str, str]) -> dict[str, str]:
    """Inline checkov waivers (``checkov.io/skipN: CHECK=reason``), as the app stacks write them."""
    return checkov_skips(reasons)


UPSTREAM_IMAGE_WAIVERS = {
    "CKV_K8S_43": "upstream release image pinned by its release tag in versions.py",
    "CKV_K8S_15": "release tags are immutable upstream; IfNotPresent avoids a pull per start",
}


def from_monitoring() -> Obj:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


def ingress_policy(
    name: str,
    namespace: str,
    selector: dict[str, str],
    rules: list[Obj],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> k8s.networking.v1.NetworkPolicy:
    """Only the listed ingress to the add-on's pods (none when ``rules`` is empty); egress stays
    open because every add-on talks to the API server, whose host-network address a pod
    selector cannot name."""
    return k8s.networking.v1.NetworkPolicy(
        f"{namespace}-{name}-ingress",
        metadata={"name": f"{name}-ingress", "namespace": namespace},
        spec={
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on or []),
    )


def tcp(*ports: int | str) -> list[Obj]:
    return [{"protocol": "TCP", "port": port} for port in ports]
