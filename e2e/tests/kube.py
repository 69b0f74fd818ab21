"""A thin kubectl/etcdctl wrapper around one running e2e control plane (e2e/cluster/cluster.sh)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO / "e2e" / "cluster" / "cluster.sh"
BUILD_ALL = REPO / "e2e" / "tools" / "build-all.sh"

Obj = dict[str, Any]
T = TypeVar("T")


class KubectlError(RuntimeError):
    """kubectl (or etcdctl) exited non-zero; the message carries its command and stderr."""


def tool_paths(layer: str = "layer1") -> dict[str, str]:
    """Build or find the cached binaries; returns the assignments build-all.sh prints."""
    out = subprocess.run(
        [str(BUILD_ALL), layer], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    pairs = (line.split("=", 1) for line in out.splitlines() if "=" in line)
    return dict(pairs)


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.25)


@dataclass
class Cluster:
    """One control plane started by cluster.sh with its own state directory and ports."""

    state_dir: Path
    port_base: int
    tools: dict[str, str]

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def etcd_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port_base + 379}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "E2E_CLUSTER_DIR": str(self.state_dir),
            "E2E_PORT_BASE": str(self.port_base),
        }

    def up(self) -> None:
        subprocess.run([str(CLUSTER_SH), "up"], check=True, env=self._env())

    def down(self) -> None:
        subprocess.run([str(CLUSTER_SH), "down"], check=True, env=self._env())

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.tools["KUBECTL"], "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(
            cmd, check=False, input=stdin, capture_output=True, text=True, timeout=180
        )
        if check and proc.returncode != 0:
            raise KubectlError(f"`{shlex.join(cmd[3:])}` failed: {proc.stderr.strip()}")
        return proc

    def get(self, *args: str) -> Obj:
        result: Obj = json.loads(self.kubectl("get", "-o", "json", *args).stdout)
        return result

    def items(self, kind: str, namespace: str | None = None, selector: str = "") -> list[Obj]:
        args = [kind, "-n", namespace] if namespace else [kind, "--all-namespaces"]
        if selector:
            args += ["-l", selector]
        items: list[Obj] = self.get(*args)["items"]
        return items

    def etcd_raw(self, key: str) -> bytes:
        """The raw value stored in etcd under ``key`` (bypassing the API server)."""
        cmd = [self.tools["ETCDCTL"], "--endpoints", self.etcd_endpoint, "get", key]
        proc = subprocess.run(
            [*cmd, "--print-value-only"], check=False, capture_output=True, timeout=30
        )
        if proc.returncode != 0:
            raise KubectlError(f"etcdctl get {key} failed: {proc.stderr.decode().strip()}")
        return proc.stdout

    def watch(self, *args: str) -> Iterator[Obj]:
        """Stream ``kubectl get --watch -o json`` objects until the caller stops iterating."""
        cmd = [self.tools["KUBECTL"], "--kubeconfig", str(self.kubeconfig), "get", "--watch"]
        proc = subprocess.Popen(
            [*cmd, "-o", "json", *args], stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert proc.stdout is not None
        try:
            decoder = json.JSONDecoder()
            buffer = ""
            for line in proc.stdout:
                buffer += line
                try:
                    obj, end = decoder.raw_decode(buffer.lstrip())
                except json.JSONDecodeError:
                    continue
                buffer = buffer.lstrip()[end:]
                yield obj
        finally:
            proc.terminate()
            proc.wait(timeout=10)


# The Ready condition the node lifecycle controller writes for a kubelet that stopped.
KUBELET_STOPPED = {
    "type": "Ready",
    "status": "Unknown",
    "reason": "NodeStatusUnknown",
    "message": "Kubelet stopped posting node status.",
    "lastHeartbeatTime": "2026-12-07T01:00:00Z",
    "lastTransitionTime": "2026-12-07T01:00:40Z",
}


def set_ready_condition(cluster: Cluster, node: str, condition: dict[str, str]) -> None:
    patch = {"status": {"conditions": [condition]}}
    cluster.kubectl(
        "patch", "node", node, "--subresource=status", "--type=strategic", "-p", json.dumps(patch)
    )


@contextlib.contextmanager
def not_ready_node(cluster: Cluster, name: str) -> Iterator[None]:
    """A node that nothing heartbeats (no kwok annotation), NotReady as a stopped kubelet's is;
    deleted afterwards."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"homecare.io/role": "worker"}},
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(node))
    set_ready_condition(cluster, name, KUBELET_STOPPED)
    try:
        yield
    finally:
        cluster.kubectl("delete", "node", name, "--wait=false")


def label_selector(match_labels: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))


def names(objs: Sequence[Obj]) -> list[str]:
    return [
        f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in objs
    ]
