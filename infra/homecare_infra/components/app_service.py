"""AppService: one stateless workload with everything it needs to roll out safely.

Deployment + ServiceAccount (no token) + ConfigMap (non-secret env) + Service + PDB + HPA.
Secrets reach the pod only as ``secretKeyRef`` env entries, never as literals.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.monitoring.targets import scrape_labels
from homecare_infra.podspec import Obj
from homecare_infra.settings import ServiceSettings, Settings

PRESTOP_SLEEP_SECONDS = 5
"""Endpoint removal propagates to ingress/kube-proxy before SIGTERM arrives."""
GRACE_PERIOD_SECONDS = 40
"""Counts from preStop: 5 s sleep + up to 35 s to drain in-flight requests."""


@dataclass(frozen=True)
class SecretEnv:
    """``env_name`` read from key ``key`` of Secret ``secret_name``."""

    env_name: str
    secret_name: str
    key: str


@dataclass(frozen=True)
class AppSpec:
    name: str
    component: str
    image: str
    scale: ServiceSettings
    command: list[str]
    port: int | None = None
    config: dict[str, str] = field(default_factory=dict)
    secret_env: list[SecretEnv] = field(default_factory=list)
    init_containers: list[Obj] = field(default_factory=list)
    probes: Obj | None = None
    """Defaults to HTTP probes on /healthz and /readyz of ``port``."""
    autoscale: bool = True
    scrape: bool = False
    """Label the Service for the cluster's Prometheus (``homecare_infra.monitoring.targets``)."""


class AppService(pulumi.ComponentResource):
    """A stateless workload of the platform (backend, matching, frontend, worker)."""

    def __init__(
        self,
        spec: AppSpec,
        settings: Settings,
        namespace: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:app:AppService", spec.name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        meta = {
            "namespace": namespace,
            "labels": podspec.labels(settings, spec.name, spec.component),
        }
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{spec.name}-sa",
            metadata={**meta, "name": spec.name},
            automount_service_account_token=False,
            opts=child,
        )
        self.config_map = k8s.core.v1.ConfigMap(
            f"{spec.name}-config",
            metadata={**meta, "name": f"{spec.name}-config"},
            data=spec.config,
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            spec.name,
            metadata={
                **meta,
                "name": spec.name,
                "annotations": podspec.checkov_skips(
                    {**podspec.IMAGE_WAIVERS, **podspec.ENV_SECRET_WAIVER}
                ),
            },
            spec=self._deployment_spec(spec, settings),
            # The pods need both; created first, the ReplicaSet fails its pods with FailedCreate
            # ("serviceaccount not found") until the account exists.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.config_map, self.service_account]
            ),
        )
        self.service: k8s.core.v1.Service | None = None
        if spec.port is not None:
            service_labels = {
                **podspec.labels(settings, spec.name, spec.component),
                **(scrape_labels(settings.env) if spec.scrape else {}),
            }
            self.service = k8s.core.v1.Service(
                f"{spec.name}-svc",
                metadata={**meta, "name": spec.name, "labels": service_labels},
                spec={
                    "type": "ClusterIP",
                    "selector": podspec.selector(spec.name),
                    "ports": [{"name": "http", "port": spec.port, "targetPort": "http"}],
                },
                opts=child,
            )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            f"{spec.name}-pdb",
            metadata={**meta, "name": spec.name},
            spec={
                "selector": {"matchLabels": podspec.selector(spec.name)},
                # One replica: never block a node drain; two or more: always keep one serving.
                **({"minAvailable": 1} if spec.scale.replicas >= 2 else {"maxUnavailable": 1}),
                # Pods that are not Ready (e.g. the backend while the database is drained away)
                # may always be evicted, so a drain never deadlocks on them.
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
            },
            opts=child,
        )
        self.hpa: k8s.autoscaling.v2.HorizontalPodAutoscaler | None = None
        if spec.autoscale:
            self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{spec.name}-hpa",
                metadata={**meta, "name": spec.name},
                spec={
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": spec.name,
                    },
                    "minReplicas": spec.scale.replicas,
                    "maxReplicas": spec.scale.max_replicas,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 70},
                            },
                        }
                    ],
                },
                opts=child,
            )
        self.register_outputs({"deployment": self.deployment.metadata["name"]})

    @staticmethod
    def _container(spec: AppSpec) -> Obj:
        tmp_volume, tmp_mount = podspec.tmp_volume()
        del tmp_volume
        container: Obj = {
            "name": spec.name,
            "image": spec.image,
            "command": spec.command,
            "envFrom": [{"configMapRef": {"name": f"{spec.name}-config"}}],
            "env": [
                {
                    "name": item.env_name,
                    "valueFrom": {"secretKeyRef": {"name": item.secret_name, "key": item.key}},
                }
                for item in spec.secret_env
            ],
            "resources": podspec.resources(spec.scale),
            "securityContext": podspec.container_security_context(),
            "volumeMounts": [tmp_mount],
            "lifecycle": {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_SECONDS}}},
        }
        if spec.port is not None:
            container["ports"] = [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}]
        probes = spec.probes if spec.probes is not None else podspec.http_probes("http")
        container.update(probes)
        return container

    def _deployment_spec(self, spec: AppSpec, settings: Settings) -> Obj:
        tmp_volume, _ = podspec.tmp_volume()
        config_hash = hashlib.sha256(json.dumps(spec.config, sort_keys=True).encode()).hexdigest()[
            :16
        ]
        pod_spec: Obj = {
            "serviceAccountName": spec.name,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": GRACE_PERIOD_SECONDS,
            "securityContext": podspec.pod_security_context(),
            "initContainers": spec.init_containers,
            "containers": [self._container(spec)],
            "volumes": [tmp_volume],
            **podspec.app_placement(settings, spec.name, spec.scale.replicas),
        }
        template_labels = podspec.labels(settings, spec.name, spec.component)
        deployment: dict[str, Any] = {
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": podspec.selector(spec.name)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {
                    "labels": template_labels,
                    "annotations": {"homecare.io/config-hash": config_hash},
                },
                "spec": pod_spec,
            },
        }
        if not spec.autoscale:
            # With an HPA the field stays unset: the HPA owns the count, and a `pulumi up`
            # (server-side apply) then never resets what the autoscaler chose.
            deployment["replicas"] = spec.scale.replicas
        return deployment
