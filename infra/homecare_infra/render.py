"""Render each stack's Kubernetes resources (from the mocked program run) as YAML manifests.

``python -m homecare_infra.render --stack dev --out build/manifests/dev`` writes one file per
resource, prefixed so that ``kubectl apply -f DIR`` creates Namespaces first. Secrets carry
generated values (apply-ready); ``--golden FILE`` writes the review copy with Secret values
redacted instead.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from homecare_infra.cluster.settings import CLUSTER_NAMESPACE
from homecare_infra.mocks import (
    CLUSTER_STACK,
    CapturedResource,
    MockedRun,
    run_mocked,
    run_mocked_cluster,
    stack_config,
    stack_file,
)
from homecare_infra.settings import SettingsError

STACKS = ("dev", "staging", "prod")
ALL_STACKS = (CLUSTER_STACK, *STACKS)
"""``home`` is the cluster-services stack (infra/cluster/); it is applied before the app stacks."""
RENDER_OVERRIDES: dict[str, dict[str, Any]] = {
    # Values each installation sets for itself (the committed stack files leave them empty, so a
    # real `pulumi preview` stops and names them); the render uses reserved example values.
    CLUSTER_STACK: {"tls": {"acmeEmail": "operator@example.com"}},
    "prod": {"gateway": {"host": "app.example.com"}, "tossClientKey": "live_ck_RenderExample0000"},
    "staging": {"tossClientKey": "test_ck_RenderExample0000"},
}
OFFLINE = {"registry": {"check": False}}
"""The render runs offline: it does not ask the registry whether the image tags exist (a real
``pulumi preview`` does, see :mod:`homecare_infra.registry`)."""
KIND_ORDER = {
    "CustomResourceDefinition": -2,
    "Namespace": -1,
    "ResourceQuota": 1,
    "LimitRange": 1,
    "NetworkPolicy": 2,
    "ServiceAccount": 3,
    "Secret": 3,
    "ConfigMap": 3,
    "PersistentVolumeClaim": 3,
    "Service": 4,
    "StatefulSet": 5,
    "Deployment": 5,
    "CronJob": 6,
    "PodDisruptionBudget": 7,
    "HorizontalPodAutoscaler": 7,
    "Ingress": 8,
}
REDACTED = "<redacted>"


def _sort_key(manifest: dict[str, Any]) -> tuple[int, str, str, str]:
    meta = manifest.get("metadata", {})
    kind = str(manifest["kind"])
    return (KIND_ORDER.get(kind, 9), kind, meta.get("namespace", ""), meta["name"])


def manifests(resources: list[CapturedResource]) -> list[dict[str, Any]]:
    """Plain Kubernetes objects in apply order (Namespaces first)."""
    objects = [copy.deepcopy(r.inputs) for r in resources if r.is_kubernetes]
    for obj in objects:
        if "kind" not in obj or "apiVersion" not in obj:
            raise ValueError(f"resource without kind/apiVersion: {obj.get('metadata')}")
    return sorted(objects, key=_sort_key)


def redact(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy with every Secret value replaced (keys stay visible for review) and each vendored
    CRD's schema reduced to its SHA-256 (the files themselves sit in cluster/upstream/)."""
    out = copy.deepcopy(manifest)
    if out.get("kind") == "CustomResourceDefinition":
        text = json.dumps(out.get("spec"), sort_keys=True).encode()
        out["spec"] = {"sha256": hashlib.sha256(text).hexdigest()}
    if out.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if field in out:
                out[field] = dict.fromkeys(sorted(out[field]), REDACTED)
    return out


def dump(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=True, default_flow_style=False, allow_unicode=True)


def file_name(index: int, manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    parts = [
        f"{index:03d}",
        manifest["kind"].lower(),
        meta.get("namespace", "cluster"),
        meta["name"],
    ]
    return "-".join(parts) + ".yaml"


def write_manifests(objects: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.yaml"):
        stale.unlink()
    paths = []
    for index, manifest in enumerate(objects):
        path = out_dir / file_name(index, manifest)
        path.write_text(dump(manifest), encoding="utf-8")
        paths.append(path)
    return paths


def golden_text(objects: list[dict[str, Any]]) -> str:
    return "---\n".join(dump(redact(m)) for m in objects)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else copy.deepcopy(value)
    return out


def render_config(stack: str) -> dict[str, Any]:
    """The stack file's config plus :data:`RENDER_OVERRIDES` (and :data:`OFFLINE` for apps)."""
    if stack == CLUSTER_STACK:
        return _merge(stack_config(stack, CLUSTER_NAMESPACE), RENDER_OVERRIDES[stack])
    return _merge(_merge(stack_config(stack), RENDER_OVERRIDES.get(stack, {})), OFFLINE)


def rendered_run(stack: str, image_tag: str | None = None) -> MockedRun:
    """The mocked run ``make manifests`` renders."""
    config = render_config(stack)
    if stack == CLUSTER_STACK:
        return run_mocked_cluster(config)
    if image_tag:
        config["imageTag"] = image_tag
    return run_mocked(stack, config=config)


def render_stack(
    stack: str, out_dir: Path | None, golden: Path | None, image_tag: str | None
) -> int:
    objects = manifests(rendered_run(stack, image_tag).resources)
    if out_dir is not None:
        write_manifests(objects, out_dir)
    if golden is not None:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(golden_text(objects), encoding="utf-8")
    return len(objects)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homecare_infra.render", description=__doc__)
    parser.add_argument("--stack", choices=ALL_STACKS, required=True)
    parser.add_argument("--out", type=Path, help="directory for the apply-ready manifests")
    parser.add_argument("--golden", type=Path, help="file for the redacted review copy")
    parser.add_argument("--image-tag", help="override the stack's imageTag (e.g. the git SHA)")
    args = parser.parse_args(argv)
    if args.out is None and args.golden is None:
        parser.error("give --out DIR and/or --golden FILE")
    try:
        count = render_stack(args.stack, args.out, args.golden, args.image_tag)
    except SettingsError as exc:
        print(f"error: {stack_file(args.stack).name}: {exc}", file=sys.stderr)
        return 2
    target = args.out or args.golden
    print(f"==> {args.stack}: {count} manifests -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
