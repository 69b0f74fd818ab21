"""Backups: last success age, size, duration and restore drill results (homecare_backup_*)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.models.dashboard import Dashboard

from homecare_observability.dashboards.common import base, graph, query, single


def build() -> Dashboard:
    return (
        base(
            "homecare-backups",
            "Homecare / Backups",
            "etcd and PostgreSQL backups: freshness (alert at 26 h), size, duration, drills",
        )
        .with_row(Row("Freshness"))
        .with_panel(
            single(
                "etcd: last success age",
                query('time() - max(homecare_backup_last_success_timestamp_seconds{kind="etcd"})'),
                "s",
                "EtcdBackupStale fires above 26 h.",
            )
        )
        .with_panel(
            single(
                "PostgreSQL: oldest last success (any stack)",
                query(
                    'max(time() - kube_cronjob_status_last_successful_time{cronjob="pg-backup"})'
                ),
                "s",
                "pg-backup CronJob per app namespace (kube-state-metrics); PostgresBackupStale"
                " fires above 26 h.",
            )
        )
        .with_panel(
            single(
                "Last attempt succeeded",
                query("min(homecare_backup_last_attempt_success)"),
                "bool",
            )
        )
        .with_panel(
            graph(
                "Age of the last successful backup",
                [
                    query(
                        "time() - homecare_backup_last_success_timestamp_seconds",
                        "{{kind}}",
                    )
                ],
                "s",
            )
        )
        .with_row(Row("Size and duration"))
        .with_panel(
            graph(
                "Backup set size", [query("homecare_backup_last_size_bytes", "{{kind}}")], "bytes"
            )
        )
        .with_panel(
            graph(
                "Backup duration",
                [query("homecare_backup_last_duration_seconds", "{{kind}}")],
                "s",
            )
        )
        .with_row(Row("Restore drills"))
        .with_panel(
            graph(
                "Measured restore time (RTO)",
                [query("homecare_backup_drill_rto_seconds", "{{kind}}")],
                "s",
            )
        )
        .with_panel(
            graph(
                "Age of the last passed drill",
                [query("time() - homecare_backup_drill_success_timestamp_seconds", "{{kind}}")],
                "s",
            )
        )
        .build()
    )
