"""The cluster-services stack (infra/cluster/): one component per add-on, pinned versions,
vendored upstream manifests unchanged, config errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from homecare_infra.cluster import upstream
from homecare_infra.cluster.versions import LOCAL_PATH, versions
from homecare_infra.mocks import MockedRun, run_mocked_cluster
from homecare_infra.render import RENDER_OVERRIDES, golden_text, manifests, rendered_run
from homecare_infra.settings import SettingsError

GOLDEN_DIR = Path(__file__).parent / "golden"
_RUN: list[MockedRun] = []


def cluster() -> MockedRun:
    if not _RUN:
        _RUN.append(rendered_run("home"))
    return _RUN[0]


def test_vendored_files_match_their_modules() -> None:
    assert upstream.problems() == []


def test_every_addon_version_is_a_stack_output() -> None:
    outputs = cluster().outputs["addonVersions"]
    assert outputs.items() <= versions().items()
    assert outputs[LOCAL_PATH.name] == LOCAL_PATH.version


def test_one_component_per_addon() -> None:
    components = {r.type for r in cluster().resources if r.type.startswith("homecare:cluster:")}
    assert "homecare:cluster:LocalPathStorage" in components


def test_default_storage_class_is_local_path_waiting_for_the_consumer() -> None:
    classes = cluster().of_kind("StorageClass")
    default = [
        c
        for c in classes
        if c.metadata.get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
        == "true"
    ]
    assert len(default) == 1
    assert default[0].inputs["provisioner"] == "rancher.io/local-path"
    assert default[0].inputs["volumeBindingMode"] == "WaitForFirstConsumer"


def test_provisioner_runs_the_pinned_image_restricted() -> None:
    deployment = cluster().named("Deployment", "local-path-provisioner")
    container = deployment.inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].endswith(f"local-path-provisioner:{LOCAL_PATH.version}")
    assert container["securityContext"]["runAsNonRoot"] is True
    assert "--helper-image" in container["command"]


def test_every_container_has_ephemeral_storage_bounds() -> None:
    for kind in ("Deployment", "DaemonSet"):
        for res in cluster().of_kind(kind):
            spec = res.inputs["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                limits = container["resources"]["limits"]
                requests = container["resources"]["requests"]
                assert "ephemeral-storage" in limits, (res.name, container["name"])
                assert "ephemeral-storage" in requests, (res.name, container["name"])


def test_missing_context_fails_naming_the_key() -> None:
    config = {**RENDER_OVERRIDES["home"]}
    with pytest.raises(SettingsError, match=r"kubernetes:context: required.*config set"):
        run_mocked_cluster(config, context=None)


def test_acme_without_email_fails_naming_the_key() -> None:
    with pytest.raises(SettingsError, match=r"tls\.acmeEmail is required"):
        run_mocked_cluster({"acme": True})


def test_unknown_key_is_named() -> None:
    with pytest.raises(SettingsError, match=r"homecare-cluster:storage\.pth: unknown key"):
        run_mocked_cluster({"acme": False, "storage": {"pth": "/x"}})


def test_golden_file_matches() -> None:
    golden = GOLDEN_DIR / "home.yaml"
    rendered = golden_text(manifests(cluster().resources))
    assert golden.exists(), "run `make infra-golden` and commit infra/tests/golden/home.yaml"
    assert rendered == golden.read_text(encoding="utf-8"), (
        "rendered cluster manifests differ from golden/home.yaml; if intended, run "
        "`make infra-golden` and commit the file"
    )
