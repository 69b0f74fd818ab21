"""Cluster overview: nodes (node-exporter, kube-state-metrics), etcd, kube-apiserver, targets."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.models.dashboard import Dashboard

from homecare_observability.dashboards.common import base, graph, query, single


def build() -> Dashboard:
    return (
        base("homecare-cluster", "Homecare / Cluster overview", "Nodes, etcd and the API server")
        .with_row(Row("Nodes"))
        .with_panel(
            single(
                "Nodes Ready",
                query('sum(kube_node_status_condition{condition="Ready",status="true"})'),
                "none",
                "Nodes whose kubelet reports Ready (of 2: msi-master, desktop-worker).",
            )
        )
        .with_panel(single("Scrape targets down", query("count(up == 0) or vector(0)"), "none"))
        .with_panel(
            single(
                "Pods not running",
                query('sum(kube_pod_status_phase{phase=~"Pending|Failed|Unknown"}) or vector(0)'),
                "none",
            )
        )
        .with_panel(
            single(
                "Container restarts (1 h)",
                query("sum(increase(kube_pod_container_status_restarts_total[1h]))"),
                "none",
            )
        )
        .with_panel(
            graph(
                "CPU busy by node",
                [
                    query(
                        '1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
                        "{{node}}",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            graph(
                "Memory available by node",
                [
                    query(
                        "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                        "{{node}}",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            graph(
                "Filesystem space available",
                [
                    query(
                        'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs|ramfs"}'
                        ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs|ramfs"}',
                        "{{node}} {{mountpoint}}",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            graph(
                "Clock offset",
                [query("node_timex_offset_seconds", "{{node}}")],
                "s",
            )
        )
        .with_row(Row("etcd"))
        .with_panel(single("etcd has leader", query("min(etcd_server_has_leader)"), "bool"))
        .with_panel(
            single(
                "etcd DB size of quota",
                query("max(etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes)"),
                "percentunit",
            )
        )
        .with_panel(
            graph(
                "etcd WAL fsync p99",
                [
                    query(
                        "histogram_quantile(0.99, sum by (instance, le) "
                        "(rate(etcd_disk_wal_fsync_duration_seconds_bucket[5m])))",
                        "{{instance}}",
                    )
                ],
                "s",
            )
        )
        .with_panel(
            graph(
                "etcd leader changes (1 h)",
                [query("increase(etcd_server_leader_changes_seen_total[1h])", "{{instance}}")],
                "none",
            )
        )
        .with_row(Row("API server"))
        .with_panel(
            graph(
                "API requests by code",
                [query("sum by (code) (rate(apiserver_request_total[5m]))", "{{code}}")],
                "reqps",
            )
        )
        .with_panel(
            graph(
                "API 5xx ratio",
                [
                    query(
                        'sum(rate(apiserver_request_total{code=~"5.."}[5m]))'
                        " / sum(rate(apiserver_request_total[5m]))",
                        "5xx",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            graph(
                "Targets up by job",
                [query("sum by (job) (up)", "{{job}}")],
                "none",
                "kubeadm components (etcd :2381, controller-manager :10257, scheduler :10259,"
                " kube-proxy :10249) included: the control_plane role binds them to 0.0.0.0.",
            )
        )
        .build()
    )
