"""etcd backup CronJob on the control-plane node.

``snapshot`` (the kubeadm etcd image, distroless: only etcdctl) saves a snapshot over the host
network with the read-only healthcheck client certificate; ``finalize`` (homecare/backups) verifies
it with etcdutl, writes the checksum, encrypts the snapshot and the PKI needed for a rebuild with
age, copies both off the node (the worker's NFS export, or a host directory where other storage
is mounted: ``backups.etcd.offnode``), prunes by count and age and writes the metrics as a
node-exporter textfile.

Documented exceptions from the restricted profile (namespace enforces ``privileged``):
host network (etcd listens on 127.0.0.1 only), hostPath mounts (PKI, encryption config, local
copies, textfile directory) and running as root (the kubeadm key files are root-owned 0600).
Privilege escalation stays off, every capability is dropped, the root filesystem is read-only.
"""

from __future__ import annotations

import pulumi

from homecare_infra import podspec
from homecare_infra.components.backup_cronjob import Schedule, backup_cron_job
from homecare_infra.podspec import Obj
from homecare_infra.settings import Settings

NAME = "etcd-backup"
PKI_DIR = "/etc/kubernetes/pki"
# Written by the Ansible control_plane role (control_plane_encryption_config_file).
ENCRYPTION_DIR = "/etc/kubernetes/encryption"
WORK_DIR = "/scratch"
SNAPSHOT = f"{WORK_DIR}/etcd-snapshot.db"
OFFNODE_DIR = "/offnode"
AGE_DIR = "/secrets/age"
METRICS_FILE = "homecare_backup_etcd.prom"

HOST_ACCESS_WAIVERS = {
    "CKV_K8S_19": "etcd serves clients on 127.0.0.1:2379 only: the snapshot needs hostNetwork",
    "CKV_K8S_23": "root is needed to read the kubeadm PKI (root-owned 0600); no capabilities",
    "CKV_K8S_40": "root is needed to read the kubeadm PKI (root-owned 0600); no capabilities",
}
ETCDCTL_WAIVERS = dict.fromkeys(
    ("CKV_K8S_116", "CKV_K8S_117", "CKV_K8S_119"),
    "the container runs etcdctl (a client), not the etcd server; the server's TLS flags "
    "are set by kubeadm",
)


def _etcdctl_command() -> list[str]:
    return [
        "etcdctl",
        "--endpoints=https://127.0.0.1:2379",
        f"--cacert={PKI_DIR}/etcd/ca.crt",
        f"--cert={PKI_DIR}/etcd/healthcheck-client.crt",
        f"--key={PKI_DIR}/etcd/healthcheck-client.key",
        "snapshot",
        "save",
        SNAPSHOT,
    ]


def finalize_command(settings: Settings) -> list[str]:
    etcd = settings.backups.etcd
    return [
        "homecare-backups",
        "etcd",
        "finalize",
        "--snapshot",
        SNAPSHOT,
        "--pki-dir",
        PKI_DIR,
        "--encryption-config",
        f"{ENCRYPTION_DIR}/config.yaml",
        "--dest",
        etcd.local_dir,
        "--offnode-dest",
        f"{OFFNODE_DIR}/etcd",
        "--keep-count",
        str(etcd.keep_count),
        "--keep-days",
        str(etcd.keep_days),
        "--age-recipients-file",
        f"{AGE_DIR}/recipients.txt",
        "--metrics-file",
        f"{etcd.textfile_dir}/{METRICS_FILE}",
    ]


def root_security_context() -> Obj:
    return {
        "runAsUser": 0,
        "runAsGroup": 0,
        "runAsNonRoot": False,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _offnode_volume(settings: Settings) -> Obj:
    etcd = settings.backups.etcd
    if etcd.offnode == "hostPath":
        # Directory, not DirectoryOrCreate: a path that is not there fails the job instead of
        # being created on the control plane's own disk. (An empty mount point still passes: the
        # operator's mount is theirs to watch.)
        path = {"path": etcd.offnode_host_path, "type": "Directory"}
        return {"name": "offnode", "hostPath": path}
    return {
        "name": "offnode",
        "nfs": {"server": etcd.offnode_nfs_server, "path": etcd.offnode_nfs_path},
    }


def _volumes(settings: Settings, age_secret: str) -> list[Obj]:
    etcd = settings.backups.etcd
    return [
        {"name": "pki", "hostPath": {"path": PKI_DIR, "type": "Directory"}},
        {"name": "encryption", "hostPath": {"path": ENCRYPTION_DIR, "type": "Directory"}},
        {"name": "work", "emptyDir": {"sizeLimit": "4Gi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "4Gi"}},
        {
            "name": "local-backups",
            "hostPath": {"path": etcd.local_dir, "type": "DirectoryOrCreate"},
        },
        _offnode_volume(settings),
        {"name": "textfile", "hostPath": {"path": etcd.textfile_dir, "type": "DirectoryOrCreate"}},
        {"name": "age", "secret": {"secretName": age_secret, "defaultMode": 0o400}},
    ]


def _job_pod(settings: Settings, age_secret: str) -> Obj:
    etcd = settings.backups.etcd
    read_only_pki = {"name": "pki", "mountPath": PKI_DIR, "readOnly": True}
    work = {"name": "work", "mountPath": WORK_DIR}
    snapshot = {
        "name": "snapshot",
        "image": etcd.etcd_image,
        "command": _etcdctl_command(),
        "securityContext": root_security_context(),
        # Disk: the snapshot lands in the 4Gi "work" emptyDir.
        "resources": podspec.bounded("50m", "64Mi", "500m", "256Mi", "256Mi", "4Gi"),
        "volumeMounts": [read_only_pki, work],
    }
    finalize = {
        "name": "finalize",
        "image": settings.backups_image,
        "command": finalize_command(settings),
        "securityContext": root_security_context(),
        # Disk: the encrypted archive is staged in the 4Gi /tmp emptyDir before it is copied.
        "resources": podspec.bounded("100m", "128Mi", "1", "512Mi", "256Mi", "4Gi"),
        "volumeMounts": [
            read_only_pki,
            {"name": "encryption", "mountPath": ENCRYPTION_DIR, "readOnly": True},
            {**work, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - container path
            {"name": "local-backups", "mountPath": etcd.local_dir},
            {"name": "offnode", "mountPath": OFFNODE_DIR},
            {"name": "textfile", "mountPath": etcd.textfile_dir},
            {"name": "age", "mountPath": AGE_DIR, "readOnly": True},
        ],
    }
    return {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": True,
        "dnsPolicy": "ClusterFirstWithHostNet",
        "restartPolicy": "Never",
        "priorityClassName": "system-node-critical",
        "nodeSelector": {podspec.ROLE_LABEL: "control-plane"},
        "tolerations": [podspec.control_plane_toleration()],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [snapshot],
        "containers": [finalize],
        "volumes": _volumes(settings, age_secret),
    }


class EtcdBackup(pulumi.ComponentResource):
    """ServiceAccount (no token) + CronJob in the privileged backup namespace."""

    def __init__(
        self,
        settings: Settings,
        namespace: str,
        age_secret: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("homecare:backup:EtcdBackup", NAME, None, opts)
        etcd = settings.backups.etcd
        self.cron_job = backup_cron_job(
            self,
            settings,
            namespace,
            NAME,
            Schedule(etcd.schedule, 600, 1, 1800),
            _job_pod(settings, age_secret),
            {**HOST_ACCESS_WAIVERS, **ETCDCTL_WAIVERS},
        )
        self.register_outputs({"name": NAME})
