"""Load the rendered manifests of each Pulumi stack (build/manifests/<stack>/*.yaml)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kube import REPO, Obj

# Applied first so that namespaced objects find their namespace (and classes their class).
FIRST_KINDS = ("Namespace", "CustomResourceDefinition", "PriorityClass", "IngressClass")
CLUSTER_SERVICES = "cluster"
"""build/manifests/cluster: the cluster-services stack, applied before every app stack."""


def manifests_root() -> Path:
    return Path(os.environ.get("E2E_MANIFESTS") or REPO / "build" / "manifests")


def stacks() -> list[str]:
    root = manifests_root()
    if not root.is_dir():
        raise FileNotFoundError(
            f"no rendered manifests in {root}: run `make manifests` (or set E2E_MANIFESTS)"
        )
    found = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and p.name != CLUSTER_SERVICES and any(p.glob("*.yaml"))
    )
    if not found:
        raise FileNotFoundError(f"{root} has no <stack>/*.yaml directories: run `make manifests`")
    return found


def _flatten(doc: Any) -> list[Obj]:
    if not isinstance(doc, dict):
        return []
    if doc.get("kind", "").endswith("List") and "items" in doc:
        return [item for sub in doc["items"] for item in _flatten(sub)]
    return [doc]


def load_cluster_services() -> list[Obj]:
    """The objects of build/manifests/cluster alone."""
    docs: list[Obj] = []
    for path in sorted((manifests_root() / CLUSTER_SERVICES).rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                docs.extend(_flatten(doc))
    return docs


def is_cluster_service(obj: Obj) -> bool:
    return (
        obj.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of")
        in {
            "homecare-cluster",
            "homecare-monitoring",
        }
        or obj.get("kind") == "CustomResourceDefinition"
    )


def claim_names(workload: Obj) -> list[str]:
    """The PersistentVolumeClaims a workload's pods mount (StatefulSet templates included)."""
    spec = workload["spec"]
    pod = spec["template"]["spec"] if "template" in spec else {}
    names = [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod.get("volumes", [])
        if "persistentVolumeClaim" in v
    ]
    for template in spec.get("volumeClaimTemplates", []):
        for ordinal in range(spec.get("replicas", 1)):
            names.append(f"{template['metadata']['name']}-{workload['metadata']['name']}-{ordinal}")
    return names


def load(stack: str) -> list[Obj]:
    """Every object of one app stack and of the cluster services it runs on, Namespaces and
    other prerequisites first."""
    docs: list[Obj] = []
    paths = sorted((manifests_root() / CLUSTER_SERVICES).rglob("*.yaml"))
    for path in [*paths, *sorted((manifests_root() / stack).rglob("*.yaml"))]:
        with path.open(encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                docs.extend(_flatten(doc))
    if not docs:
        raise AssertionError(f"stack {stack} rendered no Kubernetes objects")

    def rank(obj: Obj) -> int:
        kind = obj.get("kind", "")
        return FIRST_KINDS.index(kind) if kind in FIRST_KINDS else len(FIRST_KINDS)

    return sorted(docs, key=rank)


def of_kind(docs: list[Obj], kind: str) -> list[Obj]:
    return [d for d in docs if d.get("kind") == kind]


def restricted_namespaces(docs: list[Obj]) -> list[str]:
    """Namespaces of the stack whose Pod Security admission enforces `restricted`."""
    return [
        ns["metadata"]["name"]
        for ns in of_kind(docs, "Namespace")
        if ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce")
        == "restricted"
    ]


def dump(docs: list[Obj]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)
