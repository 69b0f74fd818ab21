"""Helpers for asserting over captured Kubernetes objects."""

from __future__ import annotations

from typing import Any

from homecare_infra.mocks import CapturedResource, MockedRun

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "CronJob")
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def pod_spec(resource: CapturedResource) -> dict[str, Any]:
    spec = resource.inputs["spec"]
    if resource.kind == "CronJob":
        return dict(spec["jobTemplate"]["spec"]["template"]["spec"])
    return dict(spec["template"]["spec"])


def containers(resource: CapturedResource) -> list[dict[str, Any]]:
    pod = pod_spec(resource)
    return list(pod.get("initContainers", [])) + list(pod["containers"])


def workloads(run: MockedRun) -> list[CapturedResource]:
    return [r for r in run.kubernetes if r.kind in WORKLOAD_KINDS]


def namespace_labels(run: MockedRun, namespace: str) -> dict[str, str]:
    return dict(run.named("Namespace", namespace).metadata["labels"])


def restricted_violations(resource: CapturedResource) -> list[str]:
    """What Pod Security Standard ``restricted`` would reject in this workload's pod."""
    pod = pod_spec(resource)
    name = f"{resource.kind}/{resource.metadata['name']}"
    problems: list[str] = []
    pod_ctx = pod.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(f"{name}: {flag}")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"{name}: volume {volume['name']} uses {kinds}")
    for c in containers(resource):
        problems += _container_violations(f"{name}/{c['name']}", c, pod_ctx)
    return problems


def _container_violations(where: str, c: dict[str, Any], pod_ctx: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    ctx = c.get("securityContext", {})
    if ctx.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation must be false")
    if ctx.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append(f"{where}: capabilities.drop must be [ALL]")
    if set(ctx.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
        problems.append(f"{where}: adds capabilities")
    non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
    if non_root is not True:
        problems.append(f"{where}: runAsNonRoot must be true")
    if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
        problems.append(f"{where}: runAsUser 0")
    seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {}))
    if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
        problems.append(f"{where}: seccompProfile must be RuntimeDefault")
    if ctx.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem must be true")
    if c.get("ports") and any("hostPort" in p for p in c["ports"]):
        problems.append(f"{where}: hostPort")
    return problems


def service_account_order_violations(run: MockedRun) -> list[str]:
    """Pod controllers (DaemonSets too) created before the ServiceAccount their pods run as.

    The engine creates a resource only after its dependencies; without one, a controller that
    wins the race fails its pods with FailedCreate ("serviceaccount not found") until the
    account exists. Accounts the run does not declare (``default``) are not checked.
    """
    accounts = {
        (r.metadata.get("namespace"), r.metadata.get("name")): r.name
        for r in run.of_kind("ServiceAccount")
    }
    problems = []
    for workload in [*workloads(run), *run.of_kind("DaemonSet")]:
        account = pod_spec(workload).get("serviceAccountName")
        key = (workload.metadata.get("namespace"), account)
        if key in accounts and accounts[key] not in workload.depends_on:
            problems.append(f"{workload.kind} {workload.name} before ServiceAccount {account}")
    return problems
