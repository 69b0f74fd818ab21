"""`etcd verify` and `etcd restore`: the kubeadm single-control-plane restore procedure.

restore: verify the backup → stop the static pods (move the manifests out) → `etcdutl snapshot
restore --bump-revision 1000000000 --mark-compacted` into a NEW data dir → point the etcd
manifest's etcd-data hostPath at it → start etcd, wait until healthy → start the other static
pods → verify the revision. The old data dir is left untouched for rollback.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from homecare_backups import crypto
from homecare_backups.artifacts import SET_FILE, new_stamp, set_of, sha256_of
from homecare_backups.errors import BackupError, RefusedError
from homecare_backups.etcd_manifest import EtcdManifest
from homecare_backups.etcd_snapshot import SnapshotStatus, verify_snapshot
from homecare_backups.proc import find_tool, run
from homecare_backups.progress import Progress

BUMP_REVISION = 1_000_000_000
KUBEADM_MANIFEST = Path("/etc/kubernetes/manifests/etcd.yaml")
KUBEADM_ETCD_PKI = Path("/etc/kubernetes/pki/etcd")


@dataclass(frozen=True)
class Endpoint:
    """How to reach etcd for health checks (kubeadm: https with the healthcheck client cert)."""

    url: str = "https://127.0.0.1:2379"
    pki_dir: Path = KUBEADM_ETCD_PKI

    def etcdctl(self, *args: str) -> list[str]:
        command = [
            find_tool("etcdctl"),
            f"--endpoints={self.url}",
            "--dial-timeout=2s",
            "--command-timeout=5s",
        ]
        if self.url.startswith("https://"):
            command += [
                f"--cacert={self.pki_dir / 'ca.crt'}",
                f"--cert={self.pki_dir / 'healthcheck-client.crt'}",
                f"--key={self.pki_dir / 'healthcheck-client.key'}",
            ]
        return [*command, *args]

    def check_credentials(self) -> None:
        """For https, the client certificate files must exist (before anything is stopped)."""
        if not self.url.startswith("https://"):
            return
        names = ("ca.crt", "healthcheck-client.crt", "healthcheck-client.key")
        missing = [str(self.pki_dir / n) for n in names if not (self.pki_dir / n).is_file()]
        if missing:
            raise BackupError(
                f"cannot check etcd at {self.url}: missing {', '.join(missing)}",
                "pass --etcd-pki-dir with kubeadm's etcd PKI (/etc/kubernetes/pki/etcd)",
            )

    def status(self) -> dict[str, int] | None:
        """The endpoint's header (revision, member_id, ...) or None when it does not answer."""
        try:
            output = run(
                self.etcdctl("endpoint", "status", "-w", "json"), what="etcdctl", timeout=15
            )
        except BackupError:
            return None
        header: dict[str, int] = json.loads(output)[0]["Status"]["header"]
        return header


@contextmanager
def plain_snapshot(
    file: Path, identity_file: Path | None, workdir: Path, progress: Progress
) -> Iterator[tuple[Path, SnapshotStatus]]:
    """Check a backup file (encrypted set member or plain snapshot); yield the plain snapshot."""
    encrypted = file.name.endswith(".age")
    metadata: dict[str, object] = {}
    if SET_FILE.match(file.name):
        backup = set_of(file)
        if backup.complete:
            with progress.step(f"checking the set's checksums ({backup.manifest.name})"):
                progress.note(f"{len(backup.verify_checksums())} files match")
            meta_path = backup.path(".json")
            if meta_path.is_file():
                metadata = json.loads(meta_path.read_text())
    if not encrypted:
        with progress.step(f"verifying snapshot {file.name}"):
            status = verify_snapshot(file)
            progress.note(status.describe())
        yield file, status
        return
    if identity_file is None:
        raise BackupError(
            f"{file.name} is encrypted; its contents cannot be checked without the key",
            crypto.IDENTITY_HINT,
        )
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".homecare-restore-", dir=workdir) as tmp:
        plain = Path(tmp) / file.name.removesuffix(".age")
        with progress.step(f"decrypting {file.name}"):
            crypto.decrypt_file(file, plain, identity_file)
            expected = metadata.get("snapshot_sha256")
            if expected is not None and sha256_of(plain) != expected:
                raise BackupError(
                    f"decrypted snapshot does not match the SHA-256 recorded at backup time "
                    f"in {file.name.removesuffix('.db.age')}.json",
                    "use another copy of this backup or an older one",
                )
        with progress.step("verifying the decrypted snapshot"):
            status = verify_snapshot(plain)
            progress.note(status.describe())
        yield plain, status


def verify(file: Path, identity_file: Path | None) -> SnapshotStatus:
    progress = Progress(f"etcd verify {file}")
    if file.name.endswith(".age") and identity_file is None:
        backup = set_of(file)
        with progress.step(f"checking the set's checksums ({backup.manifest.name})"):
            progress.note(f"{len(backup.verify_checksums())} files match")
        metadata = json.loads(backup.path(".json").read_text())
        status = SnapshotStatus(**metadata["snapshot_status"])
        progress.note(
            f"recorded at backup time: {status.describe()} (pass --identity-file to decrypt and "
            "check the snapshot itself)"
        )
        return status
    with plain_snapshot(file, identity_file, Path(tempfile.gettempdir()), progress) as (_, status):
        print(f"==> {file.name} is a good snapshot: {status.describe()}", flush=True)
        return status


@dataclass(frozen=True)
class RestoreOptions:
    file: Path
    data_dir: Path
    manifest: Path
    yes: bool
    identity_file: Path | None
    endpoint: Endpoint
    stop_timeout: float = 180
    start_timeout: float = 300


def restore(options: RestoreOptions) -> int:
    """Run the restore; returns the revision etcd reports afterwards."""
    progress = Progress(f"etcd restore from {options.file} into {options.data_dir}")
    with progress.step(f"reading the etcd manifest {options.manifest}"):
        manifest = EtcdManifest.load(options.manifest)
        progress.note(f"current data dir: {manifest.data_dir}; member {manifest.flag('name')}")
    _check_new_data_dir(options.data_dir, manifest.data_dir)
    options.endpoint.check_credentials()
    with progress.step(f"checking etcd at {options.endpoint.url}"):
        header = options.endpoint.status()
        progress.note(
            f"answers, revision {header['revision']}"
            if header
            else "does not answer (already down? otherwise check --endpoint/--etcd-pki-dir)"
        )
    with plain_snapshot(options.file, options.identity_file, options.data_dir.parent, progress) as (
        plain,
        status,
    ):
        if not options.yes:
            raise RefusedError(
                "restore stops the control plane and replaces etcd's data: refusing without "
                f"--yes (would restore revision {status.revision} into {options.data_dir} and "
                f"repoint {options.manifest})",
                "re-run with --yes once you have read docs/runbooks/etcd-restore.md",
            )
        stopped_dir = options.manifest.parent.parent / f"manifests-stopped-{new_stamp()}"
        _stop_static_pods(options, stopped_dir, progress)
        try:
            with progress.step(
                f"etcdutl snapshot restore into {options.data_dir} "
                f"(--bump-revision {BUMP_REVISION} --mark-compacted)"
            ):
                _etcdutl_restore(plain, options.data_dir, manifest)
        except BackupError:
            _print_rollback(stopped_dir, options.manifest.parent)
            raise
    try:
        revision = _start_restored(options, manifest, stopped_dir, status, progress)
    except BackupError:
        _print_rollback(stopped_dir, options.manifest.parent)
        raise
    print(
        f"==> etcd restored: revision {revision} (snapshot {status.revision} + bump). Next: "
        "`systemctl restart kubelet`, `kubectl get nodes`, then keep the old data dir "
        f"{manifest.data_dir} until the cluster is confirmed healthy.",
        flush=True,
    )
    return revision


def _check_new_data_dir(new: Path, current: Path) -> None:
    if new.resolve() == current.resolve():
        raise BackupError(
            f"--data-dir {new} is etcd's current data dir",
            "restore into a NEW directory, e.g. /var/lib/etcd-restored-$(date +%Y%m%d)",
        )
    if new.exists() and any(new.iterdir()):
        raise BackupError(f"--data-dir {new} exists and is not empty", "pick a new directory")


def _stop_static_pods(options: RestoreOptions, stopped_dir: Path, progress: Progress) -> None:
    manifests_dir = options.manifest.parent
    with progress.step(f"stopping the static pods: moving {manifests_dir}/* to {stopped_dir}"):
        stopped_dir.mkdir(mode=0o700)
        for manifest in sorted(manifests_dir.iterdir()):
            if manifest.is_file() and not manifest.name.startswith("."):
                shutil.move(manifest, stopped_dir / manifest.name)
                progress.note(f"moved {manifest.name}")
    with progress.step(f"waiting for etcd at {options.endpoint.url} to stop"):
        deadline = time.monotonic() + options.stop_timeout
        while options.endpoint.status() is not None:
            if time.monotonic() > deadline:
                _print_rollback(stopped_dir, manifests_dir)
                raise BackupError(
                    f"etcd still answers at {options.endpoint.url} "
                    f"{options.stop_timeout:.0f} s after its manifest was removed",
                    "check the kubelet (`crictl ps`), stop the etcd container, run again",
                )
            time.sleep(1)


def _etcdutl_restore(plain: Path, data_dir: Path, manifest: EtcdManifest) -> None:
    args = [
        find_tool("etcdutl"),
        "snapshot",
        "restore",
        str(plain),
        f"--data-dir={data_dir}",
        f"--bump-revision={BUMP_REVISION}",
        "--mark-compacted",
    ]
    for flag in ("name", "initial-cluster", "initial-advertise-peer-urls", "initial-cluster-token"):
        value = manifest.flag(flag)
        if value is not None:
            args.append(f"--{flag}={value}")
    run(
        args,
        what="etcdutl snapshot restore",
        timeout=1800,
        hint="check free disk space and that --data-dir is on a local disk",
    )
    data_dir.chmod(0o700)


def _start_restored(
    options: RestoreOptions,
    manifest: EtcdManifest,
    stopped_dir: Path,
    snapshot: SnapshotStatus,
    progress: Progress,
) -> int:
    moved = stopped_dir / options.manifest.name
    with progress.step(f"pointing the etcd-data hostPath at {options.data_dir}"):
        shutil.copy2(moved, stopped_dir / f"{options.manifest.name}.orig")
        restored = EtcdManifest.load(moved)
        restored.repoint(options.data_dir)
        restored.save()
        progress.note(f"original kept as {stopped_dir / (options.manifest.name + '.orig')}")
    with progress.step("starting etcd (moving its manifest back) and waiting until healthy"):
        shutil.move(moved, options.manifest)
        revision = _wait_for_revision(options, snapshot.revision)
        progress.note(f"etcd answers, revision {revision}")
    with progress.step("starting the other static pods"):
        for other in sorted(stopped_dir.glob("*")):
            if other.suffix in (".yaml", ".yml", ".json"):
                shutil.move(other, options.manifest.parent / other.name)
                progress.note(f"moved back {other.name}")
    with progress.step("verifying etcd after the restart of the control plane"):
        revision = _wait_for_revision(options, snapshot.revision)
        progress.note(f"revision {revision} > snapshot revision {snapshot.revision}")
    return revision


def _wait_for_revision(options: RestoreOptions, snapshot_revision: int) -> int:
    deadline = time.monotonic() + options.start_timeout
    while time.monotonic() < deadline:
        header = options.endpoint.status()
        if header is not None:
            revision = int(header["revision"])
            if revision <= snapshot_revision:
                raise BackupError(
                    f"etcd answers with revision {revision}, not above the snapshot's "
                    f"{snapshot_revision}: it is not running on the restored data",
                    "check the etcd manifest's etcd-data hostPath and the etcd container logs",
                )
            return revision
        time.sleep(1)
    raise BackupError(
        f"etcd did not come up at {options.endpoint.url} within {options.start_timeout:.0f} s",
        "check `crictl ps -a`, `crictl logs <etcd container>` and `journalctl -u kubelet`",
    )


def _print_rollback(stopped_dir: Path, manifests_dir: Path) -> None:
    print(
        f"!! the control-plane manifests are in {stopped_dir}. To go back to the old data: "
        f"`cp {stopped_dir}/etcd.yaml.orig {manifests_dir}/etcd.yaml` (if it exists) and "
        f"`mv {stopped_dir}/*.yaml {manifests_dir}/`.",
        flush=True,
    )
