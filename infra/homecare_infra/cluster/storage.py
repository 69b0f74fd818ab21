"""Default StorageClass from local-path-provisioner: every PVC binds to a directory on the node
its pod is scheduled to (``WaitForFirstConsumer``)."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import yaml

from homecare_infra.cluster import common, kube, upstream
from homecare_infra.cluster.settings import StorageSettings
from homecare_infra.cluster.versions import LOCAL_PATH

NAMESPACE = "local-path-storage"
PROVISIONER = "rancher.io/local-path"
HELPER_IMAGE = LOCAL_PATH.images[1]


def helper_pod() -> str:
    """The pod the provisioner starts on the volume's node to create/remove the directory (root,
    hostPath: the reason its namespace enforces ``privileged``)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "helper-pod"},
        "spec": {
            "priorityClassName": "system-node-critical",
            "tolerations": [
                {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
                *common.control_plane_tolerations(),
            ],
            "containers": [
                {
                    "name": "helper-pod",
                    "image": HELPER_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "resources": common.resources("10m", "16Mi", "100m", "32Mi", "16Mi"),
                }
            ],
        },
    }
    return yaml.safe_dump(pod, sort_keys=False)


# A local-path volume is a hostPath: the kubelet applies no fsGroup to it, and the pods that use
# one run as several non-root UIDs (10001 for the apps, the monitoring images' own), so the
# volume directory is writable by all, as upstream's default (a 0770 root-owned one left
# PostgreSQL unable to create its data directory). Its parent is traverse-only for other users:
# no one else on the node lists the volumes.
SETUP_SCRIPT = """#!/bin/sh
set -eu
mkdir -p "$(dirname "$VOL_DIR")"
chmod 0711 "$(dirname "$VOL_DIR")"
mkdir -m 0777 -p "$VOL_DIR"
"""


class LocalPathStorage(pulumi.ComponentResource):
    """Namespace, upstream RBAC, the provisioner Deployment, its config and the default class."""

    def __init__(self, settings: StorageSettings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("homecare:cluster:LocalPathStorage", "local-path", None, opts)
        ns = common.addon_namespace(
            NAMESPACE,
            "privileged",
            self,
            "the provisioner's helper pods create volume directories through a hostPath as root",
        )
        rbac_kinds = {"ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
        docs = [d for d in upstream.documents(LOCAL_PATH) if d["kind"] in rbac_kinds]
        rbac = kube.declare(docs, self, NAMESPACE, depends_on=[ns])
        child = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        labels = common.addon_labels("local-path-provisioner", LOCAL_PATH.version)
        every_node = {"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": [settings.path]}
        config = {"nodePathMap": [every_node]}
        k8s.core.v1.ConfigMap(
            "local-path-config",
            metadata={"name": "local-path-config", "namespace": NAMESPACE, "labels": labels},
            data={
                "config.json": json.dumps(config, indent=2),
                "setup": SETUP_SCRIPT,
                "teardown": '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
                "helperPod.yaml": helper_pod(),
            },
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            "local-path-provisioner",
            metadata={
                "name": "local-path-provisioner",
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": common.checkov(
                    {
                        **common.UPSTREAM_IMAGE_WAIVERS,
                        "CKV_K8S_8": "a controller without an HTTP endpoint to probe",
                        "CKV_K8S_38": "it watches PVCs and creates PVs with its token",
                        "CKV_K8S_9": "a controller without an HTTP endpoint to probe",
                    }
                ),
            },
            spec=_provisioner_spec(labels),
            # Its ServiceAccount and RBAC first: a controller started before them fails its pods
            # (FailedCreate) or its first API calls (forbidden).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, *rbac]),
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            "default-storage-class",
            metadata={
                "name": settings.class_name,
                "labels": labels,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner=PROVISIONER,
            volume_binding_mode="WaitForFirstConsumer",
            reclaim_policy=settings.reclaim_policy,
            opts=child,
        )
        common.ingress_policy(
            "local-path-provisioner",
            NAMESPACE,
            {"app.kubernetes.io/name": "local-path-provisioner"},
            [],
            self,
            [ns],
        )
        self.register_outputs({"storageClass": settings.class_name})


def _provisioner_spec(labels: dict[str, str]) -> common.Obj:
    selector = {"app.kubernetes.io/name": "local-path-provisioner"}
    return {
        "replicas": 1,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": "local-path-provisioner-service-account",
                "securityContext": common.restricted_pod(),
                "tolerations": common.control_plane_tolerations(),
                "containers": [
                    {
                        "name": "local-path-provisioner",
                        "image": LOCAL_PATH.images[0],
                        "imagePullPolicy": "IfNotPresent",
                        "command": [
                            "local-path-provisioner",
                            "start",
                            "--config",
                            "/etc/config/config.json",
                            "--helper-image",
                            HELPER_IMAGE,
                        ],
                        "env": [
                            {
                                "name": "POD_NAMESPACE",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                            },
                            {"name": "CONFIG_MOUNT_PATH", "value": "/etc/config/"},
                        ],
                        "resources": common.resources("10m", "32Mi", "200m", "128Mi", "64Mi"),
                        "securityContext": common.restricted_container(),
                        "volumeMounts": [{"name": "config", "mountPath": "/etc/config/"}],
                    }
                ],
                "volumes": [{"name": "config", "configMap": {"name": "local-path-config"}}],
            },
        },
    }
