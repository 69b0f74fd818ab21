"""The cluster PKI needed to rebuild a lost control plane, packed (in memory) for encryption."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from homecare_backups.errors import BackupError

# Paths relative to the kubeadm PKI directory (/etc/kubernetes/pki).
REQUIRED_PKI_FILES = (
    "ca.crt",
    "ca.key",
    "sa.key",
    "sa.pub",
    "front-proxy-ca.crt",
    "front-proxy-ca.key",
    "etcd/ca.crt",
    "etcd/ca.key",
)
PUBLIC_SUFFIXES = (".crt", ".pub")  # everything else (keys, encryption config) is 0600
ENCRYPTION_CONFIG_MEMBER = "encryption-config/encryption-config.yaml"


def pack_pki(pki_dir: Path, encryption_config: Path) -> tuple[bytes, list[str]]:
    """A .tar.gz (bytes) of the required PKI files + encryption config; lists what it holds."""
    missing = [name for name in REQUIRED_PKI_FILES if not (pki_dir / name).is_file()]
    if not encryption_config.is_file():
        missing.append(str(encryption_config))
    if missing:
        raise BackupError(
            f"cannot back up the cluster PKI: missing {', '.join(missing)} (in {pki_dir})",
            "mount the kubeadm PKI directory (/etc/kubernetes/pki) and the encryption config "
            "read-only into the job and pass them with --pki-dir / --encryption-config",
        )
    buffer = io.BytesIO()
    members: list[str] = []
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in REQUIRED_PKI_FILES:
            archive.add(pki_dir / name, arcname=f"pki/{name}", recursive=False)
            members.append(f"pki/{name}")
        archive.add(encryption_config, arcname=ENCRYPTION_CONFIG_MEMBER, recursive=False)
        members.append(ENCRYPTION_CONFIG_MEMBER)
    return buffer.getvalue(), members


def unpack_pki(
    archive_bytes: bytes, target: Path, encryption_config: Path, overwrite: bool
) -> list[Path]:
    """Write the PKI files under `target` and the encryption config to `encryption_config`."""
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        destinations = {}
        for member in members:
            relative = Path(member.name)
            if relative.is_absolute() or ".." in relative.parts:
                raise BackupError(f"PKI archive member {member.name} has an unsafe path")
            if relative.parts[0] == "pki":
                destinations[member.name] = target / Path(*relative.parts[1:])
            else:
                destinations[member.name] = encryption_config
        existing = [str(p) for p in destinations.values() if p.exists()]
        if existing and not overwrite:
            raise BackupError(
                f"refusing to overwrite existing files: {', '.join(existing)}",
                "move them away first, or re-run with --yes to overwrite them",
            )
        for member in members:
            source = archive.extractfile(member)
            if source is None:
                continue
            destination = destinations[member.name]
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            destination.write_bytes(source.read())
            destination.chmod(0o644 if destination.suffix in PUBLIC_SUFFIXES else 0o600)
            written.append(destination)
    return written
