"""Select the kubelet serving-certificate CSRs that may be approved, from `kubectl get csr -o json`.

With `serverTLSBootstrap: true` every kubelet asks for a serving certificate through a CSR with
signer kubernetes.io/kubelet-serving, which nothing approves by default. Approved here: pending
requests of that signer from `system:node:<name>` (in the group system:nodes) for a node of this
cluster, asking only for server-certificate usages. Anything else is left for a human.
"""

from __future__ import annotations

import json
from typing import Any

SIGNER = "kubernetes.io/kubelet-serving"
ALLOWED_USAGES = {"digital signature", "key encipherment", "server auth"}


def _is_pending(csr: dict[str, Any]) -> bool:
    conditions = csr.get("status", {}).get("conditions") or []
    return not any(c.get("type") in {"Approved", "Denied", "Failed"} for c in conditions)


def approvable_kubelet_csrs(csr_list: str | dict[str, Any], node_names: list[str]) -> list[str]:
    """Names of pending kubelet-serving CSRs from the given nodes, oldest first."""
    data = json.loads(csr_list) if isinstance(csr_list, str) else csr_list
    users = {f"system:node:{name}" for name in node_names}
    chosen = []
    for csr in data.get("items", []):
        spec = csr.get("spec", {})
        if (
            spec.get("signerName") == SIGNER
            and spec.get("username") in users
            and "system:nodes" in (spec.get("groups") or [])
            and set(spec.get("usages") or []) <= ALLOWED_USAGES
            and "server auth" in (spec.get("usages") or [])
            and _is_pending(csr)
        ):
            chosen.append(csr)
    chosen.sort(key=lambda c: c.get("metadata", {}).get("creationTimestamp", ""))
    return [c["metadata"]["name"] for c in chosen]


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"approvable_kubelet_csrs": approvable_kubelet_csrs}
