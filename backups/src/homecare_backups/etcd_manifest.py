"""Reading and repointing kubeadm's etcd static-pod manifest (/etc/kubernetes/manifests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from homecare_backups.errors import BackupError

DATA_VOLUME = "etcd-data"


@dataclass
class EtcdManifest:
    path: Path
    document: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> EtcdManifest:
        if not path.is_file():
            raise BackupError(
                f"etcd manifest {path} does not exist",
                "pass --manifest with the etcd static-pod manifest (kubeadm: "
                "/etc/kubernetes/manifests/etcd.yaml)",
            )
        document = yaml.safe_load(path.read_text())
        manifest = cls(path, document)
        manifest.data_volume()  # validates the shape early
        return manifest

    def container(self) -> dict[str, Any]:
        containers = self.document.get("spec", {}).get("containers", [])
        for container in containers:
            if container.get("name") == "etcd":
                return dict(container)
        raise BackupError(f"{self.path} has no container named 'etcd'", "pass the etcd manifest")

    def flag(self, name: str) -> str | None:
        """Value of `--name=value` in the etcd command line."""
        prefix = f"--{name}="
        for arg in self.container().get("command", []):
            if str(arg).startswith(prefix):
                return str(arg)[len(prefix) :]
        return None

    def data_volume(self) -> dict[str, Any]:
        for volume in self.document.get("spec", {}).get("volumes", []):
            if volume.get("name") == DATA_VOLUME and "hostPath" in volume:
                return dict(volume["hostPath"])
        raise BackupError(
            f"{self.path} has no hostPath volume named {DATA_VOLUME!r}",
            "this tool handles kubeadm's etcd manifest; restore by hand following "
            "docs/runbooks/etcd-restore.md",
        )

    @property
    def data_dir(self) -> Path:
        return Path(self.data_volume()["path"])

    def repoint(self, new_data_dir: Path) -> None:
        for volume in self.document["spec"]["volumes"]:
            if volume.get("name") == DATA_VOLUME:
                volume["hostPath"]["path"] = str(new_data_dir)

    def save(self, path: Path | None = None) -> None:
        target = path or self.path
        target.write_text(yaml.safe_dump(self.document, sort_keys=False))
