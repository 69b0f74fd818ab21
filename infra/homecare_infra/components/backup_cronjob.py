"""The scaffolding every backup CronJob shares: a ServiceAccount without a token and a CronJob
that never overlaps itself, keeps three finished Jobs of each outcome and labels its pods."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from homecare_infra import podspec
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings


@dataclass(frozen=True)
class Schedule:
    cron: str
    starting_deadline_seconds: int
    backoff_limit: int
    active_deadline_seconds: int


def backup_cron_job(
    parent: pulumi.Resource,
    settings: Settings,
    namespace: str,
    name: str,
    schedule: Schedule,
    pod: Obj,
    waivers: dict[str, str],
) -> k8s.batch.v1.CronJob:
    """ServiceAccount ``name`` (no token) + CronJob ``name`` running ``pod``."""
    child = pulumi.ResourceOptions(parent=parent)
    labels = podspec.labels(settings, name, "backup")
    meta = {"namespace": namespace, "labels": labels}
    account = k8s.core.v1.ServiceAccount(
        f"{name}-sa",
        metadata={**meta, "name": name},
        automount_service_account_token=False,
        opts=child,
    )
    return k8s.batch.v1.CronJob(
        name,
        metadata={
            **meta,
            "name": name,
            "annotations": podspec.checkov_skips({**podspec.IMAGE_WAIVERS, **waivers}),
        },
        spec={
            "schedule": schedule.cron,
            "timeZone": settings.backups.time_zone,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": schedule.starting_deadline_seconds,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": schedule.backoff_limit,
                    "activeDeadlineSeconds": schedule.active_deadline_seconds,
                    "template": {"metadata": {"labels": labels}, "spec": pod},
                },
            },
        },
        # A Job started before its ServiceAccount exists fails its pods with FailedCreate.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[account]),
    )
