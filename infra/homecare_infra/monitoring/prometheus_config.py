"""prometheus.yml: Kubernetes service discovery, kubeadm-aware control-plane scraping.

kubeadm binds controller-manager, scheduler, etcd metrics and kube-proxy metrics to 127.0.0.1
unless told otherwise; the Ansible ``control_plane`` role sets ``bind-address`` (controller-manager,
scheduler), ``listen-metrics-urls: http://0.0.0.0:2381`` (etcd) and ``metricsBindAddress:
0.0.0.0:10249`` (kube-proxy) from ``control_plane_metrics_bind_address`` (default ``0.0.0.0``),
so each is scraped at its node IP (the static pods run with host networking).

controller-manager (10257), scheduler (10259) and the kubelet (10250) serve HTTPS with
self-signed certificates on kubeadm (the kubelet's unless ``serverTLSBootstrap``): those jobs
authenticate with the service-account token and skip certificate verification (the kubelet jobs
verify against the cluster CA with ``kubeletTlsVerify: true``); the API server is verified
against the cluster CA.
"""

from __future__ import annotations

from typing import Any

from homecare_infra.monitoring.settings import MonitoringSettings
from homecare_infra.monitoring.targets import ENV_LABEL, SCRAPE_LABEL

Obj = dict[str, Any]
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
RULES_DIR = "/etc/prometheus/rules"
NODE_EXPORTER_PORT = 9100


def _label(name: str) -> str:
    """Kubernetes label name as Prometheus meta label suffix."""
    return "".join(c if c.isalnum() else "_" for c in name)


def _token(insecure: bool = False) -> Obj:
    tls: Obj = {"ca_file": f"{SA_DIR}/ca.crt"}
    if insecure:
        tls = {"insecure_skip_verify": True}
    return {
        "scheme": "https",
        "authorization": {"credentials_file": f"{SA_DIR}/token"},
        "tls_config": tls,
    }


def _static_pod(job: str, component: tuple[str, str], port: int, https: bool) -> Obj:
    """A kubeadm static pod in kube-system, scraped at its (host network) pod IP."""
    config: Obj = {
        "job_name": job,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": ["kube-system"]}}],
        "relabel_configs": [
            {
                "source_labels": [f"__meta_kubernetes_pod_label_{_label(component[0])}"],
                "regex": component[1],
                "action": "keep",
            },
            {
                "source_labels": ["__meta_kubernetes_pod_ip"],
                "target_label": "__address__",
                "replacement": f"$1:{port}",
            },
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }
    if https:
        config |= _token(insecure=True)
    return config


def _node_job(job: str, path: str, verify: bool) -> Obj:
    return {
        "job_name": job,
        "metrics_path": path,
        **_token(insecure=not verify),
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"},
        ],
    }


def _endpoints_job(job: str, namespace: str, service: str, honor_labels: bool = False) -> Obj:
    return {
        "job_name": job,
        "honor_labels": honor_labels,
        "kubernetes_sd_configs": [{"role": "endpoints", "namespaces": {"names": [namespace]}}],
        "relabel_configs": [
            {
                "source_labels": ["__meta_kubernetes_service_name"],
                "regex": service,
                "action": "keep",
            }
        ],
    }


def scrape_configs(settings: MonitoringSettings) -> list[Obj]:
    return [
        {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        {
            "job_name": "apiserver",
            **_token(),
            "kubernetes_sd_configs": [{"role": "endpoints", "namespaces": {"names": ["default"]}}],
            "relabel_configs": [
                {
                    "source_labels": [
                        "__meta_kubernetes_service_name",
                        "__meta_kubernetes_endpoint_port_name",
                    ],
                    "regex": "kubernetes;https",
                    "action": "keep",
                }
            ],
        },
        _node_job("kubelet", "/metrics", settings.kubelet_tls_verify),
        _node_job("cadvisor", "/metrics/cadvisor", settings.kubelet_tls_verify),
        _static_pod("etcd", ("component", "etcd"), 2381, https=False),
        _static_pod(
            "kube-controller-manager", ("component", "kube-controller-manager"), 10257, True
        ),
        _static_pod("kube-scheduler", ("component", "kube-scheduler"), 10259, https=True),
        _static_pod("kube-proxy", ("k8s-app", "kube-proxy"), 10249, https=False),
        {
            "job_name": "node-exporter",
            "kubernetes_sd_configs": [
                {"role": "pod", "namespaces": {"names": [settings.agents_namespace]}}
            ],
            "relabel_configs": [
                {
                    "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                    "regex": "node-exporter",
                    "action": "keep",
                },
                {
                    "source_labels": ["__meta_kubernetes_pod_ip"],
                    "target_label": "__address__",
                    "replacement": f"$1:{NODE_EXPORTER_PORT}",
                },
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        },
        # kube-state-metrics and the Pushgateway carry the labels of what they describe.
        _endpoints_job(
            "kube-state-metrics", settings.namespace, "kube-state-metrics", honor_labels=True
        ),
        _endpoints_job("pushgateway", settings.namespace, "pushgateway", honor_labels=True),
        _endpoints_job("alertmanager", settings.namespace, "alertmanager"),
        {
            "job_name": "homecare-apps",
            "kubernetes_sd_configs": [
                {"role": "endpoints", "namespaces": {"names": list(settings.app_namespaces)}}
            ],
            "relabel_configs": [
                {
                    "source_labels": [f"__meta_kubernetes_service_label_{_label(SCRAPE_LABEL)}"],
                    "regex": "true",
                    "action": "keep",
                },
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {
                    "source_labels": ["__meta_kubernetes_service_label_app_kubernetes_io_name"],
                    "target_label": "service",
                },
                {
                    "source_labels": [f"__meta_kubernetes_service_label_{_label(ENV_LABEL)}"],
                    "target_label": "env",
                },
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
            ],
        },
    ]


def prometheus_config(settings: MonitoringSettings) -> Obj:
    interval = settings.prometheus.scrape_interval
    return {
        "global": {
            "scrape_interval": interval,
            "evaluation_interval": interval,
            "external_labels": {"cluster": "homecare"},
        },
        "rule_files": [f"{RULES_DIR}/*.yml"],
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"alertmanager.{settings.namespace}.svc:9093"]}]}
            ]
        },
        "scrape_configs": scrape_configs(settings),
    }
