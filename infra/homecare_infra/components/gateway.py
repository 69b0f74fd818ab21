"""The stack's one origin: a Gateway API ``Gateway`` in the app namespace with its HTTPRoutes.

``https://<gateway.host>/`` goes to the frontend, ``/api/...`` to the backend with the ``/api``
prefix removed (the backend serves ``/v1/...``); matching is reached only through the backend.
Traefik (the cluster stack) implements the class; its entry points ``web`` (8000) and
``websecure`` (8443) are the listener ports, published as 80/443 on the edge node.

- HTTP -> HTTPS: with TLS on, the ``http`` listener only redirects (301); ACME HTTP-01 answers
  there too (cert-manager's solver route matches its exact path, which wins over ``/``).
- HSTS: a response header on every HTTPS route.
- Body size: Traefik's buffering middleware rejects larger requests with 413 before the backend;
  the SSE stream (``GET /api/v1/events``) skips it, since buffering would hold the stream's
  responses back. Streams stay open up to the entry point's read timeout (1 h, cluster stack);
  EventSource then reconnects with ``Last-Event-ID``.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.cluster.kube import KubeObject
from homecare_infra.components.network import gateway_pods
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings

GATEWAY_NAME = "homecare"
"""The cluster stack's ACME issuer answers HTTP-01 through the Gateway of this name."""
WEB_PORT = 8000
WEBSECURE_PORT = 8443
SSE_PATH = "/v1/events"
BODY_LIMIT = "body-limit"


def _gateway_spec(settings: Settings) -> Obj:
    host = settings.gateway.host
    listeners: list[Obj] = [
        {"name": "http", "protocol": "HTTP", "port": WEB_PORT, "hostname": host}
    ]
    if settings.tls.mode != "none":
        listeners.append(
            {
                "name": "https",
                "protocol": "HTTPS",
                "port": WEBSECURE_PORT,
                "hostname": host,
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"kind": "Secret", "name": settings.tls.secret_name}],
                },
            }
        )
    return {"gatewayClassName": settings.gateway.class_name, "listeners": listeners}


def _backend(name: str, port: int) -> list[Obj]:
    return [{"name": name, "port": port}]


def app_route_rules(settings: Settings, ports: dict[str, int]) -> list[Obj]:
    """``/api`` SSE (unbuffered), ``/api`` (body limit), ``/`` (frontend)."""
    strip_api = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
    }
    body_limit = {
        "type": "ExtensionRef",
        "extensionRef": {"group": "traefik.io", "kind": "Middleware", "name": BODY_LIMIT},
    }
    headers: list[Obj] = []
    if settings.tls.mode != "none":
        hsts = f"max-age={settings.gateway.hsts_max_age_seconds}; includeSubDomains"
        headers = [
            {
                "type": "ResponseHeaderModifier",
                "responseHeaderModifier": {
                    "set": [{"name": "Strict-Transport-Security", "value": hsts}]
                },
            }
        ]
    sse_rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": SSE_PATH}},
    }
    return [
        {
            "name": "events",
            "matches": [{"path": {"type": "Exact", "value": f"/api{SSE_PATH}"}, "method": "GET"}],
            "filters": [sse_rewrite, *headers],
            "backendRefs": _backend("backend", ports["backend"]),
        },
        {
            "name": "api",
            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
            "filters": [strip_api, body_limit, *headers],
            "backendRefs": _backend("backend", ports["backend"]),
        },
        {
            "name": "spa",
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "filters": headers,
            "backendRefs": _backend("frontend", ports["frontend"]),
        },
    ]


class AppGateway(pulumi.ComponentResource):
    """Gateway + HTTPRoutes (+ redirect, body-limit Middleware, Certificate); ``url`` is the
    public entry point."""

    def __init__(
        self,
        settings: Settings,
        namespace: str,
        ports: dict[str, int],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:edge:AppGateway", "gateway", None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = podspec.labels(settings, "homecare", "gateway")
        tls = settings.tls.mode != "none"

        def obj(api: str, kind: str, name: str, spec: Obj) -> KubeObject:
            body = {
                "apiVersion": api,
                "kind": kind,
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": spec,
            }
            return KubeObject(f"{kind.lower()}-{name}", body, child)

        if settings.tls.mode == "certManager":
            # cert-manager's HTTP-01 solver pods answer in this namespace, reached via Traefik.
            k8s.networking.v1.NetworkPolicy(
                f"{namespace}-allow-acme-solver",
                metadata={"name": "allow-acme-solver", "namespace": namespace, "labels": labels},
                spec={
                    "podSelector": {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [gateway_pods(settings)],
                            "ports": [{"protocol": "TCP", "port": 8089}],
                        }
                    ],
                },
                opts=child,
            )
            obj(
                "cert-manager.io/v1",
                "Certificate",
                settings.tls.secret_name,
                {
                    "secretName": settings.tls.secret_name,
                    "dnsNames": [settings.gateway.host],
                    "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                    "issuerRef": {
                        "group": "cert-manager.io",
                        "kind": "ClusterIssuer",
                        "name": settings.tls.cluster_issuer,
                    },
                },
            )
        gateway = GATEWAY_NAME
        obj("gateway.networking.k8s.io/v1", "Gateway", gateway, _gateway_spec(settings))
        obj(
            "traefik.io/v1alpha1",
            "Middleware",
            BODY_LIMIT,
            {"buffering": {"maxRequestBodyBytes": settings.gateway.max_body_bytes}},
        )
        section = "https" if tls else "http"
        parent = {"name": gateway, "sectionName": section}
        obj(
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            "homecare",
            {
                "parentRefs": [parent],
                "hostnames": [settings.gateway.host],
                "rules": app_route_rules(settings, ports),
            },
        )
        if tls:
            redirect = {
                "type": "RequestRedirect",
                "requestRedirect": {"scheme": "https", "statusCode": 301},
            }
            obj(
                "gateway.networking.k8s.io/v1",
                "HTTPRoute",
                "https-redirect",
                {
                    "parentRefs": [{"name": gateway, "sectionName": "http"}],
                    "hostnames": [settings.gateway.host],
                    "rules": [{"filters": [redirect]}],
                },
            )
        self.url = f"{'https' if tls else 'http'}://{settings.gateway.host}/"
        self.register_outputs({"url": self.url})
