"""Fixtures: one fresh control plane per stack, with that stack's manifests server-side applied."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The helpers beside this file are plain modules (the repo has several `tests` directories).
sys.path.insert(0, str(Path(__file__).parent))

from kube import REPO, Cluster, Obj, tool_paths
from manifests import dump, load, restricted_namespaces, stacks

# Ports BASE+257..BASE+443 on 127.0.0.1; kept away from `make cluster-up` (26000), the app and
# the ephemeral port range (32768+), where outgoing loopback connections take their ports.
TEST_PORT_BASE = int(os.environ.get("E2E_TEST_PORT_BASE", "27000"))


@dataclass
class Deployed:
    """A stack applied to its own cluster: the objects and what `kubectl apply` reported."""

    stack: str
    cluster: Cluster
    docs: list[Obj]
    """The app stack's objects followed by the cluster services' (build/manifests/cluster)."""
    restricted_namespaces: list[str]
    restricted_apply_stderr: str
    other_apply_stderr: str


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    return tool_paths("layer1")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "stack_name" in metafunc.fixturenames:
        metafunc.parametrize("stack_name", stacks(), scope="module")


@pytest.fixture(scope="module")
def deployed(stack_name: str, tools: dict[str, str]) -> Iterator[Deployed]:
    cluster = Cluster(REPO / "build" / "e2e" / f"test-{stack_name}", TEST_PORT_BASE, tools)
    cluster.up()
    try:
        docs = load(stack_name)
        # No pre-bound PersistentVolumes: the claims get the cluster stack's default
        # StorageClass (local-path, WaitForFirstConsumer) and wait for its provisioner.
        # Restricted namespaces (and cluster-scoped objects) first and separately, so that their
        # apply output can be checked for Pod Security warnings on its own: the namespaces
        # enforcing `privileged` also warn at `restricted` by design.
        restricted = restricted_namespaces(docs)
        strict = [d for d in docs if d["metadata"].get("namespace", "") in {"", *restricted}]
        rest = [d for d in docs if d not in strict]
        started = time.monotonic()
        # CRDs first: the Gateways, HTTPRoutes, Certificates and ClusterIssuers after them are
        # then checked by the apiserver against those CRDs' schemas.
        crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
        if crds:
            _apply(cluster, crds)
            cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        strict = [d for d in strict if d["kind"] != "CustomResourceDefinition"]
        strict_apply = _apply(cluster, strict)
        rest_apply = _apply(cluster, rest) if rest else None
        print(f"[{stack_name}] applied {len(docs)} objects in {time.monotonic() - started:.1f}s")
        yield Deployed(
            stack_name,
            cluster,
            docs,
            restricted,
            strict_apply.stderr,
            rest_apply.stderr if rest_apply else "",
        )
    finally:
        cluster.down()


def _apply(cluster: Cluster, docs: list[Obj]) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl(
        "apply", "--server-side", "--field-manager=homecare-e2e", "-f", "-", stdin=dump(docs)
    )
