"""Layer 2: the real Pulumi engine deploys the dev stack to the e2e control plane.

The Pulumi CLI and the pulumi-resource-kubernetes provider are built from Go modules
(e2e/tools/build-pulumi.sh). The Python language host module is not served by the Go module proxy
reachable here, so the program runs through the Automation API's inline mode: the engine talks
to the SDK's in-process language runtime (``pulumi up --client``) instead of spawning
``pulumi-language-python``. ``pulumi-resource-random`` is a stand-in
(e2e/pulumi/random_provider.py).
Run with ``make e2e-pulumi``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kube import REPO, Cluster, tool_paths, wait_until
from manifests import dump, load_cluster_services
from pulumi import automation as auto

STACK = "dev"
PORT_BASE = int(os.environ.get("E2E_PULUMI_PORT_BASE", "28000"))
NAMESPACE = "homecare-dev"


@dataclass
class Engine:
    cluster: Cluster
    stack: auto.Stack


def _program() -> None:
    from homecare_infra.program import main  # noqa: PLC0415 - imported inside the engine run

    main()


def _age_recipient() -> str:
    """A fresh age public key (the stack's backups encrypt to it)."""
    keygen = subprocess.run(["age-keygen"], capture_output=True, text=True, check=True)
    return next(
        line.split(": ", 1)[1]
        for line in (keygen.stderr + keygen.stdout).splitlines()
        if line.startswith(("Public key: ", "# public key: "))
    )


def _plugin_bin(tools: dict[str, str], root: Path) -> Path:
    """bin/ with `pulumi` (PulumiCommand's layout) and the provider plugins on PATH."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").symlink_to(tools["PULUMI"])
    (bin_dir / "pulumi-resource-kubernetes").symlink_to(tools["PULUMI_RESOURCE_KUBERNETES"])
    random = bin_dir / "pulumi-resource-random"
    provider = REPO / "e2e" / "pulumi" / "random_provider.py"
    random.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{provider}" "$@"\n')
    random.chmod(0o755)
    return bin_dir


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tools = tool_paths("layer2")
    root = tmp_path_factory.mktemp("pulumi")
    bin_dir = _plugin_bin(tools, root)
    work = root / "project"
    work.mkdir()
    for name in ("Pulumi.yaml", f"Pulumi.{STACK}.yaml"):
        shutil.copy(REPO / name, work / name)
    (work / "infra").mkdir()  # Pulumi.yaml's `main`; the inline program replaces its contents
    (root / "state").mkdir()
    cluster = Cluster(REPO / "build" / "e2e" / "test-pulumi", PORT_BASE, tools)
    cluster.up()
    try:
        # The cluster-services stack first (CRDs, default StorageClass, GatewayClass).
        cluster.kubectl("apply", "--server-side", "-f", "-", stdin=dump(load_cluster_services()))
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "PULUMI_HOME": str(root / "home"),
            "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "homecare-e2e",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(cluster.kubeconfig),
        }
        os.environ.update({"PULUMI_CONFIG_PASSPHRASE": env["PULUMI_CONFIG_PASSPHRASE"]})
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=env["PULUMI_HOME"],
            pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
            env_vars=env,
            secrets_provider="passphrase",
        )
        stack = auto.create_or_select_stack(
            stack_name=STACK, project_name="homecare", program=_program, opts=opts
        )
        stack.set_config(
            "homecare:jwtSecret", auto.ConfigValue(value=secrets.token_urlsafe(48), secret=True)
        )
        stack.set_config(
            "homecare:backupAgeRecipients", auto.ConfigValue(value=_age_recipient(), secret=True)
        )
        # The e2e kubeconfig's context; no registry runs here, so the image pre-flight is off.
        stack.set_config("kubernetes:context", auto.ConfigValue(value="homecare-e2e"))
        stack.set_config("homecare:registry.check", auto.ConfigValue(value="false"), path=True)
        yield Engine(cluster, stack)
    finally:
        cluster.down()


def _changes(result: auto.UpResult, op: auto.OpType) -> int:
    return (result.summary.resource_changes or {}).get(op, 0)


def _print(line: str) -> None:
    print(line, flush=True)


@pytest.mark.timeout(1200)
def test_up_deploys_the_stack(engine: Engine) -> None:
    result = engine.stack.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    assert _changes(result, auto.OpType.CREATE) >= 30
    for deployment in engine.cluster.items("deployments", NAMESPACE):
        status = deployment["status"]
        assert status.get("availableReplicas") == deployment["spec"]["replicas"], status


@pytest.mark.timeout(900)
def test_second_up_leaves_the_hpa_replica_count_alone(engine: Engine) -> None:
    """The HPA scaled backend (here: the scale subresource, as the HPA controller writes it);
    `pulumi up` again must not reset it: the program leaves `replicas` to the HPA."""
    engine.cluster.kubectl("scale", "deployment/backend", "-n", NAMESPACE, "--replicas=2")
    result = engine.stack.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    backend = engine.cluster.get("deployment", "backend", "-n", NAMESPACE)
    assert backend["spec"]["replicas"] == 2


def test_second_preview_shows_no_changes(engine: Engine) -> None:
    preview = engine.stack.preview(on_output=_print, color="never")
    assert set(preview.change_summary) == {"same"}, preview.change_summary


@pytest.mark.timeout(900)
def test_config_change_rolls_out(engine: Engine) -> None:
    engine.stack.set_config("homecare:imageTag", auto.ConfigValue(value="0.1.1-e2e"))
    result = engine.stack.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    assert _changes(result, auto.OpType.UPDATE) >= 1
    backend = engine.cluster.get("deployment", "backend", "-n", NAMESPACE)
    images = [c["image"] for c in backend["spec"]["template"]["spec"]["containers"]]
    assert all(image.endswith(":0.1.1-e2e") for image in images), images
    status = backend["status"]
    assert (
        status.get("updatedReplicas")
        == status.get("availableReplicas")
        == backend["spec"]["replicas"]
    ), status


@pytest.mark.timeout(900)
def test_destroy_removes_everything(engine: Engine) -> None:
    result = engine.stack.destroy(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    wait_until(
        f"namespace {NAMESPACE} to be deleted",
        lambda: (
            NAMESPACE not in {ns["metadata"]["name"] for ns in engine.cluster.items("namespaces")}
        ),
        timeout=120,
    )
    deployment = engine.stack.export_stack().deployment or {}
    assert not deployment.get("resources"), deployment.get("resources")
