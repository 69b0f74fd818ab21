"""Upstream manifests vendored as data: copied out of the pinned Go modules, never downloaded at
deploy time.

``python -m homecare_infra.cluster.upstream refresh`` (``make cluster-upstream``) runs
``go mod download -json MODULE@VERSION`` for every add-on in :mod:`homecare_infra.cluster.versions`,
copies the listed files to ``upstream/<add-on>/`` (a Helm template resolved with the chart's
default values, see :func:`flatten_helm`) and records the module checksum and each file's
SHA-256 in ``upstream/sources.json``. ``python -m homecare_infra.cluster.upstream check`` (run by
the unit tests) fails when a file no longer matches that record or a version moved without a
refresh.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from homecare_infra.cluster.versions import ADDONS, Addon

UPSTREAM_DIR = Path(__file__).parent / "upstream"
SOURCES = UPSTREAM_DIR / "sources.json"


def vendored_path(addon: Addon, module_path: str) -> Path:
    return UPSTREAM_DIR / addon.name / Path(module_path).name


HELM_VALUES = {
    r'{{ include "cert-manager.name" . }}': "cert-manager",
    r'{{ template "cert-manager.fullname" . }}': "cert-manager",
    r'{{ include "cert-manager.fullname" . }}': "cert-manager",
    r'{{ template "cert-manager.serviceAccountName" . }}': "cert-manager",
    r'{{ include "cert-manager.namespace" . }}': "cert-manager",
    r"{{ .Release.Name }}": "cert-manager",
    r"{{ .Values.global.leaderElection.namespace }}": "kube-system",
}
"""The chart's defaults (values.yaml) for the few template expressions in its RBAC file."""
_SIGNERS = (
    "    resourceNames:\n    - issuers.cert-manager.io/*\n    - clusterissuers.cert-manager.io/*\n"
)


def flatten_helm(text: str) -> str:
    """cert-manager publishes its RBAC only as a Helm template: resolve it with the chart's
    default values (rbac.create, aggregateClusterRoles true; auto-approval on for the two
    cert-manager signers). Anything not understood here fails the refresh."""
    text = re.sub(r"\{\{-? */\*.*?\*/ *-?\}\}", "", text, flags=re.DOTALL)
    text = re.sub(
        r" *\{\{- with \.Values\.approveSignerNames \}\}.*?\{\{- end \}\}\n",
        _SIGNERS,
        text,
        flags=re.DOTALL,
    )
    for expression, value in HELM_VALUES.items():
        text = text.replace(expression, value)
    control = re.compile(r"^\s*\{\{-? *(if|end|include \"labels\")[^}]*\}\}\s*$")
    lines = [line for line in text.splitlines() if not control.match(line)]
    flat = "\n".join(lines) + "\n"
    if "{{" in flat:
        left = flat[flat.index("{{") :][:80]
        raise SystemExit(f"flatten_helm: unresolved template expression: {left!r}")
    return flat


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download(addon: Addon) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - fixed argv, module names from versions.py
        ["go", "mod", "download", "-json", f"{addon.module}@{addon.version}"],  # noqa: S607
        check=False,
        capture_output=True,
        text=True,
    )
    info: dict[str, Any] = json.loads(result.stdout or "{}")
    if result.returncode != 0 or "Error" in info:
        raise SystemExit(f"go mod download {addon.module}@{addon.version}: {info or result}")
    return info


def refresh() -> dict[str, Any]:
    """Copy every listed file out of the module cache and rewrite ``sources.json``."""
    record: dict[str, Any] = {}
    for addon in ADDONS:
        info = _download(addon)
        target_dir = UPSTREAM_DIR / addon.name
        shutil.rmtree(target_dir, ignore_errors=True)
        target_dir.mkdir(parents=True)
        files = {}
        for module_path in addon.files:
            target = vendored_path(addon, module_path)
            source = Path(info["Dir"]) / module_path
            if "/charts/" in module_path:
                target.write_text(flatten_helm(source.read_text(encoding="utf-8")), "utf-8")
            else:
                shutil.copyfile(source, target)
            files[module_path] = _sha256(target)
        record[addon.name] = {
            "module": addon.module,
            "version": addon.version,
            "sum": info["Sum"],
            "files": files,
        }
    SOURCES.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def problems() -> list[str]:
    """Differences between versions.py, sources.json and the vendored files."""
    record = json.loads(SOURCES.read_text(encoding="utf-8"))
    found: list[str] = []
    for addon in ADDONS:
        entry = record.get(addon.name)
        if entry is None or entry["version"] != addon.version or entry["module"] != addon.module:
            pinned = f"{addon.module}@{addon.version}"
            found.append(f"{addon.name}: sources.json does not record {pinned}")
            continue
        if set(entry["files"]) != set(addon.files):
            found.append(f"{addon.name}: vendored file list differs from versions.py")
            continue
        for module_path, digest in entry["files"].items():
            path = vendored_path(addon, module_path)
            if not path.exists() or _sha256(path) != digest:
                origin = f"{module_path}@{addon.version}"
                found.append(f"{addon.name}: {path.name} differs from {origin}")
    return found


@cache
def _documents(addon_name: str, file_name: str) -> tuple[dict[str, Any], ...]:
    path = UPSTREAM_DIR / addon_name / file_name
    docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return tuple(d for d in docs if isinstance(d, dict) and d.get("kind"))


def documents(addon: Addon, file_name: str | None = None) -> list[dict[str, Any]]:
    """The Kubernetes objects of one vendored file (or of every file of the add-on), as fresh
    copies the caller may change."""
    names = [file_name] if file_name else [Path(f).name for f in addon.files]
    return [json.loads(json.dumps(doc)) for name in names for doc in _documents(addon.name, name)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homecare_infra.cluster.upstream")
    parser.add_argument("command", choices=["refresh", "check"])
    args = parser.parse_args(argv)
    if args.command == "refresh":
        for name, entry in refresh().items():
            print(f"==> {name} {entry['version']}: {len(entry['files'])} file(s)")
        return 0
    found = problems()
    for line in found:
        print(f"error: {line}; run `make cluster-upstream`", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
