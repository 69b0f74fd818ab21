"""Real etcd processes for the drills, and a small stand-in for the kubelet's static-pod loop.

`KubeletEmulator` watches a manifests directory like the kubelet does: when `etcd.yaml` appears
it starts the real etcd binary with the manifest's command line, mapping container paths to the
manifest's hostPath volumes; when the file disappears it stops etcd.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_etcd_pki(directory: Path) -> None:
    """kubeadm's etcd PKI layout: ca, server, peer, healthcheck-client (EC keys, 1 day)."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=etcd-ca",
    )
    usages = {
        "server": "serverAuth,clientAuth",
        "peer": "serverAuth,clientAuth",
        "healthcheck-client": "clientAuth",
    }
    for name, usage in usages.items():
        openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
        )
        (directory / f"{name}.ext").write_text(
            f"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n"
        )
        openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "1",
            "-extfile",
            f"{name}.ext",
        )


class EtcdClient:
    """etcd's JSON gRPC gateway (/v3/kv/...) over mutual TLS, to write and read every key fast."""

    def __init__(self, url: str, pki: Path) -> None:
        self.url = url
        self.tls = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.tls.load_cert_chain(pki / "healthcheck-client.crt", pki / "healthcheck-client.key")

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback http URL
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10, context=self.tls) as response:  # noqa: S310
            result: dict[str, Any] = json.loads(response.read())
            return result

    def put(self, key: str, value: bytes) -> None:
        self._call("/v3/kv/put", {"key": _b64(key.encode()), "value": _b64(value)})

    def delete(self, key: str) -> None:
        self._call("/v3/kv/deleterange", {"key": _b64(key.encode())})

    def everything(self, revision: int = 0) -> tuple[dict[str, bytes], int]:
        body: dict[str, Any] = {"key": _b64(b"\0"), "range_end": _b64(b"\0")}
        if revision:
            body["revision"] = revision
        result = self._call("/v3/kv/range", body)
        kvs = {
            base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", ""))
            for kv in result.get("kvs", [])
        }
        return kvs, int(result["header"]["revision"])

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(  # noqa: S310 - loopback https
                f"{self.url}/health", timeout=2, context=self.tls
            ) as response:
                return bool(json.loads(response.read()).get("health") == "true")
        except OSError:
            return False

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise TimeoutError(f"etcd at {self.url} not healthy after {timeout} s")
            time.sleep(0.1)


def kubeadm_etcd_manifest(data_dir: Path, pki_dir: Path, client_port: int, peer_port: int) -> str:
    """What kubeadm writes for a single control plane: mutual TLS for clients and peers."""
    client = f"https://127.0.0.1:{client_port}"
    peer = f"https://127.0.0.1:{peer_port}"
    certs = "/etc/kubernetes/pki/etcd"
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "etcd",
            "namespace": "kube-system",
            "labels": {"component": "etcd", "tier": "control-plane"},
        },
        "spec": {
            "containers": [
                {
                    "name": "etcd",
                    "image": "registry.k8s.io/etcd:3.6.5-0",
                    "command": [
                        "etcd",
                        f"--advertise-client-urls={client}",
                        "--data-dir=/var/lib/etcd",
                        f"--initial-advertise-peer-urls={peer}",
                        f"--initial-cluster=msi-master={peer}",
                        f"--listen-client-urls={client}",
                        f"--listen-peer-urls={peer}",
                        "--name=msi-master",
                        "--snapshot-count=10000",
                        f"--cert-file={certs}/server.crt",
                        f"--key-file={certs}/server.key",
                        "--client-cert-auth=true",
                        f"--trusted-ca-file={certs}/ca.crt",
                        f"--peer-cert-file={certs}/peer.crt",
                        f"--peer-key-file={certs}/peer.key",
                        "--peer-client-cert-auth=true",
                        f"--peer-trusted-ca-file={certs}/ca.crt",
                    ],
                    "volumeMounts": [
                        {"mountPath": "/var/lib/etcd", "name": "etcd-data"},
                        {"mountPath": "/etc/kubernetes/pki/etcd", "name": "etcd-certs"},
                    ],
                }
            ],
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "volumes": [
                {
                    "hostPath": {"path": str(pki_dir), "type": "DirectoryOrCreate"},
                    "name": "etcd-certs",
                },
                {
                    "hostPath": {"path": str(data_dir), "type": "DirectoryOrCreate"},
                    "name": "etcd-data",
                },
            ],
        },
    }
    return yaml.safe_dump(manifest, sort_keys=False)


class KubeletEmulator:
    """Runs the etcd static pod from `manifests_dir/etcd.yaml` with the real etcd binary."""

    def __init__(self, manifests_dir: Path, etcd_binary: Path, log_dir: Path) -> None:
        self.manifests_dir = manifests_dir
        self.etcd_binary = etcd_binary
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.started_data_dirs: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> KubeletEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._kill()

    def _loop(self) -> None:
        while not self._stop.is_set():
            manifest = self.manifests_dir / "etcd.yaml"
            if manifest.exists() and self.process is None:
                self._start(yaml.safe_load(manifest.read_text()))
            elif not manifest.exists() and self.process is not None:
                self._kill()
            time.sleep(0.2)

    def _start(self, pod: dict[str, Any]) -> None:
        container = pod["spec"]["containers"][0]
        host_paths = {v["name"]: v["hostPath"]["path"] for v in pod["spec"]["volumes"]}
        mounts = {m["mountPath"]: host_paths[m["name"]] for m in container["volumeMounts"]}
        args = []
        for original in container["command"][1:]:
            arg = original
            for mount_path, host_path in mounts.items():
                arg = arg.replace(f"={mount_path}", f"={host_path}")
            args.append(arg)
        data_dir = next(a.split("=", 1)[1] for a in args if a.startswith("--data-dir="))
        self.started_data_dirs.append(data_dir)
        log = (self.log_dir / f"etcd-{len(self.started_data_dirs)}.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.etcd_binary), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _kill(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
