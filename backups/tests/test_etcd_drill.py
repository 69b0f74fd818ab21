"""Drill: real etcd 3.6 → snapshot → finalize → verify → restore (revision bump) → same data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from drill_support import AgeKeys, CliRunner, make_age_keys, metric_values
from etcd_harness import EtcdClient, KubeletEmulator, kubeadm_etcd_manifest, make_etcd_pki

from homecare_backups.etcd_snapshot import HASH_SIZE
from homecare_backups.pg_scratch import free_port
from homecare_backups.pki import REQUIRED_PKI_FILES

pytestmark = pytest.mark.usefixtures("tools_on_path")
BUMP = 1_000_000_000


@dataclass
class Cluster:
    root: Path
    manifests: Path
    kubelet: KubeletEmulator
    client: EtcdClient
    endpoint: str
    pki: Path
    encryption_config: Path
    snapshot: Path
    snapshot_data: dict[str, bytes]
    snapshot_revision: int


def kubernetes_like_keys(client: EtcdClient) -> None:
    """Namespaces, pods, secrets (binary, like encrypted values), leases; with history."""
    for ns in ("default", "kube-system", "homecare"):
        client.put(
            f"/registry/namespaces/{ns}",
            json.dumps({"kind": "Namespace", "metadata": {"name": ns}}).encode(),
        )
    for i in range(120):
        pod = {
            "kind": "Pod",
            "metadata": {"name": f"api-{i}", "namespace": "homecare"},
            "spec": {"nodeName": "desktop-worker" if i % 2 else "msi-master"},
        }
        client.put(f"/registry/pods/homecare/api-{i}", json.dumps(pod).encode())
    for i in range(30):
        client.put(
            f"/registry/secrets/homecare/s-{i}", b"k8s:enc:secretbox:v1:key1:" + os.urandom(64)
        )
    for i in range(10):  # history: updates and deletes before the snapshot
        client.put(f"/registry/leases/kube-system/lease-{i}", f"v1-{i}".encode())
        client.put(f"/registry/leases/kube-system/lease-{i}", f"v2-{i}".encode())
    client.delete("/registry/pods/homecare/api-0")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, etcd_bin: Path) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("control-plane")
    manifests = root / "etc-kubernetes" / "manifests"
    manifests.mkdir(parents=True)
    pki = root / "etc-kubernetes" / "pki"
    make_etcd_pki(pki / "etcd")  # real certificates: etcd runs with mutual TLS like kubeadm's
    for name in REQUIRED_PKI_FILES:  # the other CA/SA files only need to round-trip
        if not (pki / name).exists():
            (pki / name).write_bytes(os.urandom(256))
    client_port = free_port()
    peer_port = next(p for p in iter(free_port, None) if p != client_port)
    (manifests / "etcd.yaml").write_text(
        kubeadm_etcd_manifest(root / "var-lib-etcd", pki / "etcd", client_port, peer_port)
    )
    (manifests / "kube-apiserver.yaml").write_text("kind: Pod\nmetadata: {name: kube-apiserver}\n")
    encryption_config = root / "etc-kubernetes" / "encryption-config.yaml"
    encryption_config.write_text(
        "kind: EncryptionConfiguration\napiVersion: apiserver.config"
        ".k8s.io/v1\nresources: [{resources: [secrets], providers: "
        "[{secretbox: {keys: [{name: key1, secret: c2VjcmV0}]}}]}]\n"
    )
    endpoint = f"https://127.0.0.1:{client_port}"
    client = EtcdClient(endpoint, pki / "etcd")
    with KubeletEmulator(manifests, etcd_bin / "etcd", root) as kubelet:
        client.wait_healthy()
        kubernetes_like_keys(client)
        snapshot = root / "snapshot.db"
        subprocess.run(
            [
                str(etcd_bin / "etcdctl"),
                f"--endpoints={endpoint}",
                f"--cacert={pki}/etcd/ca.crt",
                f"--cert={pki}/etcd/healthcheck-client.crt",
                f"--key={pki}/etcd/healthcheck-client.key",
                "snapshot",
                "save",
                str(snapshot),
            ],
            check=True,
            capture_output=True,
        )
        data, revision = client.everything()
        yield Cluster(
            root,
            manifests,
            kubelet,
            client,
            endpoint,
            pki,
            encryption_config,
            snapshot,
            data,
            revision,
        )


def finalize_args(
    cluster: Cluster,
    snapshot: Path,
    dest: Path,
    keys: AgeKeys,
    metrics: Path,
    offnode: Path | None = None,
) -> list[str | Path]:
    args: list[str | Path] = [
        "etcd",
        "finalize",
        "--snapshot",
        snapshot,
        "--pki-dir",
        cluster.pki,
        "--encryption-config",
        cluster.encryption_config,
        "--dest",
        dest,
        "--keep-count",
        "3",
        "--keep-days",
        "7",
        "--age-recipients-file",
        keys.recipients,
        "--metrics-file",
        metrics,
    ]
    if offnode is not None:
        args += ["--offnode-dest", offnode]
    return args


def test_etcd_backup_verify_restore_drill(
    cluster: Cluster,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    tmp_path: Path,
) -> None:
    dest, offnode, metrics = tmp_path / "backups", tmp_path / "worker" / "etcd", tmp_path / "m.prom"
    began = time.time()
    result = run_cli(*finalize_args(cluster, cluster.snapshot, dest, age_keys, metrics, offnode))
    finished = time.time()
    assert result.code == 0, result.err
    assert f"revision {cluster.snapshot_revision}" in result.out
    sets = sorted(p.name for p in dest.iterdir())
    assert len(sets) == 4, sets  # .db.age, .pki.tar.gz.age, .json, .sha256
    assert sets == sorted(p.name for p in offnode.iterdir())
    encrypted = next(dest.glob("etcd-*.db.age"))
    assert cluster.snapshot.read_bytes()[:4096] not in encrypted.read_bytes()  # encrypted at rest

    # Metrics exported by this run: success time inside the run, size = the set on disk.
    values = metric_values(metrics, "etcd")
    assert began <= values["homecare_backup_last_success_timestamp_seconds"] <= finished
    assert values["homecare_backup_last_size_bytes"] == sum(
        p.stat().st_size for p in dest.iterdir()
    )
    assert 0 < values["homecare_backup_last_duration_seconds"] <= finished - began
    assert values["homecare_backup_last_attempt_success"] == 1

    # Writes after the snapshot must not survive the restore.
    cluster.client.put("/registry/pods/homecare/after-snapshot", b"lost")

    verified = run_cli(
        "etcd", "verify", offnode / encrypted.name, "--identity-file", age_keys.identity
    )
    assert verified.code == 0
    assert "is a good snapshot" in verified.out
    checksums_only = run_cli("etcd", "verify", offnode / encrypted.name)  # no key on the worker
    assert checksums_only.code == 0
    assert "3 files match" in checksums_only.out
    assert f"revision {cluster.snapshot_revision}" in checksums_only.out

    new_data = cluster.root / "var-lib-etcd-restored"
    restore = [
        "etcd",
        "restore",
        encrypted,
        "--data-dir",
        new_data,
        "--manifest",
        cluster.manifests / "etcd.yaml",
        "--endpoint",
        cluster.endpoint,
        "--etcd-pki-dir",
        cluster.pki / "etcd",
        "--identity-file",
        age_keys.identity,
        "--stop-timeout",
        "60",
    ]
    refused = run_cli(*restore)
    assert refused.code == 3
    assert "refusing without --yes" in refused.err
    assert not new_data.exists()
    assert (cluster.manifests / "kube-apiserver.yaml").exists()
    assert cluster.client.healthy()

    restored = run_cli(*restore, "--yes")
    assert restored.code == 0, restored.err
    assert f"answers, revision {cluster.snapshot_revision + 1}" in restored.out
    manifest = yaml.safe_load((cluster.manifests / "etcd.yaml").read_text())
    data_volume = next(v for v in manifest["spec"]["volumes"] if v["name"] == "etcd-data")
    assert data_volume["hostPath"]["path"] == str(new_data)
    assert (cluster.manifests / "kube-apiserver.yaml").exists()
    assert cluster.kubelet.started_data_dirs[-1] == str(new_data)

    data, revision = cluster.client.everything()
    assert data == cluster.snapshot_data  # every key and value identical, nothing newer
    assert revision >= cluster.snapshot_revision + BUMP
    with pytest.raises(OSError, match=r"400|compacted"):
        cluster.client.everything(revision=cluster.snapshot_revision)  # --mark-compacted


def test_pki_is_restorable_on_new_hardware(
    cluster: Cluster,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    tmp_path: Path,
) -> None:
    dest = tmp_path / "backups"
    assert (
        run_cli(*finalize_args(cluster, cluster.snapshot, dest, age_keys, tmp_path / "m.prom")).code
        == 0
    )
    pki_backup = next(dest.glob("etcd-*.pki.tar.gz.age"))
    assert b"BEGIN" not in pki_backup.read_bytes()
    assert cluster.pki.joinpath("ca.key").read_bytes() not in pki_backup.read_bytes()
    new_pki = tmp_path / "new-laptop" / "etc-kubernetes" / "pki"
    restored_config = new_pki.parent / "encryption" / "config.yaml"
    extract = [
        "etcd",
        "extract-pki",
        pki_backup,
        "--pki-dir",
        new_pki,
        "--encryption-config",
        restored_config,
        "--identity-file",
        age_keys.identity,
    ]
    result = run_cli(*extract)
    assert result.code == 0, result.err
    for name in REQUIRED_PKI_FILES:
        assert (new_pki / name).read_bytes() == (cluster.pki / name).read_bytes(), name
    assert (new_pki / "ca.key").stat().st_mode & 0o777 == 0o600
    assert restored_config.stat().st_mode & 0o777 == 0o600
    assert restored_config.read_bytes() == cluster.encryption_config.read_bytes()
    again = run_cli(*extract)
    assert again.code == 1
    assert "refusing to overwrite" in again.err


@pytest.mark.parametrize(
    ("damage", "message"),
    [("corrupt", "is corrupted"), ("truncate", "truncated"), ("empty", "too small")],
)
def test_damaged_snapshot_is_rejected_and_nothing_is_deleted(
    cluster: Cluster,
    run_cli: CliRunner,
    age_keys: AgeKeys,
    tmp_path: Path,
    damage: str,
    message: str,
) -> None:
    dest, metrics = tmp_path / "backups", tmp_path / "m.prom"
    # Four older backups, all beyond --keep-count 3 and --keep-days 7: a good run would prune.
    for day in range(10, 14):
        stamp = f"202601{day:02d}T000000Z"
        (dest / f"etcd-{stamp}.db.age").parent.mkdir(parents=True, exist_ok=True)
        (dest / f"etcd-{stamp}.db.age").write_bytes(b"old")
        (dest / f"etcd-{stamp}.sha256").write_text("")
    metrics.write_text('homecare_backup_last_success_timestamp_seconds{kind="etcd"} 1234.0\n')
    before = sorted(p.name for p in dest.iterdir())
    bad = tmp_path / "bad.db"
    good = cluster.snapshot.read_bytes()
    if damage == "corrupt":
        middle = len(good) // 2
        bad.write_bytes(
            good[:middle]
            + bytes(b ^ 0xFF for b in good[middle : middle + 64])
            + good[middle + 64 :]
        )
    elif damage == "truncate":
        bad.write_bytes(good[: len(good) - 4096 - HASH_SIZE + 7])
    else:
        bad.write_bytes(b"")
    result = run_cli(*finalize_args(cluster, bad, dest, age_keys, metrics))
    assert result.code == 1
    assert "is rejected" in result.err
    assert message in result.err
    assert "nothing was deleted" in result.err
    assert sorted(p.name for p in dest.iterdir()) == before
    assert bad.read_bytes() != b"" or damage == "empty"
    values = metric_values(metrics, "etcd")
    assert values["homecare_backup_last_attempt_success"] == 0
    assert values["homecare_backup_last_success_timestamp_seconds"] == 1234.0
    verify = run_cli("etcd", "verify", bad)
    assert verify.code == 1
    assert message in verify.err


def test_restore_refuses_current_data_dir(
    cluster: Cluster, run_cli: CliRunner, tmp_path: Path
) -> None:
    manifest = tmp_path / "etcd.yaml"
    shutil.copy(cluster.manifests / "etcd.yaml", manifest)
    current = yaml.safe_load(manifest.read_text())["spec"]["volumes"][1]["hostPath"]["path"]
    result = run_cli(
        "etcd",
        "restore",
        cluster.snapshot,
        "--data-dir",
        current,
        "--manifest",
        manifest,
        "--endpoint",
        cluster.endpoint,
        "--yes",
    )
    assert result.code == 1
    assert "is etcd's current data dir" in result.err


def test_key_rotation_reencrypts_existing_backups(
    cluster: Cluster, run_cli: CliRunner, age_keys: AgeKeys, tmp_path: Path
) -> None:
    dest = tmp_path / "backups"
    assert (
        run_cli(*finalize_args(cluster, cluster.snapshot, dest, age_keys, tmp_path / "m")).code == 0
    )
    new_key = make_age_keys(tmp_path / "new-key", "backup-key-2027")
    snapshot = next(dest.glob("etcd-*.db.age"))
    before = snapshot.read_bytes()
    rekey = [
        "rekey",
        dest,
        "--identity-file",
        age_keys.identity,
        "--age-recipients-file",
        new_key.recipients,
    ]
    refused = run_cli(*rekey)
    assert refused.code == 3
    assert snapshot.read_bytes() == before
    assert run_cli(*rekey, "--yes").code == 0
    assert snapshot.read_bytes() != before
    old = run_cli("etcd", "verify", snapshot, "--identity-file", age_keys.identity)
    assert old.code == 1
    assert "decrypting" in old.err
    new = run_cli("etcd", "verify", snapshot, "--identity-file", new_key.identity)
    assert new.code == 0
    assert f"revision {cluster.snapshot_revision}" in new.out
    pki_dir = tmp_path / "pki"
    assert (
        run_cli(
            "etcd",
            "extract-pki",
            snapshot,
            "--pki-dir",
            pki_dir,
            "--encryption-config",
            tmp_path / "encryption" / "config.yaml",
            "--identity-file",
            new_key.identity,
        ).code
        == 0
    )


def test_restore_needs_the_etcd_client_certificate_before_stopping_anything(
    cluster: Cluster, run_cli: CliRunner, tmp_path: Path
) -> None:
    result = run_cli(
        "etcd",
        "restore",
        cluster.snapshot,
        "--data-dir",
        tmp_path / "new",
        "--manifest",
        cluster.manifests / "etcd.yaml",
        "--endpoint",
        cluster.endpoint,
        "--etcd-pki-dir",
        tmp_path / "no-pki",
        "--yes",
    )
    assert result.code == 1
    assert "healthcheck-client.crt" in result.err
    assert (cluster.manifests / "etcd.yaml").exists()
    assert cluster.client.healthy()
