"""cert-manager (controller only) and the ClusterIssuers the app stacks use.

- ``homecare-ca``: a self-signed root (``homecare-selfsigned`` issues it once, kept in the Secret
  ``homecare-ca`` in the cert-manager namespace) that signs dev/staging certificates. Browsers
  trust it after the operator imports ``ca.crt`` (runbook).
- ``homecare-acme``: Let's Encrypt (or ``tls.acmeServer``) over HTTP-01, answered through the
  Gateway ``homecare`` the prod stack declares (solver HTTPRoute attached to its ``http``
  listener).

Not deployed: the webhook and the CA injector. cert-manager's CRDs are v1-only (no conversion
webhook); the webhook adds validation beyond the CRD schemas, which the controller repeats when
it reconciles (a bad object gets ``Ready=False`` with the reason). See
docs/decisions/cluster-services.md.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import yaml

from homecare_infra.cluster import common, kube, upstream
from homecare_infra.cluster.gateway import GatewayApiCrds
from homecare_infra.cluster.settings import ClusterSettings
from homecare_infra.cluster.versions import CERT_MANAGER

SERVICE_ACCOUNT = "cert-manager"
CA_SECRET = "homecare-ca"  # noqa: S105 - a Secret name
SELF_SIGNED = "homecare-selfsigned"


def controller_config() -> str:
    config = {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
        # HTTP-01 answers through HTTPRoutes and Certificates for Gateway listeners.
        "gatewayAPI": {"enabled": True},
        "enableCertificateOwnerRef": True,
    }
    return yaml.safe_dump(config, sort_keys=True)


class CertManager(pulumi.ComponentResource):
    def __init__(
        self,
        settings: ClusterSettings,
        gateway_crds: GatewayApiCrds,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:cluster:CertManager", "cert-manager", None, opts)
        tls = settings.tls
        ns = common.addon_namespace(tls.namespace, "restricted", self)
        docs = upstream.documents(CERT_MANAGER)
        crds = kube.declare([d for d in docs if d["kind"] == "CustomResourceDefinition"], self)
        rbac = [d for d in docs if d["kind"] != "CustomResourceDefinition"]
        declared_rbac = kube.declare(rbac, self, depends_on=[ns])
        labels = common.addon_labels("cert-manager", CERT_MANAGER.version)
        child = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        account = k8s.core.v1.ServiceAccount(
            "cert-manager-sa",
            metadata={"name": SERVICE_ACCOUNT, "namespace": tls.namespace, "labels": labels},
            opts=child,
        )
        k8s.core.v1.ConfigMap(
            "cert-manager-config",
            metadata={"name": "cert-manager", "namespace": tls.namespace, "labels": labels},
            data={"config.yaml": controller_config()},
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            "cert-manager",
            metadata={
                "name": "cert-manager",
                "namespace": tls.namespace,
                "labels": labels,
                "annotations": common.checkov(
                    {
                        **common.UPSTREAM_IMAGE_WAIVERS,
                        "CKV_K8S_38": "the controller manages certificates with its token",
                    }
                ),
            },
            spec=_deployment_spec(tls.namespace, labels),
            # Its ServiceAccount and RBAC first (else FailedCreate, then forbidden API calls).
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[ns, *crds, gateway_crds, account, *declared_rbac],
            ),
        )
        common.ingress_policy(
            "cert-manager",
            tls.namespace,
            {"app.kubernetes.io/name": "cert-manager"},
            [
                {"ports": common.tcp(9403)},  # health, for the kubelet's probes
                {"from": [common.from_monitoring()], "ports": common.tcp(9402)},
            ],
            self,
            [ns],
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*crds, self.deployment])
        self.issuers = _issuers(settings, labels, after_crds)
        self.register_outputs(
            {"version": CERT_MANAGER.version, "issuers": [i for i, _ in self.issuers]}
        )


def _issuers(
    settings: ClusterSettings, labels: dict[str, str], opts: pulumi.ResourceOptions
) -> list[tuple[str, kube.KubeObject]]:
    tls = settings.tls

    def issuer(name: str, spec: common.Obj) -> tuple[str, kube.KubeObject]:
        obj = {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": name, "labels": labels},
            "spec": spec,
        }
        return name, kube.KubeObject(f"clusterissuer-{name}", obj, opts)

    declared = [issuer(SELF_SIGNED, {"selfSigned": {}})]
    root = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": CA_SECRET, "namespace": tls.namespace, "labels": labels},
        "spec": {
            "isCA": True,
            "commonName": "homecare cluster CA",
            "secretName": CA_SECRET,
            "duration": "87600h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Never"},
            "issuerRef": {"name": SELF_SIGNED, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
    }
    kube.KubeObject("certificate-homecare-ca", root, opts)
    declared.append(issuer(tls.ca_issuer, {"ca": {"secretName": CA_SECRET}}))
    if settings.acme:
        solver = {
            "http01": {
                "gatewayHTTPRoute": {
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": tls.solver_gateway,
                            "sectionName": "http",
                        }
                    ]
                }
            }
        }
        acme = {
            "acme": {
                "server": tls.acme_server,
                "email": tls.acme_email,
                "privateKeySecretRef": {"name": f"{tls.acme_issuer}-account"},
                "solvers": [solver],
            }
        }
        declared.append(issuer(tls.acme_issuer, acme))
    return declared


def _deployment_spec(namespace: str, labels: dict[str, str]) -> common.Obj:
    selector = {"app.kubernetes.io/name": "cert-manager"}
    health = {"httpGet": {"path": "/livez", "port": "http-healthz"}, "periodSeconds": 10}
    return {
        "replicas": 1,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": SERVICE_ACCOUNT,
                "securityContext": common.restricted_pod(),
                "containers": [
                    {
                        "name": "cert-manager-controller",
                        "image": CERT_MANAGER.images[0],
                        "imagePullPolicy": "IfNotPresent",
                        "args": [
                            "--v=2",
                            "--config=/var/cert-manager/config/config.yaml",
                            "--cluster-resource-namespace=$(POD_NAMESPACE)",
                            "--leader-election-namespace=kube-system",
                            f"--acme-http01-solver-image={CERT_MANAGER.images[1]}",
                            "--max-concurrent-challenges=60",
                        ],
                        "env": [
                            {
                                "name": "POD_NAMESPACE",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                            }
                        ],
                        "ports": [
                            {"name": "http-metrics", "containerPort": 9402},
                            {"name": "http-healthz", "containerPort": 9403},
                        ],
                        "livenessProbe": {**health, "initialDelaySeconds": 10},
                        "readinessProbe": health,
                        "resources": common.resources("20m", "64Mi", "500m", "256Mi", "64Mi"),
                        "securityContext": common.restricted_container(),
                        "volumeMounts": [
                            {"name": "config", "mountPath": "/var/cert-manager/config"}
                        ],
                    }
                ],
                "volumes": [{"name": "config", "configMap": {"name": "cert-manager"}}],
            },
        },
    }
