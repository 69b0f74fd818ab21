"""Ingress: the nginx class routes the app host to the frontend and the API host to the backend.

Bare metal has no LoadBalancer, so ``pulumi up`` must not wait for an address: the Ingress carries
``pulumi.com/skipAwait``. Without an ingress controller, ``ingress.nodePorts`` exposes both
services on fixed node ports instead.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings


def _rule(host: str, service: str, port: int) -> Obj:
    backend = {"service": {"name": service, "port": {"number": port}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    return {"host": host, "http": {"paths": [path]}}


def ingress_annotations(settings: Settings) -> dict[str, str]:
    annotations = {
        "pulumi.com/skipAwait": "true",
        "nginx.ingress.kubernetes.io/proxy-body-size": "10m",
        "nginx.ingress.kubernetes.io/ssl-redirect": str(settings.tls.mode != "none").lower(),
    }
    if settings.tls.mode == "certManager":
        annotations["cert-manager.io/cluster-issuer"] = settings.tls.cluster_issuer
    return annotations


class Ingress(pulumi.ComponentResource):
    """Ingress (+ optional NodePort Services); ``urls`` are the public entry points."""

    def __init__(
        self,
        settings: Settings,
        namespace: str,
        ports: dict[str, int],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:edge:Ingress", "ingress", None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ing = settings.ingress
        hosts = {"frontend": ing.app_host, "backend": ing.api_host}
        spec: Obj = {
            "ingressClassName": ing.class_name,
            "rules": [_rule(host, svc, ports[svc]) for svc, host in hosts.items()],
        }
        if settings.tls.mode != "none":
            spec["tls"] = [
                {"hosts": sorted(hosts.values()), "secretName": settings.tls.secret_name}
            ]
        self.ingress = k8s.networking.v1.Ingress(
            "homecare-ingress",
            metadata=podspec.meta(
                "homecare",
                namespace,
                podspec.labels(settings, "homecare", "ingress"),
                **ingress_annotations(settings),
            ),
            spec=spec,
            opts=child,
        )
        scheme = "https" if settings.tls.mode != "none" else "http"
        self.urls = {name: f"{scheme}://{host}" for name, host in hosts.items()}
        if ing.node_ports.enabled:
            node_ports = {"frontend": ing.node_ports.frontend, "backend": ing.node_ports.backend}
            for svc, node_port in node_ports.items():
                k8s.core.v1.Service(
                    f"{svc}-nodeport",
                    metadata=podspec.meta(
                        f"{svc}-nodeport", namespace, podspec.labels(settings, svc, "edge")
                    ),
                    spec=_node_port_spec(svc, ports[svc], node_port),
                    opts=child,
                )
                self.urls[f"{svc}NodePort"] = f"http://<node-ip>:{node_port}"
        self.register_outputs({"urls": self.urls})


def _node_port_spec(svc: str, port: int, node_port: int) -> Obj:
    return {
        "type": "NodePort",
        "selector": podspec.selector(svc),
        "ports": [{"name": "http", "port": port, "targetPort": "http", "nodePort": node_port}],
    }
