"""Load the rendered manifests of each Pulumi stack (build/manifests/<stack>/*.yaml)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kube import REPO, Obj

# Applied first so that namespaced objects find their namespace (and classes their class).
FIRST_KINDS = ("Namespace", "CustomResourceDefinition", "PriorityClass", "IngressClass")


def manifests_root() -> Path:
    return Path(os.environ.get("E2E_MANIFESTS", REPO / "build" / "manifests"))


def stacks() -> list[str]:
    root = manifests_root()
    if not root.is_dir():
        raise FileNotFoundError(
            f"no rendered manifests in {root}: run `make manifests` (or set E2E_MANIFESTS)"
        )
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml")))
    if not found:
        raise FileNotFoundError(f"{root} has no <stack>/*.yaml directories: run `make manifests`")
    return found


def _flatten(doc: Any) -> list[Obj]:
    if not isinstance(doc, dict):
        return []
    if doc.get("kind", "").endswith("List") and "items" in doc:
        return [item for sub in doc["items"] for item in _flatten(sub)]
    return [doc]


def load(stack: str) -> list[Obj]:
    """Every object of one stack, Namespaces and other prerequisites first."""
    docs: list[Obj] = []
    for path in sorted((manifests_root() / stack).rglob("*.yaml")):
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


def dump(docs: list[Obj]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)
