"""Validate custom resources (HTTPRoute, Gateway, Certificate, ClusterIssuer, Middleware, ...)
against the ``openAPIV3Schema`` of the vendored CRDs, rejecting unknown fields like
``kubectl apply --validate=strict`` does.

``python -m homecare_infra.cluster.crd_validate DIR...`` checks every YAML file in the
directories; a custom kind without a vendored CRD is an error, built-in kinds are left to
kubernetes-validate.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # comes with kubernetes-validate, no stubs
import yaml

from homecare_infra.cluster import upstream
from homecare_infra.cluster.versions import ADDONS

BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling"})
"""Plus every ``*.k8s.io`` group (``rbac.authorization.k8s.io``, ``storage.k8s.io``, ...)."""
CUSTOM_K8S_GROUPS = frozenset({"gateway.networking.k8s.io"})


def _strict(schema: Any) -> Any:
    """A copy where every object with ``properties`` and no ``additionalProperties`` rejects
    unknown fields (the apiserver prunes or, with strict validation, rejects them)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in schema and "additionalProperties" not in schema:
        out["additionalProperties"] = False
        out["properties"] = {**out["properties"], **_META_FIELDS}
    return out


_META_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}


@cache
def schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind)`` -> the strict schema of every served version of each vendored CRD."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for addon in ADDONS:
        for doc in upstream.documents(addon):
            if doc["kind"] != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = dict(version["schema"]["openAPIV3Schema"])
                props = dict(schema.get("properties", {}))
                props["metadata"] = {"type": "object"}
                schema["properties"] = props
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                found[key] = _strict(schema)
    return found


def is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    if group in CUSTOM_K8S_GROUPS:
        return False
    return group in BUILTIN_GROUPS or group.endswith(".k8s.io")


def errors(obj: dict[str, Any]) -> list[str]:
    """Problems of one object; ``[]`` for a valid custom resource or any built-in kind."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    if is_builtin(api_version):
        return []
    schema = schemas().get((api_version, kind))
    if schema is None:
        return [f"{kind} {api_version}: no vendored CRD declares it"]
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{kind}/{obj['metadata'].get('name')}: {'.'.join(map(str, e.absolute_path)) or '<root>'}"
        f": {e.message}"
        for e in validator.iter_errors(obj)
    ]


def _files(dirs: Iterable[Path]) -> Iterator[Path]:
    for directory in dirs:
        yield from sorted(directory.glob("*.yaml"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    failed = checked = 0
    for path in _files(Path(a) for a in args):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc or is_builtin(str(doc.get("apiVersion", ""))):
                continue
            checked += 1
            for problem in errors(doc):
                failed += 1
                print(f"FAIL {path.name}: {problem}", file=sys.stderr)
    print(f"==> {checked} custom resources checked, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
