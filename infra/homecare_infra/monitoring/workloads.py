"""Pod and workload building blocks of the monitoring stack (plain dicts for pulumi_kubernetes)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from homecare_infra.monitoring.settings import MonitoringSettings, Resources
from homecare_infra.podspec import (
    CONTROL_PLANE_TAINT,
    container_security_context,
    pod_security_context,
)

Obj = dict[str, Any]
ROLE_LABEL = "homecare.io/role"


def labels(name: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "homecare-monitoring",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def checksum(*parts: object) -> str:
    """Pod-template annotation that rolls the pods when their configuration changes."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def container_security(uid: int) -> Obj:
    return container_security_context(uid)


def pod_security(uid: int) -> Obj:
    return pod_security_context(uid)


def http_probes(port: int | str, ready: str, live: str | None = None) -> Obj:
    return {
        "readinessProbe": {
            "httpGet": {"path": ready, "port": port},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": live or ready, "port": port},
            "initialDelaySeconds": 30,
            "periodSeconds": 20,
            "failureThreshold": 6,
        },
    }


def container(
    name: str,
    image: str,
    args: list[str],
    ports: dict[str, int],
    resources: Resources,
    uid: int,
    **extra: Any,
) -> Obj:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "ports": [{"name": port, "containerPort": number} for port, number in ports.items()],
        "resources": resources.spec(),
        "securityContext": container_security(uid),
        **extra,
    }


def pod_spec(
    settings: MonitoringSettings,
    service_account: str,
    containers: list[Obj],
    volumes: list[Obj],
    uid: int,
    *,
    token: bool = False,
    placed: bool = True,
) -> Obj:
    """Restricted pod; ``placed`` pins it to the node role holding the monitoring volumes."""
    spec: Obj = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": token,
        "securityContext": pod_security(uid),
        "containers": containers,
        "volumes": volumes,
    }
    if placed:
        spec["nodeSelector"] = {ROLE_LABEL: settings.placement_role}
        if settings.placement_role == "control-plane":
            spec["tolerations"] = [control_plane_toleration()]
    return spec


def control_plane_toleration() -> Obj:
    return {"key": CONTROL_PLANE_TAINT, "operator": "Exists", "effect": "NoSchedule"}


def volume_claim(name: str, size: str, storage_class: str) -> Obj:
    spec: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"metadata": {"name": name}, "spec": spec}
