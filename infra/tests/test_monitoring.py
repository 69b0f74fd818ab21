"""The Monitoring component in the cluster-services stack (mocked run of infra/cluster)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import mocked
from k8s_checks import pod_spec, restricted_violations, service_account_order_violations

from homecare_infra.mocks import CapturedResource, MockedRun
from homecare_infra.monitoring.component import dashboard_files, rule_files
from homecare_infra.monitoring.logs import alloy_config, loki_config
from homecare_infra.monitoring.prometheus_config import prometheus_config
from homecare_infra.monitoring.settings import (
    MonitoringSettingsError,
    parse_monitoring_settings,
)
from homecare_infra.render import rendered_run
from homecare_infra.settings import Settings

_RUN: list[MockedRun] = []
MONITORING_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def cluster() -> MockedRun:
    if not _RUN:
        _RUN.append(rendered_run("home"))
    return _RUN[0]


def in_namespace(
    namespace: str, kinds: tuple[str, ...] = MONITORING_KINDS
) -> list[CapturedResource]:
    return [
        r
        for kind in kinds
        for r in cluster().of_kind(kind)
        if r.metadata.get("namespace") == namespace
    ]


def prometheus_yml() -> dict[str, Any]:
    data = cluster().named("ConfigMap", "prometheus-config").inputs["data"]
    return dict(yaml.safe_load(data["prometheus.yml"]))


def job(name: str) -> dict[str, Any]:
    return next(j for j in prometheus_yml()["scrape_configs"] if j["job_name"] == name)


def test_the_cluster_stack_declares_one_monitoring_component() -> None:
    components = [r for r in cluster().resources if r.type == "homecare:monitoring:Monitoring"]
    assert len(components) == 1
    assert cluster().outputs["prometheusUrl"].startswith("http://prometheus.monitoring.svc")


def test_monitoring_namespace_exists_and_is_restricted() -> None:
    labels = cluster().named("Namespace", "monitoring").metadata["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # The app stacks' NetworkPolicies admit exactly this namespace by name.
    assert Settings.model_fields["monitoring_namespace"].default == "monitoring"


def test_everything_in_monitoring_passes_pod_security_restricted() -> None:
    workloads = in_namespace("monitoring")
    assert {r.metadata["name"] for r in workloads} == {
        "prometheus",
        "alertmanager",
        "grafana",
        "kube-state-metrics",
        "pushgateway",
        "loki",
        "alloy",
    }
    problems = [p for r in workloads for p in restricted_violations(r)]
    assert problems == []


def test_node_exporter_reads_the_backup_textfile_directory_on_every_node() -> None:
    agents = cluster().named("Namespace", "monitoring-agents")
    assert agents.metadata["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "node-exporter" in agents.metadata["annotations"]["homecare.io/pod-security-exception"]
    ds = cluster().named("DaemonSet", "node-exporter")
    pod = pod_spec(ds)
    assert pod["hostNetwork"]
    assert pod["hostPID"]
    assert {
        "key": "node-role.kubernetes.io/control-plane",
        "operator": "Exists",
        "effect": "NoSchedule",
    } in pod["tolerations"]
    textfile = next(v for v in pod["volumes"] if v["name"] == "textfile")
    # The etcd backup CronJob writes here (backups.etcd.textfileDir).
    backup_dir = Settings.model_fields["backups"].default.etcd.textfile_dir
    assert textfile["hostPath"]["path"] == backup_dir
    args = pod["containers"][0]["args"]
    assert "--collector.textfile.directory=/host/textfile" in args
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "textfile")
    assert mount == {"name": "textfile", "mountPath": "/host/textfile", "readOnly": True}


def test_kubeadm_components_are_scraped_where_the_control_plane_role_binds_them() -> None:
    ports = {
        "etcd": ":2381",
        "kube-controller-manager": ":10257",
        "kube-scheduler": ":10259",
        "kube-proxy": ":10249",
    }
    for name, port in ports.items():
        relabel = job(name)["relabel_configs"]
        address = next(r for r in relabel if r.get("target_label") == "__address__")
        assert address["replacement"] == f"$1{port}", name
        assert address["source_labels"] == ["__meta_kubernetes_pod_ip"]
    assert job("etcd").get("scheme", "http") == "http"
    assert job("kube-scheduler")["scheme"] == "https"
    assert job("apiserver")["tls_config"] == {
        "ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    }
    assert job("cadvisor")["metrics_path"] == "/metrics/cadvisor"


def test_app_targets_come_from_the_three_app_namespaces_by_label() -> None:
    apps = job("homecare-apps")
    assert apps["kubernetes_sd_configs"][0]["namespaces"]["names"] == [
        "homecare-dev",
        "homecare-staging",
        "homecare",
    ]
    keep = apps["relabel_configs"][0]
    assert keep == {
        "source_labels": ["__meta_kubernetes_service_label_homecare_io_scrape"],
        "regex": "true",
        "action": "keep",
    }


def test_rules_and_dashboards_are_provisioned_from_observability() -> None:
    rules = cluster().named("ConfigMap", "prometheus-rules").inputs["data"]
    assert rules == rule_files()
    assert set(rules) >= {"backups.yml", "control-plane.yml", "kubernetes.yml", "slo.yml"}
    dashboards = cluster().named("ConfigMap", "grafana-dashboards").inputs["data"]
    assert dashboards == dashboard_files()
    assert len(dashboards) == 4


def test_workloads_wait_for_their_service_accounts() -> None:
    assert cluster().named("StatefulSet", "prometheus").depends_on >= {"prometheus-sa"}
    assert service_account_order_violations(cluster()) == []


def test_prometheus_retention_and_volume_come_from_settings() -> None:
    sts = cluster().named("StatefulSet", "prometheus")
    args = pod_spec(sts)["containers"][0]["args"]
    assert "--storage.tsdb.retention.time=15d" in args
    assert "--storage.tsdb.retention.size=8GB" in args
    claim = sts.inputs["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"


def test_grafana_admin_password_is_a_secret_and_anonymous_access_is_off() -> None:
    secret = cluster().named("Secret", "grafana-admin")
    assert "stringData" in secret.secret_paths
    env = {
        e["name"]: e.get("value")
        for e in pod_spec(cluster().named("Deployment", "grafana"))["containers"][0]["env"]
    }
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env  # read from the mounted Secret file
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/grafana/admin/password"


def test_alertmanager_config_is_a_secret() -> None:
    secret = cluster().named("Secret", "alertmanager-config")
    assert "stringData" in secret.secret_paths


def test_rbac_is_read_only_and_never_touches_secrets() -> None:
    roles = [
        r for r in cluster().of_kind("ClusterRole") if r.metadata["name"].startswith("homecare-")
    ]
    assert {r.metadata["name"] for r in roles} == {
        "homecare-prometheus",
        "homecare-kube-state-metrics",
        "homecare-alloy",
    }
    for role in roles:
        for rule in role.inputs["rules"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, role.metadata["name"]
            assert "secrets" not in rule.get("resources", [])
            assert "*" not in rule.get("resources", [])


def test_monitoring_namespace_denies_by_default_and_allows_named_flows() -> None:
    policies = {
        p.metadata["name"]: p.inputs["spec"]
        for p in cluster().of_kind("NetworkPolicy")
        if p.metadata.get("namespace") == "monitoring"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    prometheus = policies["allow-prometheus"]
    ports = {p["port"] for rule in prometheus["egress"] for p in rule["ports"]}
    assert {2381, 10250, 10257, 10259, 10249, 9100, 8000, 8001, 8002} <= ports
    pushgateway = policies["allow-pushgateway"]["ingress"]
    assert any("pg-backup" in str(rule["from"]) for rule in pushgateway)


def test_every_container_has_probes_requests_and_limits() -> None:
    workloads = in_namespace("monitoring") + in_namespace("monitoring-agents")
    for resource in workloads:
        for container in pod_spec(resource)["containers"]:
            where = f"{resource.metadata['name']}/{container['name']}"
            assert "readinessProbe" in container, where
            assert "livenessProbe" in container, where
            for key in ("cpu", "memory", "ephemeral-storage"):
                assert key in container["resources"]["limits"], where
                assert key in container["resources"]["requests"], where


def test_loki_retention_is_per_stack() -> None:
    config = yaml.safe_load(cluster().named("ConfigMap", "loki-config").inputs["data"]["loki.yaml"])
    streams = {s["selector"]: s["period"] for s in config["limits_config"]["retention_stream"]}
    assert streams == {
        '{namespace="homecare"}': "720h",
        '{namespace="homecare-dev"}': "72h",
        '{namespace="homecare-staging"}': "168h",
    }
    assert config["compactor"]["retention_enabled"] is True


def test_alloy_ships_this_nodes_pod_logs_to_loki() -> None:
    text = alloy_config(parse_monitoring_settings({}))
    assert 'field = "spec.nodeName=" + sys.env("NODE_NAME")' in text
    assert "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push" in text
    assert text.count("{") == text.count("}")
    assert (
        '__meta_kubernetes_pod_label_app_kubernetes_io_name"]\n    target_label  = "service"'
        in text
    )
    loki = loki_config(parse_monitoring_settings({"loki": {"retention": {"homecare": "240h"}}}))
    assert loki["limits_config"]["retention_stream"] == [
        {"selector": '{namespace="homecare"}', "priority": 1, "period": "240h"}
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"prometheus": {"retentionTime": "two weeks"}}, r"monitoring:prometheus\.retentionTime"),
        ({"alerting": {"emailTo": "a@b.c"}}, r"alerting\.smarthost is required"),
        ({"grafanaPassword": "x"}, r"monitoring:grafanaPassword: unknown key"),
    ],
)
def test_bad_settings_name_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(MonitoringSettingsError, match=message):
        parse_monitoring_settings(raw)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_app_stack_labels_only_its_metric_services_for_scraping(stack: str) -> None:
    run = mocked(stack)
    labels = {s.metadata["name"]: s.metadata["labels"] for s in run.of_kind("Service")}
    for name in ("backend", "worker", "matching"):
        assert labels[name]["homecare.io/scrape"] == "true", name
        assert labels[name]["homecare.io/env"] == stack
    assert "homecare.io/scrape" not in labels["frontend"]
    # The Prometheus job keeps exactly this label, in exactly these namespaces.
    namespace = {"dev": "homecare-dev", "staging": "homecare-staging", "prod": "homecare"}[stack]
    assert namespace in run.outputs["namespaces"]
    assert namespace in job("homecare-apps")["kubernetes_sd_configs"][0]["namespaces"]["names"]


def test_kubelet_certificates_are_verified_once_the_setting_says_they_chain_to_the_ca() -> None:
    verified = prometheus_config(parse_monitoring_settings({"kubeletTlsVerify": True}))
    default = prometheus_config(parse_monitoring_settings({}))
    jobs = {j["job_name"]: j for j in verified["scrape_configs"]}
    assert jobs["kubelet"]["tls_config"] == {
        "ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    }
    assert jobs["cadvisor"]["tls_config"] == jobs["kubelet"]["tls_config"]
    defaults = {j["job_name"]: j for j in default["scrape_configs"]}
    assert defaults["kubelet"]["tls_config"] == {"insecure_skip_verify": True}
