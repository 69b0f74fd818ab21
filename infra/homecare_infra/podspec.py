"""Building blocks shared by every workload: labels, restricted security contexts, probes,
resources, node placement and checkov waivers (as plain Kubernetes-shaped dicts)."""

from __future__ import annotations

from typing import Any

from homecare_infra.settings import ServiceSettings, Settings

APP_UID = 10001
"""Non-root UID of every homecare image (>= 10000, so it never maps to a host account)."""

ROLE_LABEL = "homecare.io/role"
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"

Obj = dict[str, Any]


def labels(settings: Settings, name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "homecare",
        "app.kubernetes.io/instance": f"homecare-{settings.env}",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def meta(name: str, namespace: str, labels: dict[str, str], **annotations: str) -> Obj:
    """ObjectMeta; annotations are passed as keyword arguments or a ``**dict``."""
    result: Obj = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        result["annotations"] = annotations
    return result


def selector(name: str) -> dict[str, str]:
    """The immutable subset of :func:`labels` used in selectors."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "homecare"}


def checkov_skips(reasons: dict[str, str]) -> dict[str, str]:
    """Inline checkov waivers: one ``checkov.io/skipN: CHECK=reason`` annotation per check."""
    return {
        f"checkov.io/skip{index}": f"{check}={reason}"
        for index, (check, reason) in enumerate(sorted(reasons.items()), start=1)
    }


IMAGE_WAIVERS = {
    "CKV_K8S_43": "images are built locally and side-loaded; the tag is the immutable git SHA",
    "CKV_K8S_15": "no registry on the air-gapped cluster: images are side-loaded, never pulled",
}
ENV_SECRET_WAIVER = {
    "CKV_K8S_35": "the apps read 12-factor HOMECARE_* settings from env; values come from Secrets",
}


def pod_security_context(uid: int = APP_UID) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(uid: int = APP_UID) -> Obj:
    """Pod Security Standard ``restricted``: non-root, no escalation, read-only root, drop ALL."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def bounded(
    cpu: str, memory: str, cpu_limit: str, memory_limit: str, disk: str, disk_limit: str
) -> Obj:
    """Requests and limits, ephemeral storage included: on the nodes' small disks an unbounded
    log or temp-file burst would get pods evicted unpredictably (the kubelet evicts the pods
    that exceed their own limit first)."""
    return {
        "requests": {"cpu": cpu, "memory": memory, "ephemeral-storage": disk},
        "limits": {"cpu": cpu_limit, "memory": memory_limit, "ephemeral-storage": disk_limit},
    }


def resources(spec: ServiceSettings) -> Obj:
    return bounded(
        spec.cpu_request,
        spec.memory_request,
        spec.cpu_limit,
        spec.memory_limit,
        spec.disk_request,
        spec.disk_limit,
    )


def http_probes(port_name: str, live_path: str = "/healthz", ready_path: str = "/readyz") -> Obj:
    """Startup gives a slow first boot up to 120 s; liveness then only restarts a hung process."""
    return {
        "startupProbe": {
            "httpGet": {"path": live_path, "port": port_name},
            "periodSeconds": 2,
            "failureThreshold": 60,
            "timeoutSeconds": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": live_path, "port": port_name},
            "periodSeconds": 10,
            "failureThreshold": 3,
            "timeoutSeconds": 2,
        },
        "readinessProbe": {
            "httpGet": {"path": ready_path, "port": port_name},
            "periodSeconds": 5,
            "failureThreshold": 2,
            "timeoutSeconds": 2,
        },
    }


def tmp_volume() -> tuple[Obj, Obj]:
    """A small writable /tmp: the root filesystem is read-only."""
    volume = {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
    mount = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108 - container path, not host
    return volume, mount


def control_plane_toleration() -> Obj:
    return {"key": CONTROL_PLANE_TAINT, "operator": "Exists", "effect": "NoSchedule"}


def app_placement(settings: Settings, name: str, replicas: int) -> Obj:
    """Stateless pods prefer their role's node; with ``spreadToControlPlane`` they may also run on
    the control plane, spread across both nodes so one node loss leaves a replica serving."""
    placement = settings.placement
    pod: Obj = {}
    if placement.spread_to_control_plane:
        pod["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "preference": {
                            "matchExpressions": [
                                {
                                    "key": ROLE_LABEL,
                                    "operator": "In",
                                    "values": [placement.app_role],
                                }
                            ]
                        },
                    }
                ],
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": ROLE_LABEL,
                                    "operator": "In",
                                    "values": ["worker", "control-plane"],
                                }
                            ]
                        }
                    ]
                },
            }
        }
        pod["tolerations"] = [control_plane_toleration()]
    else:
        pod["nodeSelector"] = {ROLE_LABEL: placement.app_role}
    if replicas >= 2:
        pod["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector(name)},
            }
        ]
    return pod
