"""The explicit NetworkPolicy allows on top of each namespace's default-deny."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings

PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
PUSHGATEWAY_PORT = 9091


def from_pods(*names: str) -> Obj:
    return {"podSelector": {"matchExpressions": [_name_in(names)]}}


def from_namespace(namespace: str) -> Obj:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def _name_in(names: tuple[str, ...]) -> Obj:
    return {"key": "app.kubernetes.io/name", "operator": "In", "values": sorted(names)}


def tcp(*ports: int) -> list[Obj]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def gateway_pods(settings: Settings) -> Obj:
    """Traefik's pods in the cluster stack's gateway namespace: the only way in from outside."""
    return {
        **from_namespace(settings.gateway.namespace),
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
    }


def internet_https() -> Obj:
    """Public HTTPS (Toss Payments, FCM, Web Push services), never the private networks."""
    return {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}],
        "ports": tcp(443),
    }


@dataclass
class PodRules:
    ingress: list[Obj] = field(default_factory=list)
    egress: list[Obj] = field(default_factory=list)


@dataclass(frozen=True)
class Ports:
    backend: int
    matching: int
    frontend: int
    worker_metrics: int
    postgres: int


def app_rules(settings: Settings, ports: Ports) -> dict[str, PodRules]:
    """Who may talk to whom in the app namespace, by ``app.kubernetes.io/name``."""
    monitoring = from_namespace(settings.monitoring_namespace)
    external_db = settings.database.mode == "external"
    db_target = (
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(ports.postgres)}
        if external_db
        else {"to": [from_pods("postgres")], "ports": tcp(ports.postgres)}
    )
    outside_https = settings.features.payments or settings.features.web_push
    outside_https = outside_https or settings.features.fcm_push
    edge_sources = [gateway_pods(settings)]
    rules = {
        "frontend": PodRules(ingress=[{"from": edge_sources, "ports": tcp(ports.frontend)}]),
        "backend": PodRules(
            ingress=[
                {"from": edge_sources, "ports": tcp(ports.backend)},
                {"from": [monitoring], "ports": tcp(ports.backend)},
                {"from": [from_pods("matching")], "ports": tcp(ports.backend)},
            ],
            egress=[db_target, {"to": [from_pods("matching")], "ports": tcp(ports.matching)}],
        ),
        "worker": PodRules(
            ingress=[{"from": [monitoring], "ports": tcp(ports.worker_metrics)}],
            egress=[db_target, {"to": [from_pods("matching")], "ports": tcp(ports.matching)}],
        ),
        "matching": PodRules(
            ingress=[
                {"from": [from_pods("backend", "worker")], "ports": tcp(ports.matching)},
                {"from": [monitoring], "ports": tcp(ports.matching)},
            ],
            egress=[db_target, {"to": [from_pods("backend")], "ports": tcp(ports.backend)}],
        ),
    }
    if outside_https:
        rules["backend"].egress.append(internet_https())
        rules["worker"].egress.append(internet_https())
    if settings.backups.postgres.enabled:
        backup = PodRules(egress=[db_target])
        if settings.backups.postgres.pushgateway_url:
            backup.egress.append({"to": [monitoring], "ports": tcp(PUSHGATEWAY_PORT)})
        rules["pg-backup"] = backup
    if not external_db:
        clients = ["backend", "matching", "worker"]
        if settings.backups.postgres.enabled:
            clients.append("pg-backup")
        rules["postgres"] = PodRules(
            ingress=[{"from": [from_pods(*clients)], "ports": tcp(ports.postgres)}]
        )
    return rules


class NetworkPolicies(pulumi.ComponentResource):
    """One NetworkPolicy per pod kind with exactly the traffic it needs."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        namespace: str,
        rules: dict[str, PodRules],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:platform:NetworkPolicies", name, None, opts)
        for pod, rule in sorted(rules.items()):
            spec: Obj = {
                "podSelector": {"matchLabels": podspec.selector(pod)},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": rule.ingress,
                "egress": rule.egress,
            }
            k8s.networking.v1.NetworkPolicy(
                f"{namespace}-allow-{pod}",
                metadata=podspec.meta(
                    f"allow-{pod}", namespace, podspec.labels(settings, pod, "network-policy")
                ),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
