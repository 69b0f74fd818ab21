"""The cluster-services stack (infra/cluster/): one component per add-on, pinned versions,
vendored upstream manifests unchanged, config errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from homecare_infra.cluster import upstream
from homecare_infra.cluster.crd_validate import errors, is_builtin
from homecare_infra.cluster.versions import (
    ADDONS,
    GATEWAY_API,
    LOCAL_PATH,
    NETWORK_POLICIES,
    versions,
)
from homecare_infra.mocks import MockedRun, run_mocked_cluster
from homecare_infra.monitoring.settings import Images
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
    assert cluster().outputs["addonVersions"] == versions()


def test_one_component_per_addon() -> None:
    components = {r.type for r in cluster().resources if r.type.startswith("homecare:cluster:")}
    assert components == {
        f"homecare:cluster:{name}"
        for name in (
            "LocalPathStorage",
            "GatewayApiCrds",
            "Traefik",
            "CertManager",
            "MetricsServer",
            "NetworkPolicyEnforcer",
        )
    }


def test_every_image_is_pinned_in_versions_py() -> None:
    pinned = {image for addon in ADDONS for image in addon.images}
    pinned |= set(Images().model_dump().values())  # the monitoring stack pins its own
    for kind in ("Deployment", "DaemonSet"):
        for res in cluster().of_kind(kind):
            for container in res.inputs["spec"]["template"]["spec"]["containers"]:
                assert container["image"] in pinned, (res.name, container["image"])


def test_gateway_api_crds_are_the_standard_channel_unchanged() -> None:
    crds = [
        c
        for c in cluster().of_kind("CustomResourceDefinition")
        if c.inputs["spec"]["group"] == "gateway.networking.k8s.io"
    ]
    kinds = {c.inputs["spec"]["names"]["kind"] for c in crds}
    assert {"GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"} <= kinds
    for crd in crds:
        annotations = crd.metadata["annotations"]
        assert annotations["gateway.networking.k8s.io/channel"] == "standard"
        assert annotations["gateway.networking.k8s.io/bundle-version"] == GATEWAY_API.version


def test_traefik_publishes_80_443_on_the_edge_node_only() -> None:
    deployment = cluster().named("Deployment", "traefik")
    spec = deployment.inputs["spec"]
    pod = spec["template"]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate"
    assert pod["nodeSelector"] == {"homecare.io/role": "worker"}
    ports = {p["name"]: p for p in pod["containers"][0]["ports"]}
    assert (ports["web"]["hostPort"], ports["websecure"]["hostPort"]) == (80, 443)
    args = pod["containers"][0]["args"]
    assert "--providers.kubernetesgateway=true" in args
    assert "--entryPoints.websecure.transport.respondingTimeouts.readTimeout=3600s" in args
    assert "--entryPoints.websecure.transport.respondingTimeouts.writeTimeout=0s" in args
    (gateway_class,) = cluster().of_kind("GatewayClass")
    assert gateway_class.inputs["spec"]["controllerName"] == "traefik.io/gateway-controller"


def test_cluster_issuers_ca_and_acme_over_the_app_gateway() -> None:
    issuers = {i.metadata["name"]: i.inputs["spec"] for i in cluster().of_kind("ClusterIssuer")}
    assert set(issuers) == {"homecare-selfsigned", "homecare-ca", "homecare-acme"}
    assert issuers["homecare-ca"] == {"ca": {"secretName": "homecare-ca"}}
    acme = issuers["homecare-acme"]["acme"]
    assert acme["email"] == RENDER_OVERRIDES["home"]["tls"]["acmeEmail"]
    (parent,) = acme["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert (parent["name"], parent["sectionName"]) == ("homecare", "http")
    cm = cluster().named("Deployment", "cert-manager")
    args = cm.inputs["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--config=/var/cert-manager/config/config.yaml" in args
    config = cluster().named("ConfigMap", "cert-manager").inputs["data"]["config.yaml"]
    assert "gatewayAPI:\n  enabled: true" in config


def test_without_acme_no_acme_issuer() -> None:
    run = run_mocked_cluster({"acme": False})
    assert {i.metadata["name"] for i in run.of_kind("ClusterIssuer")} == {
        "homecare-selfsigned",
        "homecare-ca",
    }


def test_metrics_server_verifies_kubelet_certificates() -> None:
    deployment = cluster().named("Deployment", "metrics-server")
    args = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not [a for a in args if "insecure" in a]
    (service,) = cluster().of_kind("APIService")
    assert service.metadata["name"] == "v1beta1.metrics.k8s.io"


def test_network_policy_agent_on_every_node() -> None:
    daemonset = cluster().named("DaemonSet", "kube-network-policies")
    pod = daemonset.inputs["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"operator": "Exists", "effect": "NoSchedule"}]
    assert pod["containers"][0]["image"] == NETWORK_POLICIES.images[0]


def test_custom_resources_validate_against_vendored_crds() -> None:
    custom = [r.inputs for r in cluster().kubernetes if not is_builtin(r.inputs["apiVersion"])]
    assert len(custom) >= 4
    assert [e for obj in custom for e in errors(obj)] == []
    broken = {**custom[0], "spec": {**custom[0]["spec"], "notAField": 1}}
    assert errors(broken), "an unknown field must be rejected"


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
