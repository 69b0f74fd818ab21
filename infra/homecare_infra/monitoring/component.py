"""``Monitoring``: the cluster's metrics, alerting, dashboards and log collection.

One per cluster, declared with the cluster services. Plain Prometheus configuration rather than
the Prometheus Operator: the operator would add a controller, a dozen CRDs and a second source of
truth (ServiceMonitors in every stack) to a two-node cluster whose scrape targets are known when
the program runs; a ConfigMap that ``promtool`` checks in CI is simpler to review and to test.

Everything runs Pod Security ``restricted`` in ``monitoring`` except node-exporter, which needs the
host's network, PID namespace and root filesystem (read-only) and lives alone in
``monitoring-agents`` (enforce ``privileged``, with the reason annotated).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from homecare_infra.components.namespace import DNS_EGRESS, pss_labels
from homecare_infra.monitoring import workloads as w
from homecare_infra.monitoring.alertmanager import ReceiverSecrets, render_yaml
from homecare_infra.monitoring.config import MonitoringSecrets
from homecare_infra.monitoring.logs import LOKI_PORT, alloy_config, loki_config
from homecare_infra.monitoring.prometheus_config import (
    NODE_EXPORTER_PORT,
    RULES_DIR,
    prometheus_config,
)
from homecare_infra.monitoring.settings import MonitoringSettings

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "observability" / "rules"
DASHBOARDS = REPO / "observability" / "dashboards"
UID = 65534
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
# Host-network targets Prometheus scrapes on the node IPs: kubelet, controller-manager, scheduler,
# etcd metrics, kube-proxy metrics, node-exporter; and the API server.
NODE_PORTS = [10250, 10257, 10259, 2381, 10249, NODE_EXPORTER_PORT, 6443]
UPSTREAM_IMAGE_WAIVERS = {
    "CKV_K8S_43": "upstream release image pinned by its release tag in monitoring settings",
    "CKV_K8S_15": "release tags are immutable upstream; IfNotPresent avoids a pull per start",
}
TOKEN_WAIVER = {"CKV_K8S_38": "needs its token for the Kubernetes API (discovery or list/watch)"}
Obj = dict[str, Any]


def _skips(reasons: dict[str, str]) -> dict[str, str]:
    return {
        f"checkov.io/skip{i}": f"{check}={reason}"
        for i, (check, reason) in enumerate(sorted(reasons.items()), start=1)
    }


def rule_files() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(RULES.glob("*.yml"))}


def dashboard_files() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(DASHBOARDS.glob("*.json"))}


def _tcp(*ports: int) -> list[Obj]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _pods(*names: str) -> Obj:
    return {
        "podSelector": {
            "matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "In", "values": sorted(names)}
            ]
        }
    }


def _namespaces(*names: str) -> Obj:
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(names)}
            ]
        }
    }


class Monitoring(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics, Pushgateway, Loki,
    Alloy, their RBAC and NetworkPolicies."""

    def __init__(
        self,
        name: str,
        settings: MonitoringSettings,
        secrets: MonitoringSecrets,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:monitoring:Monitoring", name, None, opts)
        self.settings = settings
        ns = settings.namespace
        self.namespace = k8s.core.v1.Namespace(
            ns,
            metadata={
                "name": ns,
                "labels": {
                    "app.kubernetes.io/part-of": "homecare-monitoring",
                    **pss_labels("restricted"),
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.agents_namespace = k8s.core.v1.Namespace(
            settings.agents_namespace,
            metadata={
                "name": settings.agents_namespace,
                "labels": {
                    "app.kubernetes.io/part-of": "homecare-monitoring",
                    **pss_labels("privileged"),
                },
                "annotations": {
                    "homecare.io/pod-security-exception": "node-exporter reads the host's "
                    "filesystems, network and processes (hostNetwork, hostPID, hostPath /)"
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self._in_agents = pulumi.ResourceOptions(parent=self, depends_on=[self.agents_namespace])
        self._accounts: dict[str, k8s.core.v1.ServiceAccount] = {}
        self._prometheus()
        self._alertmanager(secrets)
        self._grafana(secrets)
        self._node_exporter()
        self._kube_state_metrics()
        self._pushgateway()
        self._loki()
        self._alloy()
        self._network_policies()
        self.register_outputs(
            {
                "namespace": ns,
                "prometheusUrl": self.prometheus_url,
                "grafanaAdminPassword": self.grafana_admin_password,
            }
        )

    # -- helpers ------------------------------------------------------------------------------

    def _meta(self, name: str, namespace: str | None = None, **annotations: str) -> Obj:
        meta: Obj = {
            "name": name,
            "namespace": namespace or self.settings.namespace,
            "labels": w.labels(name),
        }
        if annotations:
            meta["annotations"] = annotations
        return meta

    def _service_account(self, name: str, namespace: str | None = None) -> None:
        self._accounts[name] = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=self._meta(name, namespace),
            automount_service_account_token=False,
            opts=self._in_agents if namespace == self.settings.agents_namespace else self._in_ns,
        )

    def _workload_opts(self, pod: Obj, namespace: pulumi.Resource) -> pulumi.ResourceOptions:
        """After the namespace and the pod's ServiceAccount: a controller that starts first
        fails its pods with FailedCreate ("serviceaccount not found") until the account exists."""
        account = self._accounts[pod["serviceAccountName"]]
        return pulumi.ResourceOptions(parent=self, depends_on=[namespace, account])

    def _cluster_role(self, name: str, rules: list[Obj]) -> None:
        """Read-only ClusterRole + binding to the ServiceAccount ``name`` in ``monitoring``."""
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-clusterrole",
            metadata={"name": f"homecare-{name}", "labels": w.labels(name)},
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-clusterrolebinding",
            metadata={"name": f"homecare-{name}", "labels": w.labels(name)},
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"homecare-{name}",
            },
            subjects=[
                {"kind": "ServiceAccount", "name": name, "namespace": self.settings.namespace}
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, self.namespace]),
        )

    def _service(self, name: str, port: int, namespace: str | None = None) -> None:
        k8s.core.v1.Service(
            f"{name}-svc",
            metadata=self._meta(name, namespace),
            spec={
                "type": "ClusterIP",
                "selector": w.selector(name),
                "ports": [{"name": "http", "port": port, "targetPort": port}],
            },
            opts=self._in_ns,
        )

    def _config_map(self, name: str, data: dict[str, str]) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            f"{name}-cm", metadata=self._meta(name), data=data, opts=self._in_ns
        )

    def _stateful_set(
        self,
        name: str,
        pod: Obj,
        claim: Obj | None,
        annotations: dict[str, str],
        token: bool = False,
    ) -> None:
        spec: Obj = {
            "serviceName": name,
            "replicas": 1,
            "selector": {"matchLabels": w.selector(name)},
            "template": {
                "metadata": {"labels": w.labels(name), "annotations": annotations},
                "spec": pod,
            },
        }
        if claim is not None:
            spec["volumeClaimTemplates"] = [claim]
        waivers = {**UPSTREAM_IMAGE_WAIVERS, **(TOKEN_WAIVER if token else {})}
        k8s.apps.v1.StatefulSet(
            f"{name}-sts",
            metadata=self._meta(name, **_skips(waivers)),
            spec=spec,
            opts=self._workload_opts(pod, self.namespace),
        )

    def _deployment(self, name: str, pod: Obj, annotations: dict[str, str], token: bool) -> None:
        waivers = {**UPSTREAM_IMAGE_WAIVERS, **(TOKEN_WAIVER if token else {})}
        k8s.apps.v1.Deployment(
            f"{name}-deploy",
            metadata=self._meta(name, **_skips(waivers)),
            spec={
                "replicas": 1,
                "selector": {"matchLabels": w.selector(name)},
                "strategy": {"type": "Recreate"},
                "template": {
                    "metadata": {"labels": w.labels(name), "annotations": annotations},
                    "spec": pod,
                },
            },
            opts=self._workload_opts(pod, self.namespace),
        )

    # -- components ---------------------------------------------------------------------------

    def _prometheus(self) -> None:
        s = self.settings
        config = yaml.safe_dump(prometheus_config(s), sort_keys=False)
        rules = rule_files()
        self._config_map("prometheus-config", {"prometheus.yml": config})
        self._config_map("prometheus-rules", rules)
        self._service_account("prometheus")
        self._cluster_role(
            "prometheus",
            [
                {
                    "apiGroups": [""],
                    "resources": ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
                    "verbs": ["get", "list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["get", "list", "watch"],
                },
                {"nonResourceURLs": ["/metrics", "/metrics/cadvisor"], "verbs": ["get"]},
            ],
        )
        p = s.prometheus
        container = w.container(
            "prometheus",
            s.images.prometheus,
            [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={p.retention_time}",
                f"--storage.tsdb.retention.size={p.retention_size}",
                "--web.enable-lifecycle",
            ],
            {"http": 9090},
            p.resources,
            UID,
            volumeMounts=[
                {"name": "config", "mountPath": "/etc/prometheus", "readOnly": True},
                {"name": "rules", "mountPath": RULES_DIR, "readOnly": True},
                {"name": "data", "mountPath": "/prometheus"},
            ],
            **w.http_probes("http", "/-/ready", "/-/healthy"),
        )
        pod = w.pod_spec(
            s,
            "prometheus",
            [container],
            [
                {"name": "config", "configMap": {"name": "prometheus-config"}},
                {"name": "rules", "configMap": {"name": "prometheus-rules"}},
            ],
            UID,
            token=True,
        )
        self._stateful_set(
            "prometheus",
            pod,
            w.volume_claim("data", p.storage_size, s.storage_class),
            {"homecare.io/config-checksum": w.checksum(config, rules)},
            token=True,
        )
        self._service("prometheus", 9090)
        self.prometheus_url = f"http://prometheus.{s.namespace}.svc.cluster.local:9090"

    def _alertmanager(self, secrets: MonitoringSecrets) -> None:
        s = self.settings
        values = [secrets.smtp_password, secrets.webhook_url, secrets.slack_url]
        present = [v if v is not None else pulumi.Output.from_input("") for v in values]
        # Derived from secret Outputs, so the rendered file stays secret in the state.
        rendered = pulumi.Output.all(*present).apply(
            lambda v: render_yaml(s, ReceiverSecrets(v[0] or None, v[1] or None, v[2] or None))
        )
        k8s.core.v1.Secret(
            "alertmanager-config-secret",
            metadata=self._meta("alertmanager-config"),
            string_data={"alertmanager.yml": rendered},
            opts=self._in_ns,
        )
        self._service_account("alertmanager")
        container = w.container(
            "alertmanager",
            s.images.alertmanager,
            [
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/alertmanager",
                "--cluster.listen-address=",  # one replica: no gossip mesh
            ],
            {"http": 9093},
            s.alertmanager_resources,
            UID,
            volumeMounts=[
                {"name": "config", "mountPath": "/etc/alertmanager", "readOnly": True},
                {"name": "data", "mountPath": "/alertmanager"},
            ],
            **w.http_probes("http", "/-/ready", "/-/healthy"),
        )
        pod = w.pod_spec(
            s,
            "alertmanager",
            [container],
            [{"name": "config", "secret": {"secretName": "alertmanager-config"}}],
            UID,
        )
        # The rendered config is secret: roll the pod on a change of its inputs' shape only.
        self._stateful_set(
            "alertmanager",
            pod,
            w.volume_claim("data", "1Gi", s.storage_class),
            {"homecare.io/config-checksum": w.checksum(s.alerting.model_dump())},
        )
        self._service("alertmanager", 9093)

    def _grafana(self, secrets: MonitoringSecrets) -> None:
        s = self.settings
        if secrets.grafana_admin_password is not None:
            password: pulumi.Output[str] = secrets.grafana_admin_password
        else:
            password = random.RandomPassword(
                "grafana-admin-password",
                length=32,
                special=False,
                opts=pulumi.ResourceOptions(parent=self),
            ).result
        # Secret either way: config.get_secret and RandomPassword.result are secret Outputs.
        self.grafana_admin_password = password
        k8s.core.v1.Secret(
            "grafana-admin-secret",
            metadata=self._meta("grafana-admin"),
            string_data={"user": s.grafana_admin_user, "password": self.grafana_admin_password},
            opts=self._in_ns,
        )
        datasources = {
            "apiVersion": 1,
            "datasources": [
                {
                    "name": "Prometheus",
                    "uid": "prometheus",
                    "type": "prometheus",
                    "access": "proxy",
                    "url": f"http://prometheus.{s.namespace}.svc.cluster.local:9090",
                    "isDefault": True,
                },
                {
                    "name": "Loki",
                    "uid": "loki",
                    "type": "loki",
                    "access": "proxy",
                    "url": f"http://loki.{s.namespace}.svc.cluster.local:{LOKI_PORT}",
                },
            ],
        }
        provider = {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "homecare",
                    "folder": "Homecare",
                    "type": "file",
                    "disableDeletion": True,
                    "allowUiUpdates": False,
                    "options": {"path": "/var/lib/grafana/dashboards"},
                }
            ],
        }
        dashboards = dashboard_files()
        provisioning = {
            "datasources.yaml": yaml.safe_dump(datasources, sort_keys=False),
            "dashboards.yaml": yaml.safe_dump(provider, sort_keys=False),
        }
        self._config_map("grafana-provisioning", provisioning)
        self._config_map("grafana-dashboards", dashboards)
        self._service_account("grafana")
        env = {
            "GF_SECURITY_ADMIN_USER__FILE": "/etc/grafana/admin/user",
            "GF_SECURITY_ADMIN_PASSWORD__FILE": "/etc/grafana/admin/password",
            "GF_AUTH_ANONYMOUS_ENABLED": "false",
            "GF_AUTH_DISABLE_LOGIN_FORM": "false",
            "GF_USERS_ALLOW_SIGN_UP": "false",
            "GF_ANALYTICS_REPORTING_ENABLED": "false",
            "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
            "GF_PATHS_DATA": "/var/lib/grafana",
            "GF_PATHS_PROVISIONING": "/etc/grafana/provisioning",
            # Read-only root filesystem: everything Grafana writes goes to its emptyDir.
            "GF_PATHS_LOGS": "/var/lib/grafana/log",
            "GF_PATHS_PLUGINS": "/var/lib/grafana/plugins",
            "GF_LOG_MODE": "console",
        }
        container = w.container(
            "grafana",
            s.images.grafana,
            [],
            {"http": 3000},
            s.grafana_resources,
            UID,
            env=[{"name": key, "value": value} for key, value in env.items()],
            volumeMounts=[
                {"name": "admin", "mountPath": "/etc/grafana/admin", "readOnly": True},
                {
                    "name": "provisioning",
                    "mountPath": "/etc/grafana/provisioning/datasources/datasources.yaml",
                    "subPath": "datasources.yaml",
                    "readOnly": True,
                },
                {
                    "name": "provisioning",
                    "mountPath": "/etc/grafana/provisioning/dashboards/dashboards.yaml",
                    "subPath": "dashboards.yaml",
                    "readOnly": True,
                },
                {
                    "name": "dashboards",
                    "mountPath": "/var/lib/grafana/dashboards",
                    "readOnly": True,
                },
                {"name": "data", "mountPath": "/var/lib/grafana"},
                {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - container path
            ],
            **w.http_probes("http", "/api/health"),
        )
        pod = w.pod_spec(
            s,
            "grafana",
            [container],
            [
                {"name": "admin", "secret": {"secretName": "grafana-admin"}},
                {"name": "provisioning", "configMap": {"name": "grafana-provisioning"}},
                {"name": "dashboards", "configMap": {"name": "grafana-dashboards"}},
                # Everything Grafana needs is provisioned: its own database is disposable.
                {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            ],
            UID,
            placed=False,
        )
        checksum = w.checksum(provisioning, dashboards)
        self._deployment("grafana", pod, {"homecare.io/config-checksum": checksum}, token=False)
        self._service("grafana", 3000)

    def _node_exporter(self) -> None:
        s = self.settings
        agents = s.agents_namespace
        self._service_account("node-exporter", agents)
        container = w.container(
            "node-exporter",
            s.images.node_exporter,
            [
                "--path.rootfs=/host/root",
                f"--web.listen-address=:{NODE_EXPORTER_PORT}",
                "--collector.textfile.directory=/host/textfile",
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/kubelet/.+)($|/)",
            ],
            {"metrics": NODE_EXPORTER_PORT},
            s.node_exporter_resources,
            UID,
            volumeMounts=[
                {
                    "name": "root",
                    "mountPath": "/host/root",
                    "readOnly": True,
                    "mountPropagation": "HostToContainer",
                },
                # Where the backup jobs write homecare_backup_*.prom (backups.etcd.textfileDir).
                {"name": "textfile", "mountPath": "/host/textfile", "readOnly": True},
            ],
            **w.http_probes(NODE_EXPORTER_PORT, "/"),
        )
        pod = {
            **w.pod_spec(
                s,
                "node-exporter",
                [container],
                [
                    {"name": "root", "hostPath": {"path": "/"}},
                    {
                        "name": "textfile",
                        "hostPath": {"path": s.textfile_dir, "type": "DirectoryOrCreate"},
                    },
                ],
                UID,
                placed=False,
            ),
            "hostNetwork": True,
            "hostPID": True,
            "dnsPolicy": "ClusterFirstWithHostNet",
            "tolerations": [w.control_plane_toleration()],
        }
        waivers = {
            **UPSTREAM_IMAGE_WAIVERS,
            "CKV_K8S_17": "node-exporter reads the host's processes (hostPID)",
            "CKV_K8S_19": "node-exporter reports the host's network (hostNetwork)",
        }
        k8s.apps.v1.DaemonSet(
            "node-exporter-ds",
            metadata=self._meta("node-exporter", agents, **_skips(waivers)),
            spec={
                "selector": {"matchLabels": w.selector("node-exporter")},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {"metadata": {"labels": w.labels("node-exporter")}, "spec": pod},
            },
            opts=self._workload_opts(pod, self.agents_namespace),
        )

    def _kube_state_metrics(self) -> None:
        s = self.settings
        resources = [
            "nodes",
            "pods",
            "namespaces",
            "deployments",
            "statefulsets",
            "daemonsets",
            "replicasets",
            "jobs",
            "cronjobs",
            "persistentvolumeclaims",
            "persistentvolumes",
        ]
        self._service_account("kube-state-metrics")
        self._cluster_role(
            "kube-state-metrics",
            [
                {
                    "apiGroups": [""],
                    "resources": [
                        "nodes",
                        "pods",
                        "namespaces",
                        "persistentvolumeclaims",
                        "persistentvolumes",
                    ],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["batch"],
                    "resources": ["jobs", "cronjobs"],
                    "verbs": ["list", "watch"],
                },
            ],
        )
        container = w.container(
            "kube-state-metrics",
            s.images.kube_state_metrics,
            [f"--resources={','.join(resources)}", "--port=8080", "--telemetry-port=8081"],
            {"http": 8080, "telemetry": 8081},
            s.kube_state_metrics_resources,
            UID,
            **w.http_probes(8081, "/readyz", "/livez"),
        )
        pod = w.pod_spec(s, "kube-state-metrics", [container], [], UID, token=True, placed=False)
        self._deployment("kube-state-metrics", pod, {}, token=True)
        self._service("kube-state-metrics", 8080)

    def _pushgateway(self) -> None:
        s = self.settings
        self._service_account("pushgateway")
        container = w.container(
            "pushgateway",
            s.images.pushgateway,
            [],
            {"http": 9091},
            s.pushgateway_resources,
            UID,
            **w.http_probes("http", "/-/ready", "/-/healthy"),
        )
        pod = w.pod_spec(s, "pushgateway", [container], [], UID, placed=False)
        self._deployment("pushgateway", pod, {}, token=False)
        self._service("pushgateway", 9091)

    def _loki(self) -> None:
        s = self.settings
        config = yaml.safe_dump(loki_config(s), sort_keys=False)
        self._config_map("loki-config", {"loki.yaml": config})
        self._service_account("loki")
        container = w.container(
            "loki",
            s.images.loki,
            ["-config.file=/etc/loki/loki.yaml", "-target=all"],
            {"http": LOKI_PORT},
            s.loki.resources,
            UID,
            volumeMounts=[
                {"name": "config", "mountPath": "/etc/loki", "readOnly": True},
                {"name": "data", "mountPath": "/loki"},
                {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - container path
            ],
            **w.http_probes("http", "/ready"),
        )
        pod = w.pod_spec(
            s,
            "loki",
            [container],
            [
                {"name": "config", "configMap": {"name": "loki-config"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            ],
            UID,
        )
        self._stateful_set(
            "loki",
            pod,
            w.volume_claim("data", s.loki.storage_size, s.storage_class),
            {"homecare.io/config-checksum": w.checksum(config)},
        )
        self._service("loki", LOKI_PORT)

    def _alloy(self) -> None:
        s = self.settings
        config = alloy_config(s)
        self._config_map("alloy-config", {"config.alloy": config})
        self._service_account("alloy")
        self._cluster_role(
            "alloy",
            [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "pods/log"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        )
        container = w.container(
            "alloy",
            s.images.alloy,
            [
                "run",
                "/etc/alloy/config.alloy",
                "--storage.path=/var/lib/alloy",
                "--server.http.listen-addr=0.0.0.0:12345",
                "--disable-reporting",
            ],
            {"http": 12345},
            s.alloy_resources,
            UID,
            env=[{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            volumeMounts=[
                {"name": "config", "mountPath": "/etc/alloy", "readOnly": True},
                {"name": "data", "mountPath": "/var/lib/alloy"},
                {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - container path
            ],
            **w.http_probes("http", "/-/ready", "/-/healthy"),
        )
        pod = {
            **w.pod_spec(
                s,
                "alloy",
                [container],
                [
                    {"name": "config", "configMap": {"name": "alloy-config"}},
                    {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                ],
                UID,
                token=True,
                placed=False,
            ),
            "tolerations": [w.control_plane_toleration()],
        }
        k8s.apps.v1.DaemonSet(
            "alloy-ds",
            metadata=self._meta("alloy", **_skips({**UPSTREAM_IMAGE_WAIVERS, **TOKEN_WAIVER})),
            spec={
                "selector": {"matchLabels": w.selector("alloy")},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {
                        "labels": w.labels("alloy"),
                        "annotations": {"homecare.io/config-checksum": w.checksum(config)},
                    },
                    "spec": pod,
                },
            },
            opts=self._workload_opts(pod, self.namespace),
        )

    def _network_policies(self) -> None:
        """Default deny in ``monitoring``, then exactly the flows the stack needs."""
        s = self.settings
        node_blocks = [{"ipBlock": {"cidr": cidr}} for cidr in PRIVATE_RANGES]
        apps = _namespaces(*s.app_namespaces)
        api = {"to": node_blocks, "ports": _tcp(6443, 443)}
        policies: dict[str, Obj] = {
            "prometheus": {
                "ingress": [{"from": [_pods("grafana")], "ports": _tcp(9090)}],
                "egress": [
                    {"to": node_blocks, "ports": _tcp(*NODE_PORTS)},
                    {"to": [apps], "ports": _tcp(8000, 8001, 8002)},
                    {
                        "to": [_pods("kube-state-metrics", "pushgateway", "alertmanager")],
                        "ports": _tcp(8080, 9091, 9093),
                    },
                    api,
                ],
            },
            "alertmanager": {
                "ingress": [{"from": [_pods("prometheus", "grafana")], "ports": _tcp(9093)}],
                # Notifications: SMTP submission and HTTPS webhooks, wherever they are hosted.
                "egress": [{"ports": _tcp(25, 465, 587, 443)}],
            },
            "grafana": {
                # Operators reach Grafana through a port-forward or the cluster's Gateway.
                "ingress": [{"ports": _tcp(3000)}],
                "egress": [
                    {"to": [_pods("prometheus")], "ports": _tcp(9090)},
                    {"to": [_pods("loki")], "ports": _tcp(LOKI_PORT)},
                    {"to": [_pods("alertmanager")], "ports": _tcp(9093)},
                ],
            },
            "kube-state-metrics": {
                "ingress": [{"from": [_pods("prometheus")], "ports": _tcp(8080, 8081)}],
                "egress": [api],
            },
            "pushgateway": {
                "ingress": [
                    {"from": [_pods("prometheus")], "ports": _tcp(9091)},
                    {
                        "from": [{**apps, **_pods("pg-backup")}],
                        "ports": _tcp(9091),
                    },
                ],
            },
            "loki": {
                "ingress": [{"from": [_pods("alloy", "grafana")], "ports": _tcp(LOKI_PORT)}],
            },
            "alloy": {
                "egress": [{"to": [_pods("loki")], "ports": _tcp(LOKI_PORT)}, api],
            },
        }
        k8s.networking.v1.NetworkPolicy(
            "monitoring-default-deny",
            metadata=self._meta("default-deny"),
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            opts=self._in_ns,
        )
        k8s.networking.v1.NetworkPolicy(
            "monitoring-dns",
            metadata=self._meta("allow-dns"),
            spec={"podSelector": {}, "policyTypes": ["Egress"], "egress": [DNS_EGRESS]},
            opts=self._in_ns,
        )
        for name, rules in policies.items():
            types = [kind for kind in ("Ingress", "Egress") if kind.lower() in rules]
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol",
                metadata=self._meta(f"allow-{name}"),
                spec={
                    "podSelector": {"matchLabels": w.selector(name)},
                    "policyTypes": types,
                    **rules,
                },
                opts=self._in_ns,
            )
