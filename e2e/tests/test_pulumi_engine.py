"""Layer 2: the real Pulumi engine deploys the cluster services and the dev stack to the e2e
control plane, previews staging and prod, and stops on bad stack config before touching anything.

The Pulumi CLI and the pulumi-resource-kubernetes provider are built from Go modules
(e2e/tools/build-pulumi.sh). The Python language host module is not served by the Go module proxy
reachable here, so each program runs through the Automation API's inline mode: the real CLI
(`pulumi up --client`) talks to the SDK's in-process language runtime instead of spawning
``pulumi-language-python``; the inline program runs the project's own entry point (the
``__main__.py`` that Pulumi.yaml's ``main`` names). ``pulumi-resource-random`` is a stand-in
(e2e/pulumi/random_provider.py), and so is the local-path provisioner's volume creation
(provisioner.py: kwok runs no containers). State: a local file backend, passphrase secrets, all
in a temporary directory; the repo's Pulumi.*.yaml are copied, never written.
Run with ``make e2e-pulumi``.
"""

from __future__ import annotations

import os
import runpy
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube import REPO, Cluster, not_ready_node, tool_paths, wait_until
from provisioner import LocalPathStandIn
from pulumi import automation as auto

from homecare_infra.cluster.versions import versions
from homecare_infra.mocks import generated_secrets
from homecare_infra.settings import SECRET_KEYS
from homecare_testing.age import age_key_pair

PORT_BASE = int(os.environ.get("E2E_PULUMI_PORT_BASE", "28000"))
NAMESPACE = "homecare-dev"
APP_DIR = REPO
CLUSTER_DIR = REPO / "infra" / "cluster"
E2E_CONTEXT = "homecare-e2e"
"""The context of the e2e kubeconfig (cluster.sh); the stacks pin it as they pin the real one."""


@dataclass
class Platform:
    cluster: Cluster
    root: Path
    env: dict[str, str]
    stand_in: LocalPathStandIn

    def stack(self, project_dir: Path, name: str, source: str | None = None) -> auto.Stack:
        """A stack of the project in ``project_dir``, configured from a copy of its
        Pulumi.<source>.yaml (default: ``name``) in a work directory of its own."""
        project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
        work = self.root / f"{project['name']}-{name}"
        work.mkdir()
        shutil.copy(project_dir / "Pulumi.yaml", work / "Pulumi.yaml")
        shutil.copy(project_dir / f"Pulumi.{source or name}.yaml", work / f"Pulumi.{name}.yaml")
        (work / project.get("main", ".")).mkdir(parents=True, exist_ok=True)
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=self.env["PULUMI_HOME"],
            pulumi_command=auto.PulumiCommand(root=str(self.root), skip_version_check=True),
            env_vars=self.env,
            secrets_provider="passphrase",
        )
        stack = auto.create_or_select_stack(
            stack_name=name,
            project_name=project["name"],
            program=_entry_point(project_dir, project),
            opts=opts,
        )
        stack.set_config("kubernetes:context", auto.ConfigValue(value=E2E_CONTEXT))
        return stack


def _entry_point(project_dir: Path, project: dict[str, Any]) -> Callable[[], None]:
    """The program the language host would run: ``<main>/__main__.py`` of the project."""
    main = project_dir / project.get("main", ".") / "__main__.py"

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    return program


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


def _set_secrets(stack: auto.Stack, keys: list[str]) -> None:
    values = generated_secrets()
    work = Path(stack.workspace.work_dir or tempfile.gettempdir())
    # The private key is not needed: nothing is restored from these stacks' backups.
    values["backupAgeRecipients"] = age_key_pair(work / "backup-identity.txt")
    values["jwtSecret"] = secrets.token_urlsafe(48)
    for key in keys:
        stack.set_config(f"homecare:{key}", auto.ConfigValue(value=values[key], secret=True))


def _offline_registry(stack: auto.Stack) -> None:
    """No registry runs here (`make test-push` covers the registry pre-flight): check off."""
    stack.set_config("homecare:registry.check", auto.ConfigValue(value="false"), path=True)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tools = tool_paths("layer2")
    root = tmp_path_factory.mktemp("pulumi")
    bin_dir = _plugin_bin(tools, root)
    (root / "state").mkdir()
    cluster = Cluster(REPO / "build" / "e2e" / "test-pulumi", PORT_BASE, tools)
    cluster.up()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PULUMI_HOME": str(root / "home"),
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "homecare-e2e",
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "KUBECONFIG": str(cluster.kubeconfig),
    }
    # The inline programs run in this process: the node check (node_readiness.py) reads the
    # kubeconfig from this environment, the one the CLI hands the provider.
    os.environ.update(
        {
            "PULUMI_CONFIG_PASSPHRASE": env["PULUMI_CONFIG_PASSPHRASE"],
            "KUBECONFIG": env["KUBECONFIG"],
        }
    )
    try:
        with LocalPathStandIn(cluster) as stand_in:
            yield Platform(cluster, root, env, stand_in)
    finally:
        cluster.down()


@pytest.fixture(scope="module")
def services(platform: Platform) -> auto.Stack:
    """The cluster-services stack `home` (infra/cluster), with the operator's ACME address set."""
    stack = platform.stack(CLUSTER_DIR, "home")
    stack.set_config(
        "homecare-cluster:tls.acmeEmail", auto.ConfigValue(value="operator@example.com"), path=True
    )
    return stack


@pytest.fixture(scope="module")
def dev(platform: Platform) -> auto.Stack:
    stack = platform.stack(APP_DIR, "dev")
    _set_secrets(stack, ["jwtSecret", "backupAgeRecipients"])
    _offline_registry(stack)
    return stack


def _changes(result: auto.UpResult, op: auto.OpType) -> int:
    return (result.summary.resource_changes or {}).get(op, 0)


def _print(line: str) -> None:
    print(line, flush=True)


def _namespaces(cluster: Cluster) -> set[str]:
    return {ns["metadata"]["name"] for ns in cluster.items("namespaces")}


@pytest.mark.timeout(1500)
def test_cluster_services_up(platform: Platform, services: auto.Stack) -> None:
    result = services.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    assert result.outputs["addonVersions"].value == versions()
    classes = platform.cluster.items("storageclasses")
    default = [
        c["metadata"]["name"]
        for c in classes
        if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
        == "true"
    ]
    assert default == ["local-path"], default
    assert platform.cluster.get("gatewayclass", "traefik")["spec"]["controllerName"]
    # The monitoring StatefulSets' claims were provisioned once their pods were placed.
    assert platform.stand_in.provisioned, "no claim of the cluster stack was provisioned"


def test_cluster_services_second_preview_shows_no_changes(services: auto.Stack) -> None:
    preview = services.preview(on_output=_print, color="never")
    assert set(preview.change_summary) == {"same"}, preview.change_summary


@pytest.mark.timeout(1200)
def test_up_deploys_the_stack(platform: Platform, services: auto.Stack, dev: auto.Stack) -> None:
    result = dev.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    assert _changes(result, auto.OpType.CREATE) >= 30
    for deployment in platform.cluster.items("deployments", NAMESPACE):
        status = deployment["status"]
        assert status.get("availableReplicas") == deployment["spec"]["replicas"], status
    # Every claim gets the default class; those a running pod mounts (the database's) are
    # Bound on that pod's node; the backup claim waits for its first CronJob run (its consumer).
    mounted = {
        (volume["persistentVolumeClaim"]["claimName"], pod["spec"]["nodeName"])
        for pod in platform.cluster.items("pods", NAMESPACE)
        for volume in pod["spec"].get("volumes", [])
        if "persistentVolumeClaim" in volume
    }
    assert mounted, "the database mounts a claim"
    claims = {c["metadata"]["name"]: c for c in platform.cluster.items("pvc", NAMESPACE)}
    for claim in claims.values():
        assert claim["spec"]["storageClassName"] == "local-path", claim["metadata"]["name"]
    for name, node in mounted:
        assert claims[name]["status"]["phase"] == "Bound", name
        volume = platform.cluster.get("pv", claims[name]["spec"]["volumeName"])
        terms = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
        assert terms[0]["matchExpressions"][0]["values"] == [node], (name, terms)


@pytest.mark.timeout(900)
def test_second_up_leaves_the_hpa_replica_count_alone(platform: Platform, dev: auto.Stack) -> None:
    """The HPA scaled backend (here: the scale subresource, as the HPA controller writes it);
    `pulumi up` again must not reset it: the program leaves `replicas` to the HPA."""
    hpa = platform.cluster.get("hpa", "backend", "-n", NAMESPACE)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "backend"
    scaled = 2
    assert hpa["spec"]["minReplicas"] < scaled <= hpa["spec"]["maxReplicas"]
    platform.cluster.kubectl("scale", "deployment/backend", "-n", NAMESPACE, f"--replicas={scaled}")
    result = dev.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    backend = platform.cluster.get("deployment", "backend", "-n", NAMESPACE)
    assert backend["spec"]["replicas"] == scaled
    wait_until(
        "backend to run both replicas",
        lambda: (
            platform.cluster.get("deployment", "backend", "-n", NAMESPACE)["status"].get(
                "availableReplicas"
            )
            == scaled
        ),
        timeout=120,
    )


def test_second_preview_shows_no_changes(dev: auto.Stack) -> None:
    preview = dev.preview(on_output=_print, color="never")
    assert set(preview.change_summary) == {"same"}, preview.change_summary


@pytest.mark.timeout(900)
def test_config_change_rolls_out(platform: Platform, dev: auto.Stack) -> None:
    dev.set_config("homecare:imageTag", auto.ConfigValue(value="0.1.1-e2e"))
    result = dev.up(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    assert _changes(result, auto.OpType.UPDATE) >= 1
    backend = platform.cluster.get("deployment", "backend", "-n", NAMESPACE)
    images = [c["image"] for c in backend["spec"]["template"]["spec"]["containers"]]
    assert all(image.endswith(":0.1.1-e2e") for image in images), images
    status = backend["status"]
    assert (
        status.get("updatedReplicas")
        == status.get("availableReplicas")
        == backend["spec"]["replicas"]
    ), status


# Every secret a stack may need (features, column encryption); databaseExternalUrl only with an
# external database, which no stack file selects.
FEATURE_SECRETS = [key for key in SECRET_KEYS if key != "databaseExternalUrl"]


@pytest.mark.parametrize(
    ("name", "namespace"), [("staging", "homecare-staging"), ("prod", "homecare")]
)
@pytest.mark.timeout(900)
def test_staging_and_prod_preview(
    platform: Platform, services: auto.Stack, name: str, namespace: str
) -> None:
    stack = platform.stack(APP_DIR, name)
    _set_secrets(stack, FEATURE_SECRETS)
    _offline_registry(stack)
    if name == "prod":  # the operator's domain (the committed file leaves it to them)
        stack.set_config("homecare:gateway.host", auto.ConfigValue("app.example.com"), path=True)
    # Toss's public client key, which features.payments requires (a live one in prod); the
    # committed files leave it to the operator too.
    key = "live_ck_E2eExample0000" if name == "prod" else "test_ck_E2eExample0000"
    stack.set_config("homecare:tossClientKey", auto.ConfigValue(key))
    preview = stack.preview(on_output=_print, color="never")
    assert preview.change_summary.get(auto.OpType.CREATE, 0) >= 30, preview.change_summary
    assert namespace not in _namespaces(platform.cluster)


def _break_context(stack: auto.Stack) -> None:
    stack.remove_config("kubernetes:context")


def _break_prod_domain(stack: auto.Stack) -> None:
    """As committed: Pulumi.prod.yaml leaves the domain to the operator."""
    assert "homecare:gateway" not in stack.get_all_config()


def _break_registry(stack: auto.Stack) -> None:
    """Nothing listens on 127.0.0.1:9 (discard)."""
    stack.set_config("homecare:registry.host", auto.ConfigValue("127.0.0.1:9"), path=True)
    stack.set_config("homecare:registry.check", auto.ConfigValue("true"), path=True)


@pytest.mark.parametrize(
    ("source", "breaks", "message"),
    [
        ("dev", _break_context, "kubernetes:context: required"),
        ("prod", _break_prod_domain, "homecare:gateway: required"),
        ("dev", _break_registry, "homecare:registry.host: registry 127.0.0.1:9 unreachable"),
    ],
    ids=["context-missing", "prod-without-domain", "registry-unreachable"],
)
@pytest.mark.timeout(600)
def test_bad_config_stops_preview_naming_the_key(
    platform: Platform,
    source: str,
    breaks: Callable[[auto.Stack], None],
    message: str,
) -> None:
    name = f"{source}-{breaks.__name__.removeprefix('_break_').replace('_', '-')}"
    stack = platform.stack(APP_DIR, name, source=source)
    _set_secrets(stack, FEATURE_SECRETS)
    if breaks is not _break_registry:
        _offline_registry(stack)
    before = _namespaces(platform.cluster)
    breaks(stack)
    with pytest.raises(auto.CommandError) as failure:
        stack.preview(on_output=_print, color="never")
    assert message in str(failure.value), str(failure.value)[-2000:]
    assert _namespaces(platform.cluster) == before
    deployment = stack.export_stack().deployment or {}
    assert not deployment.get("resources"), deployment.get("resources")


@pytest.mark.timeout(600)
def test_a_not_ready_node_makes_preview_warn_and_up_wait_then_stop_naming_the_key(
    platform: Platform, dev: auto.Stack
) -> None:
    """A node whose kubelet stopped: preview says `pulumi up` will wait; up says so live, every
    poll, and at nodeReadyTimeoutSeconds stops before any change, naming the key and runbook."""
    backend = platform.cluster.get("deployment", "backend", "-n", NAMESPACE)
    dev.set_config("homecare:nodeReadyTimeoutSeconds", auto.ConfigValue(value="20"))
    lines: list[tuple[float, str]] = []

    def keep(line: str) -> None:
        lines.append((time.monotonic(), line))
        _print(line)

    try:
        with not_ready_node(platform.cluster, "desktop-worker2"):
            preview = dev.preview(on_output=keep, color="never")
            said = "\n".join(line for _, line in lines)
            assert "node desktop-worker2 is not Ready" in said, said[-2000:]
            assert "`pulumi up` will wait for it" in said, said[-2000:]
            assert set(preview.change_summary) == {"same"}, preview.change_summary
            lines.clear()
            with pytest.raises(auto.CommandError) as failure:
                dev.up(on_output=keep, color="never")
            ended = time.monotonic()
    finally:
        dev.remove_config("homecare:nodeReadyTimeoutSeconds")
    waiting = [(t, line) for t, line in lines if "waiting for node(s) desktop-worker2" in line]
    assert waiting, "\n".join(line for _, line in lines)[-2000:]
    # Said while it waited, not batched at the end: the first line came well before the stop.
    assert ended - waiting[0][0] >= 10, (ended - waiting[0][0], waiting)
    message = str(failure.value)
    assert "still not Ready after" in message, message[-2000:]
    assert "homecare:nodeReadyTimeoutSeconds" in message, message[-2000:]
    assert "docs/runbooks/lost-worker.md" in message, message[-2000:]
    after = platform.cluster.get("deployment", "backend", "-n", NAMESPACE)
    assert after["metadata"]["generation"] == backend["metadata"]["generation"]


@pytest.mark.timeout(900)
def test_destroy_removes_everything(platform: Platform, dev: auto.Stack) -> None:
    # kwok runs no metrics-server, so its aggregated API (the cluster stack's APIService) never
    # becomes available, and the namespace controller finalizes no namespace while discovery of
    # an aggregated group fails (NamespaceDeletionDiscoveryFailure). On a real cluster
    # metrics-server serves it; here the APIService goes first.
    platform.cluster.kubectl("delete", "apiservice", "v1beta1.metrics.k8s.io")
    result = dev.destroy(on_output=_print, color="never")
    assert result.summary.result == "succeeded"
    wait_until(
        f"namespace {NAMESPACE} to be deleted",
        lambda: NAMESPACE not in _namespaces(platform.cluster),
        timeout=120,
    )
    deployment = dev.export_stack().deployment or {}
    assert not deployment.get("resources"), deployment.get("resources")
