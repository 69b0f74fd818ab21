"""NetworkPolicy enforcement for flannel, which implements none: ``kube-network-policies`` (SIG
Network) on every node, filtering pod traffic through nfqueue.

Flannel itself is Ansible's (control_plane role); its ``--iface=$(NODE_IP)`` ties the pod network
to the pinned node IP (see docs/runbooks/bootstrap.md). The agent needs NRI, which containerd 2.x
enables by default.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra.cluster import common, kube, upstream
from homecare_infra.cluster.versions import NETWORK_POLICIES

NAMESPACE = "kube-system"
SELECTOR = {"k8s-app": "kube-network-policies"}


class NetworkPolicyEnforcer(pulumi.ComponentResource):
    def __init__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            "homecare:cluster:NetworkPolicyEnforcer", "kube-network-policies", None, opts
        )
        labels = {
            **common.addon_labels("kube-network-policies", NETWORK_POLICIES.version),
            **SELECTOR,
        }
        rbac = [d for d in upstream.documents(NETWORK_POLICIES) if d["kind"] != "DaemonSet"]
        declared = kube.declare(rbac, self, NAMESPACE)
        self.daemonset = k8s.apps.v1.DaemonSet(
            "kube-network-policies",
            metadata={
                "name": "kube-network-policies",
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": common.checkov(
                    {
                        **common.UPSTREAM_IMAGE_WAIVERS,
                        "CKV_K8S_16": "programs nftables/nfqueue in the host network namespace",
                        "CKV_K8S_19": "filters the node's pod traffic: host network by design",
                        "CKV_K8S_20": "privileged: nftables and nfqueue need it",
                        "CKV_K8S_23": "privileged: nftables and nfqueue need it",
                        "CKV_K8S_28": "NET_ADMIN is its job (nftables rules)",
                        "CKV_K8S_37": "NET_ADMIN is its job (nftables rules)",
                        "CKV_K8S_38": "watches pods, namespaces and NetworkPolicies with its token",
                        "CKV_K8S_39": "NET_ADMIN is its job (nftables rules)",
                        "CKV_K8S_40": "privileged agent (upstream runs it as root)",
                        "CKV_K8S_8": "upstream exposes no health endpoint",
                        "CKV_K8S_9": "upstream exposes no health endpoint",
                        "CKV_K8S_22": "privileged agent: root FS as upstream builds it",
                        "CKV_K8S_29": "privileged agent: pod security context set by design",
                        "CKV_K8S_30": "privileged agent: container security context set by design",
                        "CKV_K8S_31": "privileged agent: runs unconfined like upstream",
                        "CKV_K8S_25": "NET_ADMIN is its job (nftables rules)",
                    }
                ),
            },
            spec=_daemonset_spec(labels),
            opts=pulumi.ResourceOptions(parent=self, depends_on=declared),
        )
        # Host-network pods are outside NetworkPolicy; this deny-all documents that nothing
        # should reach the agent should it ever leave the host network.
        common.ingress_policy("kube-network-policies", NAMESPACE, SELECTOR, [], self)
        self.register_outputs({"version": NETWORK_POLICIES.version})


def _daemonset_spec(labels: dict[str, str]) -> common.Obj:
    return {
        "selector": {"matchLabels": SELECTOR},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "hostNetwork": True,
                "dnsPolicy": "ClusterFirst",
                "priorityClassName": "system-node-critical",
                "serviceAccountName": "kube-network-policies",
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                "containers": [
                    {
                        "name": "kube-network-policies",
                        "image": NETWORK_POLICIES.images[0],
                        "imagePullPolicy": "IfNotPresent",
                        "args": [
                            "/bin/netpol",
                            "--hostname-override=$(MY_NODE_NAME)",
                            "--v=2",
                            "--nfqueue-id=98",
                        ],
                        "env": [
                            {
                                "name": "MY_NODE_NAME",
                                "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                            }
                        ],
                        "resources": common.resources("100m", "50Mi", "500m", "256Mi", "64Mi"),
                        "securityContext": {
                            "privileged": True,
                            "capabilities": {"add": ["NET_ADMIN"]},
                        },
                        "volumeMounts": [
                            {"name": "nri-plugin", "mountPath": "/var/run/nri"},
                            {
                                "name": "netns",
                                "mountPath": "/var/run/netns",
                                "mountPropagation": "HostToContainer",
                            },
                        ],
                    }
                ],
                "volumes": [
                    {"name": "nri-plugin", "hostPath": {"path": "/var/run/nri"}},
                    {"name": "netns", "hostPath": {"path": "/var/run/netns"}},
                ],
            },
        },
    }
