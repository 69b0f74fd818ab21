"""The programs' node check (infra/homecare_infra/node_readiness.py) against a real API server.

The control plane of e2e/cluster/cluster.sh, with kwok's two nodes (kept Ready by kwok) and a
third, ``desktop-worker2``, that nothing heartbeats: its status is what the test patches, the way
the node lifecycle controller writes it for a kubelet that stopped. Real TLS, the kubeconfig
cluster.sh writes (client certificate files) and the inline form kubeadm writes.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import TEST_PORT_BASE
from kube import (
    KUBELET_STOPPED,
    REPO,
    Cluster,
    not_ready_node,
    set_ready_condition,
    wait_until,
)

from homecare_infra import node_readiness

LOST = "desktop-worker2"
KUBELET_BACK = {
    **KUBELET_STOPPED,
    "status": "True",
    "reason": "KubeletReady",
    "message": "kubelet is posting ready status",
}


@pytest.fixture(scope="module")
def cluster(tools: dict[str, str]) -> Iterator[Cluster]:
    # Its own ports (above the stack fixtures' BASE+257..443): modules may overlap at teardown.
    started = Cluster(REPO / "build" / "e2e" / "test-node-readiness", TEST_PORT_BASE + 1000, tools)
    started.up()
    try:
        yield started
    finally:
        started.down()


@pytest.fixture
def lost_node(cluster: Cluster) -> Iterator[None]:
    with not_ready_node(cluster, LOST):
        yield


def server_of(cluster: Cluster) -> node_readiness.ApiServer:
    text = cluster.kubeconfig.read_text(encoding="utf-8")
    context = yaml.safe_load(text)["current-context"]
    return node_readiness.api_server([text], context)


def inline_kubeconfig(path: Path) -> str:
    """The kubeconfig with its certificate files inlined as ``*-data`` (kubeadm's form)."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for entry in config[section]:
            body = entry[key]
            for field in ("certificate-authority", "client-certificate", "client-key"):
                if field in body:
                    data = Path(body.pop(field)).read_bytes()
                    body[f"{field}-data"] = base64.b64encode(data).decode()
    return yaml.safe_dump(config)


def test_every_node_ready_goes_on_at_once(cluster: Cluster) -> None:
    said: list[str] = []
    server = server_of(cluster)
    waited = node_readiness.wait_until_ready(lambda: server.get("/api/v1/nodes"), 30, said.append)
    assert waited == 0
    assert said == []


def test_the_inline_kubeconfig_form_reads_the_same_nodes(cluster: Cluster) -> None:
    text = inline_kubeconfig(cluster.kubeconfig)
    assert "client-key-data" in text
    assert str(cluster.state_dir) not in text
    context = yaml.safe_load(text)["current-context"]
    # As `kubernetes:kubeconfig` holds it: the YAML itself, not a path.
    server = node_readiness.api_server(node_readiness.kubeconfig_files(text), context)
    names = {n["metadata"]["name"] for n in server.get("/api/v1/nodes")["items"]}
    assert {"msi-master", "desktop-worker"} <= names


@pytest.mark.usefixtures("lost_node")
def test_a_not_ready_node_is_waited_for_with_its_reason_then_up_goes_on(cluster: Cluster) -> None:
    said: list[str] = []
    server = server_of(cluster)
    result: dict[str, float | BaseException] = {}

    def wait() -> None:
        try:
            result["waited"] = node_readiness.wait_until_ready(
                lambda: server.get("/api/v1/nodes"), 120, said.append, poll_seconds=0.5
            )
        except BaseException as exc:
            result["error"] = exc

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    wait_until("the first waiting message", lambda: said, 30)
    first = said[0]
    assert LOST in first, first
    assert "msi-master" not in first, first
    assert "Ready=Unknown" in first, first
    assert "NodeStatusUnknown" in first, first
    assert "Kubelet stopped posting node status." in first, first
    assert node_readiness.RUNBOOK in first, first
    assert waiter.is_alive(), result
    set_ready_condition(cluster, LOST, KUBELET_BACK)
    waiter.join(30)
    assert not waiter.is_alive(), said
    assert "error" not in result, result
    assert isinstance(result["waited"], float)
    assert result["waited"] > 0
    assert said[-1].startswith("every node is Ready again"), said


@pytest.mark.usefixtures("lost_node")
def test_a_node_still_not_ready_at_the_timeout_stops_naming_the_key(cluster: Cluster) -> None:
    said: list[str] = []
    server = server_of(cluster)
    with pytest.raises(node_readiness.NodeReadinessError) as failure:
        node_readiness.wait_until_ready(
            lambda: server.get("/api/v1/nodes"),
            1.5,
            said.append,
            poll_seconds=0.5,
            timeout_key="homecare:nodeReadyTimeoutSeconds",
        )
    message = str(failure.value)
    assert LOST in message, message
    assert "nothing was changed" in message, message
    assert "homecare:nodeReadyTimeoutSeconds" in message, message
    assert node_readiness.RUNBOOK in message, message
    assert 2 <= len(said) <= 5, said


def test_an_unreachable_api_server_is_named(cluster: Cluster) -> None:
    server = server_of(cluster)
    closed = node_readiness.ApiServer(
        server.context, f"https://127.0.0.1:{TEST_PORT_BASE + 999}", server.ssl_context
    )
    with pytest.raises(node_readiness.NodeReadinessError, match="cannot reach the API server"):
        closed.get("/api/v1/nodes")


def test_an_exec_plugin_user_is_not_run(cluster: Cluster) -> None:
    config = yaml.safe_load(cluster.kubeconfig.read_text(encoding="utf-8"))
    for entry in config["users"]:
        entry["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "x"}}
    with pytest.raises(node_readiness.UnsupportedKubeconfigError, match="plugin"):
        node_readiness.api_server([yaml.safe_dump(config)], config["current-context"])
