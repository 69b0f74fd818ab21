"""Before ``pulumi up`` changes anything: wait until every node of the cluster is Ready.

A node whose kubelet has stopped (a reboot, a cable, a crash) is ``NotReady``: the pods placed
on it cannot start, and the app pods and PostgreSQL are pinned to the worker. A ``pulumi up``
then would sit in each Deployment's rollout until the provider's timeout (10 minutes a resource)
without saying why. So the program first asks the API server for the nodes (the kubeconfig and
context the provider uses); while one is not Ready it says which, since when and why, every
``POLL_SECONDS``, up to the stack's ``nodeReadyTimeoutSeconds``, then stops before any resource
is touched, naming the runbook. ``pulumi preview`` only warns.

Speaks the Kubernetes API with the standard library (``GET /api/v1/nodes``), as
:mod:`homecare_infra.registry` speaks the registry's: the kubeconfig forms kubeadm and the
Ansible kubeconfig merge write (client certificate, inline or as files; a bearer token) are
understood; a user that authenticates through an ``exec`` plugin is not, and the check is then
skipped with a warning.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

RUNBOOK = "docs/runbooks/lost-worker.md"
POLL_SECONDS = 15.0
REQUEST_TIMEOUT_SECONDS = 10


class NodeReadinessError(pulumi.RunError):
    """The nodes could not be read, or one stayed NotReady past the timeout (a RunError: Pulumi
    prints the message alone, without a Python traceback)."""


class UnsupportedKubeconfigError(NodeReadinessError):
    """The kubeconfig's user authenticates in a way this check does not implement."""


@dataclass(frozen=True)
class ApiServer:
    """Where and how to reach the API server of one kubeconfig context."""

    context: str
    server: str
    ssl_context: ssl.SSLContext
    token: str = ""

    def get(self, path: str) -> Any:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.server.rstrip('/')}{path}"
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - https, checked
        try:
            with urllib.request.urlopen(  # noqa: S310 - the kubeconfig's https server
                request, timeout=REQUEST_TIMEOUT_SECONDS, context=self.ssl_context
            ) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise NodeReadinessError(
                f"the API server of context {self.context!r} ({self.server}) answered "
                f"{exc.code} to GET {path}: {exc.read()[:300].decode(errors='replace')}"
            ) from exc
        except (OSError, ValueError) as exc:
            raise NodeReadinessError(
                f"cannot reach the API server of context {self.context!r} ({self.server}): "
                f"{exc}. Is msi-master up? Is kubernetes:context the cluster Ansible built?"
            ) from exc


def kubeconfig_files(kubeconfig_setting: str | None) -> list[str]:
    """The kubeconfig documents the provider reads, in its order: the ``kubernetes:kubeconfig``
    setting (a path or the YAML itself), else ``$KUBECONFIG`` (a list), else ``~/.kube/config``."""
    if kubeconfig_setting:
        path = Path(kubeconfig_setting).expanduser()
        if "\n" not in kubeconfig_setting and path.is_file():
            return [path.read_text(encoding="utf-8")]
        return [kubeconfig_setting]
    listed = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in listed.split(os.pathsep) if p] or [
        Path.home() / ".kube" / "config"
    ]
    return [p.read_text(encoding="utf-8") for p in paths if p.is_file()]


def _named(documents: list[dict[str, Any]], section: str, name: str) -> dict[str, Any]:
    """The first entry called ``name`` in ``section`` (kubectl's merge: the first file wins)."""
    for document in documents:
        for entry in document.get(section) or []:
            if entry.get("name") == name:
                found: dict[str, Any] = entry.get(section.removesuffix("s")) or {}
                return found
    raise UnsupportedKubeconfigError(f"the kubeconfig has no {section.removesuffix('s')} {name!r}")


def _pem(entry: Mapping[str, Any], key: str) -> bytes | None:
    """``<key>-data`` (base64) or ``<key>`` (a file) of a kubeconfig entry."""
    if entry.get(f"{key}-data"):
        return base64.b64decode(entry[f"{key}-data"])
    if entry.get(key):
        return Path(entry[key]).expanduser().read_bytes()
    return None


def api_server(documents_text: list[str], context: str) -> ApiServer:
    """The server, trust and credentials of ``context`` from the kubeconfig documents."""
    documents = [yaml.safe_load(text) or {} for text in documents_text]
    if not documents:
        raise UnsupportedKubeconfigError("no kubeconfig found ($KUBECONFIG, ~/.kube/config)")
    ctx = _named(documents, "contexts", context)
    cluster = _named(documents, "clusters", str(ctx.get("cluster", "")))
    user = _named(documents, "users", str(ctx.get("user", "")))
    if "exec" in user or "auth-provider" in user:
        raise UnsupportedKubeconfigError(
            f"the user of context {context!r} authenticates through a plugin, which this "
            "check does not run"
        )
    ssl_context = ssl.create_default_context()
    if cluster.get("insecure-skip-tls-verify"):
        ssl_context.check_hostname = False
        ssl_context.verify_mode = ssl.CERT_NONE
    authority = _pem(cluster, "certificate-authority")
    if authority:
        ssl_context.load_verify_locations(cadata=authority.decode())
    if cluster.get("tls-server-name"):
        raise UnsupportedKubeconfigError(f"context {context!r} sets tls-server-name")
    certificate, key = _pem(user, "client-certificate"), _pem(user, "client-key")
    if certificate and key:
        # ssl loads a client key pair from files only: a private directory, gone right after.
        with tempfile.TemporaryDirectory(prefix="homecare-kubeconfig-") as private:
            cert_file, key_file = Path(private) / "client.crt", Path(private) / "client.key"
            cert_file.write_bytes(certificate)
            key_file.write_bytes(key)
            ssl_context.load_cert_chain(cert_file, key_file)
    token = str(user.get("token") or "")
    if not token and user.get("tokenFile"):
        token = Path(user["tokenFile"]).expanduser().read_text(encoding="utf-8").strip()
    server = str(cluster.get("server", ""))
    if not server.startswith("https://"):
        raise UnsupportedKubeconfigError(f"context {context!r}: server {server!r} is not https")
    return ApiServer(context, server, ssl_context, token)


def not_ready(nodes: Mapping[str, Any]) -> dict[str, str]:
    """``{node: why}`` for each node whose Ready condition is not True."""
    waiting: dict[str, str] = {}
    for node in nodes.get("items") or []:
        conditions = node.get("status", {}).get("conditions") or []
        ready = next((c for c in conditions if c.get("type") == "Ready"), None)
        if ready and ready.get("status") == "True":
            continue
        name = node.get("metadata", {}).get("name", "?")
        if ready is None:
            waiting[name] = "no Ready condition yet (the kubelet has not reported)"
            continue
        detail = f"Ready={ready.get('status')} since {ready.get('lastTransitionTime', '?')}"
        detail += f", {ready.get('reason') or 'no reason given'}"
        if ready.get("message"):
            detail += f": {str(ready['message']).rstrip('.')}"
        waiting[name] = detail
    return waiting


def wait_until_ready(
    get_nodes: Callable[[], Mapping[str, Any]],
    timeout_seconds: float,
    say: Callable[[str], None],
    *,
    timeout_key: str = "homecare:nodeReadyTimeoutSeconds",
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Return once every node is Ready (the seconds waited); say why while waiting; raise
    :class:`NodeReadinessError` when one is still not Ready after ``timeout_seconds``."""
    started = clock()
    first_poll = True
    while True:
        waiting = not_ready(get_nodes())
        waited = clock() - started
        if not waiting:
            if first_poll:
                return 0.0
            say(f"every node is Ready again after {waited:.0f} s: going on")
            return waited
        first_poll = False
        names = ", ".join(sorted(waiting))
        details = "; ".join(f"{name}: {why}" for name, why in sorted(waiting.items()))
        if waited >= timeout_seconds:
            raise NodeReadinessError(
                f"node(s) {names} still not Ready after {waited:.0f} s ({details}); nothing was "
                f"changed. If the machine will come back, bring it back and run `pulumi up` "
                f"again; if it is lost, follow {RUNBOOK}. ({timeout_key} sets how long "
                "`pulumi up` waits.)"
            )
        say(
            f"waiting for node(s) {names} to be Ready before changing anything "
            f"({waited:.0f} s of {timeout_seconds:.0f} s): {details}. Pods placed there "
            f"cannot start; see {RUNBOOK}"
        )
        sleep(min(poll_seconds, max(timeout_seconds - waited, 0.0)))


def check_before_changes(timeout_seconds: float, timeout_key: str) -> None:
    """The programs' first step (``main``): ``pulumi up`` waits for NotReady nodes, ``pulumi
    preview`` warns about them. Not called under Pulumi mocks (they build, they do not run
    ``main``)."""
    kubernetes = pulumi.Config("kubernetes")
    context = kubernetes.require("context")
    try:
        server = api_server(kubeconfig_files(kubernetes.get("kubeconfig")), context)
    except UnsupportedKubeconfigError as exc:
        pulumi.log.warn(f"{exc}: the nodes' readiness is not checked before the deployment")
        return
    if pulumi.runtime.is_dry_run():
        try:
            waiting = not_ready(server.get("/api/v1/nodes"))
        except NodeReadinessError as exc:
            pulumi.log.warn(str(exc))
            return
        for name, why in sorted(waiting.items()):
            pulumi.log.warn(
                f"node {name} is not Ready ({why}): `pulumi up` will wait for it, up to "
                f"{timeout_seconds:.0f} s ({timeout_key}); see {RUNBOOK}"
            )
        return
    wait_until_ready(
        lambda: server.get("/api/v1/nodes"),
        timeout_seconds,
        pulumi.log.warn,
        timeout_key=timeout_key,
    )
