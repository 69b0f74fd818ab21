"""A stand-in for local-path-provisioner's volume creation, for the kwok cluster of Layer 2.

The cluster stack deploys the real provisioner, but kwok runs no containers, so its controller
never acts and every claim of the `local-path` class would stay Pending (`pulumi up` then waits on
the StatefulSets until it times out). This thread does what the provisioner does once the
scheduler has picked a node for a claim's pod (`volume.kubernetes.io/selected-node`, set because
the class is WaitForFirstConsumer): it creates a hostPath PersistentVolume pinned to that node,
named and annotated as the provisioner names it, with the claim in `claimRef`; the real
PV controller then binds the pair and the scheduler binds the pod. Nothing is created before the
scheduler asks, so this is dynamic provisioning, not a pre-bound volume.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from kube import Cluster, KubectlError
from manifests import dump

PROVISIONER = "rancher.io/local-path"
SELECTED_NODE = "volume.kubernetes.io/selected-node"


def volume_for(claim: dict[str, Any], storage_class: dict[str, Any]) -> dict[str, Any]:
    meta, spec = claim["metadata"], claim["spec"]
    node = meta["annotations"][SELECTED_NODE]
    name = f"pvc-{meta['uid']}"
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "annotations": {
                "pv.kubernetes.io/provisioned-by": PROVISIONER,
                "local.path.provisioner/selected-node": node,
            },
        },
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "accessModes": spec["accessModes"],
            "volumeMode": spec.get("volumeMode", "Filesystem"),
            "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
            "storageClassName": storage_class["metadata"]["name"],
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
            "hostPath": {
                "path": f"/var/lib/homecare/local-path/{name}_{meta['namespace']}_{meta['name']}",
                "type": "DirectoryOrCreate",
            },
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            },
        },
    }


class LocalPathStandIn:
    """Poll the claims once a second and provision the ones the scheduler placed."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.provisioned: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="local-path-stand-in", daemon=True)

    def __enter__(self) -> LocalPathStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.provision_pending()
            except (KubectlError, json.JSONDecodeError, KeyError):
                continue  # the apiserver may be busy or shutting down; try again

    def provision_pending(self) -> None:
        classes = {
            c["metadata"]["name"]: c
            for c in self.cluster.items("storageclasses")
            if c.get("provisioner") == PROVISIONER
        }
        for claim in self.cluster.items("persistentvolumeclaims"):
            meta = claim["metadata"]
            storage_class = classes.get(claim["spec"].get("storageClassName", ""))
            if (
                storage_class is None
                or claim.get("status", {}).get("phase") != "Pending"
                or claim["spec"].get("volumeName")
                or SELECTED_NODE not in meta.get("annotations", {})
            ):
                continue
            volume = volume_for(claim, storage_class)
            created = self.cluster.kubectl("create", "-f", "-", stdin=dump([volume]), check=False)
            if created.returncode == 0:
                self.provisioned.append(f"{meta['namespace']}/{meta['name']}")
