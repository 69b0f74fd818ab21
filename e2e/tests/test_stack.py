"""Each stack's rendered manifests on a real kube-apiserver, controller-manager and scheduler.

kwok plays the kubelets of msi-master and desktop-worker: it marks scheduled pods Running and
Ready and completes Job pods, so the controllers and the scheduler do their real work.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from functools import partial
from typing import Any

import pytest
import yaml
from conftest import Deployed
from kube import Cluster, Obj, label_selector, names, wait_until
from manifests import claim_names, dump, is_cluster_service, load, of_kind, stacks
from placement import ROLE_LABEL, allowed_on, constrains_role, pod_template, tolerates

CONTROL_PLANE_NODE = "msi-master"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _pods_of(cluster: Cluster, workload: Obj) -> list[Obj]:
    selector = label_selector(workload["spec"]["selector"]["matchLabels"])
    return cluster.items("pods", workload["metadata"]["namespace"], selector)


def test_api_server_accepts_every_object(deployed: Deployed) -> None:
    live = deployed.cluster.kubectl("get", "-f", "-", "-o", "json", stdin=dump(deployed.docs))
    found = {_key(obj) for obj in json.loads(live.stdout)["items"]}
    expected = {_key(obj) for obj in deployed.docs}
    assert expected - found == set(), f"applied but not found: {sorted(expected - found)}"
    # A warning for a restricted namespace means a pod template violating the profile: the
    # controllers' pods would then be rejected by admission.
    assert "PodSecurity" not in deployed.restricted_apply_stderr, deployed.restricted_apply_stderr


def test_app_namespaces_enforce_restricted(deployed: Deployed) -> None:
    restricted = deployed.restricted_namespaces
    assert restricted, "no namespace of the stack enforces the restricted Pod Security level"
    root_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "e2e-root-probe"},
        "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {}}]},
    }
    for namespace in restricted:
        proc = deployed.cluster.kubectl(
            "apply", "-n", namespace, "-f", "-", stdin=json.dumps(root_pod), check=False
        )
        assert proc.returncode != 0, f"a non-restricted pod was admitted into {namespace}"
        assert "violates PodSecurity" in proc.stderr, proc.stderr


def test_workloads_become_available_on_the_right_nodes(deployed: Deployed) -> None:
    """Every workload without a volume rolls out on a node it allows (cluster services
    included). Workloads with PersistentVolumeClaims: see the next test."""
    cluster = deployed.cluster
    workloads = [d for d in deployed.docs if d["kind"] in WORKLOADS and not claim_names(d)]
    assert workloads, "the stack has no Deployment/StatefulSet/DaemonSet"
    for workload in workloads:
        kind, namespace, name = _key(workload)
        cluster.kubectl(
            "rollout", "status", f"{kind.lower()}/{name}", "-n", namespace, "--timeout=120s"
        )
    nodes = {n["metadata"]["name"]: n for n in cluster.items("nodes")}
    for workload in workloads:
        template = pod_template(workload)
        if not is_cluster_service(workload):
            assert constrains_role(template), f"{names([workload])} does not pin {ROLE_LABEL}"
        pods = _pods_of(cluster, workload)
        assert pods, f"{names([workload])} has no pods"
        for pod in pods:
            pod_name, node_name = pod["metadata"]["name"], pod["spec"].get("nodeName")
            assert pod["status"]["phase"] == "Running", f"{pod_name} is not Running"
            assert node_name in nodes, f"{pod_name} is on unknown node {node_name}"
            node = nodes[node_name]
            assert allowed_on(pod["spec"], node["metadata"]["labels"]), (
                f"{pod_name} runs on {node_name}, which its node selector/affinity excludes"
            )
            assert tolerates(pod["spec"], node["spec"].get("taints", [])), (
                f"{pod_name} runs on {node_name} without tolerating its taints"
            )


def test_claims_get_the_default_class_and_a_node_for_the_provisioner(deployed: Deployed) -> None:
    """No pre-bound volumes: every claim gets the default StorageClass (local-path) from the
    admission plugin, and the scheduler picks the node of each claim's consumer
    (``volume.kubernetes.io/selected-node``, WaitForFirstConsumer) on a node the pod allows.
    Binding itself needs the provisioner's helper pod to create the directory on a real node:
    kwok runs no containers, so that step is proven only on a real cluster."""
    cluster = deployed.cluster
    nodes = {n["metadata"]["name"]: n for n in cluster.items("nodes")}
    consumers = [d for d in deployed.docs if d["kind"] in WORKLOADS and claim_names(d)]
    assert consumers, "every stack has a database or backup claim"
    for workload in consumers:
        namespace = workload["metadata"]["namespace"]
        for claim in claim_names(workload):

            def selected(claim: str = claim, namespace: str = namespace) -> str | None:
                pvc = cluster.get("pvc", claim, "-n", namespace)
                node: str | None = (
                    pvc["metadata"].get("annotations", {}).get("volume.kubernetes.io/selected-node")
                )
                return node

            wait_until(f"pvc {namespace}/{claim} to get a selected node", selected, timeout=90)
            pvc = cluster.get("pvc", claim, "-n", namespace)
            assert pvc["spec"]["storageClassName"] == "local-path", pvc["spec"]
            node = nodes[str(selected())]
            assert allowed_on(pod_template(workload), node["metadata"]["labels"])
    for pvc in cluster.items("pvc"):
        assert pvc["spec"].get("storageClassName") == "local-path", pvc["metadata"]


def test_cronjobs_pin_a_node_role(deployed: Deployed) -> None:
    for cronjob in of_kind(deployed.docs, "CronJob"):
        assert constrains_role(pod_template(cronjob)), f"{names([cronjob])} has no node role"


def test_etcd_backup_job_runs_on_the_control_plane(deployed: Deployed) -> None:
    cluster = deployed.cluster
    cronjobs = _etcd_backup_cronjobs(deployed.docs)
    if not cronjobs:
        # The etcd backup is cluster-wide and only one stack owns it (next test); the API server
        # must then hold no etcd backup CronJob at all for this stack.
        deployed_cronjobs = cluster.kubectl("get", "cronjobs", "-A", "-o", "name").stdout
        assert "etcd" not in deployed_cronjobs, deployed_cronjobs
        return
    for cronjob in cronjobs:
        _, namespace, name = _key(cronjob)
        job = f"{name}-e2e-manual"
        cluster.kubectl("create", "job", job, f"--from=cronjob/{name}", "-n", namespace)
        pod = wait_until(
            f"a scheduled pod of job {job}",
            partial(_scheduled_pod, cluster, namespace, f"job-name={job}"),
        )
        assert pod["spec"]["nodeName"] == CONTROL_PLANE_NODE
        assert pod["spec"].get("hostNetwork") is True
        cluster.kubectl(
            "wait", "--for=condition=Complete", f"job/{job}", "-n", namespace, "--timeout=60s"
        )


def test_exactly_one_stack_renders_the_etcd_backup() -> None:
    owners = [stack for stack in stacks() if _etcd_backup_cronjobs(load(stack))]
    assert len(owners) == 1, f"stacks rendering the etcd backup CronJob: {owners}"


def _etcd_backup_cronjobs(docs: list[Obj]) -> list[Obj]:
    return [c for c in of_kind(docs, "CronJob") if "etcd" in c["metadata"]["name"]]


def test_disruption_budgets_autoscalers_and_network_policies(deployed: Deployed) -> None:
    cluster = deployed.cluster
    for kind in ("PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"):
        assert of_kind(deployed.docs, kind), f"the stack renders no {kind}"
    for pdb in of_kind(deployed.docs, "PodDisruptionBudget"):
        _, namespace, name = _key(pdb)
        # The disruption controller counts the pods the budget covers: it must cover some.
        status = wait_until(
            f"PDB {namespace}/{name} to observe its pods",
            partial(_pdb_expected_pods, cluster, namespace, name),
        )
        assert status >= 1
    for hpa in of_kind(deployed.docs, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        namespace = hpa["metadata"]["namespace"]
        cluster.kubectl("get", f"{target['kind'].lower()}/{target['name']}", "-n", namespace)
    live = cluster.items("networkpolicies")
    assert {_key(p) for p in of_kind(deployed.docs, "NetworkPolicy")} <= {
        ("NetworkPolicy", p["metadata"]["namespace"], p["metadata"]["name"]) for p in live
    }


def test_secrets_are_encrypted_at_rest_with_secretbox(deployed: Deployed) -> None:
    secrets = of_kind(deployed.docs, "Secret")
    if not secrets:
        pytest.fail("the stack renders no Secret, so encryption at rest cannot be checked")
    config = yaml.safe_load((deployed.cluster.state_dir / "encryption-config.yaml").read_text())
    key_name = config["resources"][0]["providers"][0]["secretbox"]["keys"][0]["name"]
    for secret in secrets:
        _, namespace, name = _key(secret)
        raw = deployed.cluster.etcd_raw(f"/registry/secrets/{namespace}/{name}")
        assert raw.startswith(f"k8s:enc:secretbox:v1:{key_name}:".encode()), raw[:40]
        leaked = [v for v in secret_values(secret) if v in raw]
        assert not leaked, f"Secret {namespace}/{name} has plain values in etcd"


def test_backend_rolling_update_respects_max_unavailable(deployed: Deployed) -> None:
    cluster = deployed.cluster
    backends = [
        d for d in of_kind(deployed.docs, "Deployment") if "backend" in d["metadata"]["name"]
    ]
    assert backends, "the stack has no backend Deployment"
    backend = backends[0]
    _, namespace, name = _key(backend)
    rollout = ("rollout", "status", f"deployment/{name}", "-n", namespace, "--timeout=120s")
    cluster.kubectl(*rollout)
    live = cluster.get("deployment", name, "-n", namespace)
    replicas = live["spec"]["replicas"]
    floor = replicas - _max_unavailable(live["spec"]["strategy"]["rollingUpdate"], replicas)
    old_rs = {rs["metadata"]["name"] for rs in _replica_sets(cluster, backend)}

    available: list[int] = []  # status.availableReplicas after every write to the Deployment
    done = threading.Event()

    def record() -> None:
        for obj in cluster.watch("deployment", name, "-n", namespace):
            available.append(obj.get("status", {}).get("availableReplicas", 0))
            if done.is_set():
                return

    watcher = threading.Thread(target=record, daemon=True)
    watcher.start()
    wait_until("the deployment watch to start", lambda: available, timeout=30)
    stamp = str(time.time_ns())
    patch = {
        "spec": {"template": {"metadata": {"annotations": {"homecare.io/e2e-restart": stamp}}}}
    }
    cluster.kubectl("patch", "deployment", name, "-n", namespace, "-p", json.dumps(patch))
    cluster.kubectl(*rollout)
    done.set()
    # One more write so that the watch wakes up and sees `done`.
    cluster.kubectl(
        "annotate", "deployment", name, "-n", namespace, f"homecare.io/e2e-done={stamp}"
    )
    watcher.join(timeout=30)

    print(f"[{deployed.stack}] {name} availableReplicas during the rollout: {available}")
    assert len(available) >= 3, f"the watch saw too few updates: {available}"
    assert min(available) >= floor, (
        f"available replicas fell to {min(available)} < {floor} (replicas {replicas} minus"
        f" maxUnavailable) during the rollout; sequence: {available}"
    )
    new_rs = [rs for rs in _replica_sets(cluster, backend) if rs["metadata"]["name"] not in old_rs]
    assert len(new_rs) == 1, "the rollout did not create exactly one new ReplicaSet"
    new_hash = new_rs[0]["metadata"]["labels"]["pod-template-hash"]
    wait_until(
        "only pods of the new ReplicaSet to remain",
        lambda: all(
            p["metadata"]["labels"].get("pod-template-hash") == new_hash
            for p in _pods_of(cluster, backend)
        ),
    )


def _scheduled_pod(cluster: Cluster, namespace: str, selector: str) -> Obj | None:
    pods = cluster.items("pods", namespace, selector)
    return next((p for p in pods if p["spec"].get("nodeName")), None)


def secret_values(secret: Obj) -> list[bytes]:
    """The plain values of a rendered Secret (stringData as is, data base64-decoded)."""
    values = [v.encode() for v in secret.get("stringData", {}).values()]
    values += [base64.b64decode(v) for v in secret.get("data", {}).values()]
    return [v for v in values if len(v) >= 8]


def _pdb_expected_pods(cluster: Cluster, namespace: str, name: str) -> int | None:
    expected: int | None = (
        cluster.get("pdb", name, "-n", namespace).get("status", {}).get("expectedPods")
    )
    return expected


def _replica_sets(cluster: Cluster, workload: Obj) -> list[Obj]:
    selector = label_selector(workload["spec"]["selector"]["matchLabels"])
    return cluster.items("replicasets", workload["metadata"]["namespace"], selector)


def _max_unavailable(rolling_update: Obj, replicas: int) -> int:
    """maxUnavailable as a count, resolved as the deployment controller does."""

    def resolve(value: Any, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            scaled = replicas * int(value[:-1]) / 100
            return math.ceil(scaled) if round_up else math.floor(scaled)
        return int(value)

    surge = resolve(rolling_update.get("maxSurge", "25%"), round_up=True)
    unavailable = resolve(rolling_update.get("maxUnavailable", "25%"), round_up=False)
    return 1 if surge == 0 and unavailable == 0 else unavailable
