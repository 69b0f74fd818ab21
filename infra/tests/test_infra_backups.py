"""The etcd and PostgreSQL backup CronJobs in every stack."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import mocked
from k8s_checks import containers, namespace_labels, pod_spec, restricted_violations

from homecare_infra.mocks import MockedRun, run_mocked
from homecare_infra.render import render_config
from homecare_infra.settings import SettingsError

ETCDCTL = [
    "etcdctl",
    "--endpoints=https://127.0.0.1:2379",
    "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt",
    "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
    "snapshot",
    "save",
    "/scratch/etcd-snapshot.db",
]


def _flag(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _cron(run: MockedRun, name: str) -> dict[str, Any]:
    return dict(run.named("CronJob", name).inputs["spec"])


def test_etcd_backup_only_where_enabled(run: MockedRun) -> None:
    enabled = render_config(run.stack)["backups"]["etcd"]["enabled"]
    assert bool([c for c in run.of_kind("CronJob") if c.metadata["name"] == "etcd-backup"]) == (
        enabled
    )
    assert run.stack != "prod" or enabled


def test_etcd_backup_schedule_and_history(prod: MockedRun) -> None:
    spec = _cron(prod, "etcd-backup")
    assert spec["schedule"] == render_config("prod")["backups"]["etcd"]["schedule"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] == 3
    assert spec["failedJobsHistoryLimit"] == 3
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0


def test_etcd_backup_runs_on_the_control_plane(prod: MockedRun) -> None:
    cron = prod.named("CronJob", "etcd-backup")
    pod = pod_spec(cron)
    assert cron.metadata["namespace"] == "homecare-backup"
    assert pod["nodeSelector"] == {"homecare.io/role": "control-plane"}
    assert {
        "key": "node-role.kubernetes.io/control-plane",
        "operator": "Exists",
        "effect": "NoSchedule",
    } in pod["tolerations"]
    assert pod["hostNetwork"] is True
    assert pod["restartPolicy"] == "Never"


def test_etcd_backup_namespace_is_a_documented_exception(prod: MockedRun) -> None:
    labels = namespace_labels(prod, "homecare-backup")
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    ns = prod.named("Namespace", "homecare-backup")
    assert "hostNetwork" in ns.metadata["annotations"]["homecare.io/pod-security-exception"]


def test_etcd_snapshot_then_finalize(prod: MockedRun) -> None:
    pod = pod_spec(prod.named("CronJob", "etcd-backup"))
    (snapshot,) = pod["initContainers"]
    (finalize,) = pod["containers"]
    assert snapshot["image"] == "registry.k8s.io/etcd:3.7.0-0"
    assert snapshot["command"] == ETCDCTL
    assert finalize["image"] == "msi-master:5000/homecare/backups:0.1.0"
    command = finalize["command"]
    assert command[:3] == ["homecare-backups", "etcd", "finalize"]
    etcd = render_config("prod")["backups"]["etcd"]
    assert _flag(command, "--snapshot") == "/scratch/etcd-snapshot.db"
    assert _flag(command, "--pki-dir") == "/etc/kubernetes/pki"
    assert _flag(command, "--keep-count") == str(etcd["keepCount"])
    assert _flag(command, "--keep-days") == str(etcd["keepDays"])
    assert _flag(command, "--offnode-dest") == "/offnode/etcd"
    assert _flag(command, "--age-recipients-file") == "/secrets/age/recipients.txt"
    assert _flag(command, "--metrics-file").endswith("/homecare_backup_etcd.prom")
    # The path the Ansible control_plane role writes (control_plane_encryption_config_file).
    assert _flag(command, "--encryption-config") == "/etc/kubernetes/encryption/config.yaml"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["offnode"]["nfs"] == {
        "server": etcd["offnodeNfsServer"],
        "path": etcd["offnodeNfsPath"],
    }
    assert volumes["work"]["emptyDir"]
    assert volumes["age"]["secret"]["secretName"] == "backup-age-recipients"


def test_etcd_backup_mounts_certificates_read_only(prod: MockedRun) -> None:
    cron = prod.named("CronJob", "etcd-backup")
    host_paths = {
        v["name"]: v["hostPath"]["path"] for v in pod_spec(cron)["volumes"] if "hostPath" in v
    }
    assert host_paths["pki"] == "/etc/kubernetes/pki"
    for c in containers(cron):
        for mount in c["volumeMounts"]:
            if mount["name"] in ("pki", "encryption", "age"):
                assert mount["readOnly"] is True, (c["name"], mount["name"])


def test_etcd_backup_is_as_locked_down_as_host_access_allows(prod: MockedRun) -> None:
    cron = prod.named("CronJob", "etcd-backup")
    for c in containers(cron):
        ctx = c["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["privileged"] is False
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        assert set(c["resources"]["limits"]) == {"cpu", "memory", "ephemeral-storage"}
    assert pod_spec(cron)["automountServiceAccountToken"] is False


def test_etcd_backup_exceptions_are_waived_inline_with_reasons(prod: MockedRun) -> None:
    annotations = prod.named("CronJob", "etcd-backup").metadata["annotations"]
    waivers = dict(
        value.split("=", 1)
        for key, value in annotations.items()
        if key.startswith("checkov.io/skip")
    )
    assert {"CKV_K8S_19", "CKV_K8S_23", "CKV_K8S_40"} <= set(waivers)
    assert all(len(reason) > 20 for reason in waivers.values())


def test_postgres_backup_is_restricted(run: MockedRun) -> None:
    cron = run.named("CronJob", "pg-backup")
    assert restricted_violations(cron) == []
    assert cron.metadata["namespace"] == render_config(run.stack)["namespace"]


def test_postgres_backup_command_and_storage(run: MockedRun) -> None:
    spec = _cron(run, "pg-backup")
    cfg = render_config(run.stack)["backups"]["postgres"]
    assert spec["schedule"] == cfg["schedule"]
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    command = container["command"]
    assert command[:3] == ["homecare-backups", "db", "backup"]
    assert _flag(command, "--database-url-env") == "HOMECARE_DATABASE_URL"
    assert _flag(command, "--dest") == "/backups/pg"
    assert _flag(command, "--keep-count") == str(cfg["keepCount"])
    assert _flag(command, "--keep-days") == str(cfg["keepDays"])
    assert "--pushgateway-url" not in command
    (env,) = container["env"]
    assert env["valueFrom"]["secretKeyRef"] == {"name": "postgres-credentials", "key": "url"}
    claim = {v["name"]: v for v in pod["volumes"]}["backups"]["persistentVolumeClaim"]
    pvc = run.named("PersistentVolumeClaim", claim["claimName"])
    assert pvc.inputs["spec"]["resources"]["requests"]["storage"] == cfg["storageSize"]


def test_pushgateway_and_retention_come_from_config() -> None:
    config = render_config("dev")
    config["backups"]["postgres"] |= {
        "pushgatewayUrl": "http://pushgateway.monitoring.svc:9091",
        "keepCount": 9,
    }
    run = run_mocked("dev", config=config)
    command = pod_spec(run.named("CronJob", "pg-backup"))["containers"][0]["command"]
    assert _flag(command, "--pushgateway-url") == "http://pushgateway.monitoring.svc:9091"
    assert _flag(command, "--keep-count") == "9"
    policy = run.named("NetworkPolicy", "allow-pg-backup").inputs["spec"]
    assert any(p["port"] == 9091 for rule in policy["egress"] for p in rule["ports"])


def test_etcd_offnode_copy_can_go_to_a_mounted_host_directory() -> None:
    config = render_config("prod")
    config["backups"]["etcd"] |= {"offnode": "hostPath", "offnodeHostPath": "/mnt/usb-backups"}
    pod = pod_spec(run_mocked("prod", config=config).named("CronJob", "etcd-backup"))
    volumes = {v["name"]: v for v in pod["volumes"]}
    # A missing directory fails the job (type Directory) instead of being created on the node.
    assert volumes["offnode"] == {
        "name": "offnode",
        "hostPath": {"path": "/mnt/usb-backups", "type": "Directory"},
    }
    assert _flag(pod["containers"][0]["command"], "--offnode-dest") == "/offnode/etcd"


def test_etcd_offnode_mode_is_checked() -> None:
    config = render_config("prod")
    config["backups"]["etcd"] |= {"offnode": "s3"}
    with pytest.raises(SettingsError, match="offnode"):
        run_mocked("prod", config=config)


@pytest.mark.parametrize(
    ("stack", "archiving"), [("dev", False), ("staging", True), ("prod", True)]
)
def test_wal_archiving_toggle(stack: str, archiving: bool) -> None:
    statefulset = mocked(stack).named("StatefulSet", "postgres")
    args = " ".join(pod_spec(statefulset)["containers"][0]["args"])
    assert ("archive_mode=on" in args) is archiving
    claims = [c["metadata"]["name"] for c in statefulset.inputs["spec"]["volumeClaimTemplates"]]
    assert ("wal-archive" in claims) is archiving


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_etcd_backup_can_be_enabled_in_every_stack(stack: str) -> None:
    config = render_config(stack)
    config["backups"]["etcd"] = {
        **config["backups"].get("etcd", {}),
        "enabled": True,
        "keepCount": 5,
        "keepDays": 2,
        "schedule": "5 4 * * *",
    }
    run = run_mocked(stack, config=config)
    cron = run.named("CronJob", "etcd-backup")
    spec = cron.inputs["spec"]
    assert (spec["schedule"], spec["concurrencyPolicy"]) == ("5 4 * * *", "Forbid")
    command = pod_spec(cron)["containers"][0]["command"]
    assert (_flag(command, "--keep-count"), _flag(command, "--keep-days")) == ("5", "2")
    assert pod_spec(cron)["nodeSelector"] == {"homecare.io/role": "control-plane"}
    assert namespace_labels(run, "homecare-backup")["pod-security.kubernetes.io/enforce"] == (
        "privileged"
    )
