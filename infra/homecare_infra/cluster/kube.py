"""Kubernetes objects from plain dicts (vendored upstream YAML) as Pulumi resources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pulumi

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "APIService",
        "GatewayClass",
        "ClusterIssuer",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "PriorityClass",
    }
)


def type_token(api_version: str, kind: str) -> str:
    """The pulumi-kubernetes type token, e.g. ``kubernetes:apps/v1:Deployment``; the core group
    is spelled ``core``."""
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


class KubeObject(pulumi.CustomResource):
    """Any Kubernetes object given as a dict; the same type token as the typed SDK class, so
    ``pulumi up`` handles it exactly like one."""

    def __init__(
        self, name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token(obj["apiVersion"], obj["kind"]), name, dict(obj), opts)


def object_name(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    parts = [obj["kind"].lower(), meta.get("namespace", ""), meta["name"]]
    return "-".join(p for p in parts if p).replace(":", "-")


def declare(
    objects: Iterable[Mapping[str, Any]],
    parent: pulumi.Resource,
    namespace: str | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> list[KubeObject]:
    """One resource per object; namespaced objects without a namespace get ``namespace``."""
    declared = []
    for obj in objects:
        body = dict(obj)
        meta = dict(body["metadata"])
        if body["kind"] not in CLUSTER_SCOPED and namespace and "namespace" not in meta:
            meta["namespace"] = namespace
        body["metadata"] = meta
        opts = pulumi.ResourceOptions(parent=parent, depends_on=depends_on or [])
        declared.append(KubeObject(object_name(body), body, opts))
    return declared
