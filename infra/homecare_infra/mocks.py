"""Run the program under ``pulumi.runtime.set_mocks`` and capture every resource it declares.

Used by the unit tests and by the manifest renderer (no Pulumi engine, no cluster). Secret config
values are generated here (random, never placeholders); ``RandomPassword`` results too.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from homecare_infra import config_source
from homecare_infra import program as stack_program
from homecare_infra.cluster import config as cluster_config
from homecare_infra.cluster import program as cluster_program
from homecare_infra.cluster.settings import CLUSTER_NAMESPACE
from homecare_infra.settings import CONFIG_NAMESPACE, SECRET_KEYS

PROJECT = "homecare"
CLUSTER_PROJECT = "homecare-cluster"
CLUSTER_STACK = "home"
REPO_ROOT = Path(__file__).resolve().parents[2]
CLUSTER_DIR = REPO_ROOT / "infra" / "cluster"
_SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a marker, not a secret
"""Pulumi's marker for a secret value in serialized resource inputs."""


@dataclass(frozen=True)
class CapturedResource:
    type: str
    name: str
    inputs: dict[str, Any]
    secret_paths: frozenset[str]
    """Top-level input keys whose value was a secret Output (e.g. ``stringData``)."""
    depends_on: frozenset[str] = frozenset()
    """Pulumi names of the resources this one explicitly depends on (``depends_on``)."""

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def kind(self) -> str:
        return str(self.inputs.get("kind", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.inputs.get("metadata", {}))


def unwrap_secrets(value: Any) -> Any:
    """Replace Pulumi's secret envelopes with their plain values; whole numbers become ints
    again (the mock transport carries every number as a float)."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) is not None and "value" in value:
            return unwrap_secrets(value["value"])
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) is not None:
            return True
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def random_secret(length: int = 48) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class _DependencyRecordingMonitor(MockMonitor):
    """The mock monitor, remembering each resource's explicit dependencies (the engine would
    create those first), so tests can check creation order without an engine."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.dependencies: dict[tuple[str, str], frozenset[str]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        names = frozenset(str(urn).rsplit("::", 1)[-1] for urn in request.dependencies)
        self.dependencies[(request.type, request.name)] = names
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


class CapturingMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs; generate ``RandomPassword`` results; remember everything."""

    def __init__(self) -> None:
        self.resources: list[CapturedResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        secret_paths = frozenset(k for k, v in inputs.items() if _contains_secret(v))
        self.resources.append(
            CapturedResource(args.typ, args.name, unwrap_secrets(inputs), secret_paths)
        )
        outputs = dict(inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = random_secret(int(inputs.get("length", 32)))
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def stack_file(stack: str) -> Path:
    if stack == CLUSTER_STACK:
        return CLUSTER_DIR / f"Pulumi.{stack}.yaml"
    return REPO_ROOT / f"Pulumi.{stack}.yaml"


def file_config(stack: str, path: Path | None = None) -> dict[str, Any]:
    """The whole ``config:`` block of the stack file (keys with their namespace); ``path``
    reads another copy of it (``pulumi --config-file``) instead of the repo's."""
    source = path or stack_file(stack)
    document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return dict(document.get("config") or {})


def stack_config(
    stack: str, namespace: str = CONFIG_NAMESPACE, path: Path | None = None
) -> dict[str, Any]:
    """The ``<namespace>:`` keys of the stack file, without the prefix."""
    prefix = f"{namespace}:"
    return {
        k.removeprefix(prefix): v
        for k, v in file_config(stack, path).items()
        if k.startswith(prefix)
    }


def kubernetes_context(stack: str) -> str | None:
    value = file_config(stack).get("kubernetes:context")
    return None if value is None else str(value)


def generated_secrets() -> dict[str, str]:
    """A value for every secret key, as ``pulumi config set --secret`` would provide."""
    values = {key: random_secret() for key in SECRET_KEYS}
    values["backupAgeRecipients"] = "age1" + random_secret(58).lower()
    values["databaseExternalUrl"] = f"postgresql://homecare:{random_secret(24)}@db.example:5432/h"
    values["encryptionKeks"] = f"k1={random_secret(43)}"
    values["encryptionIndexKey"] = random_secret(43)
    return values


@dataclass
class MockedRun:
    """The result of one mocked program run."""

    stack: str
    secret_values: dict[str, str]
    resources: list[CapturedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def kubernetes(self) -> list[CapturedResource]:
        return [r for r in self.resources if r.is_kubernetes]

    def of_kind(self, kind: str) -> list[CapturedResource]:
        return [r for r in self.kubernetes if r.kind == kind]

    def named(self, kind: str, name: str) -> CapturedResource:
        matches = [r for r in self.of_kind(kind) if r.metadata.get("name") == name]
        if len(matches) != 1:
            raise KeyError(f"expected one {kind} named {name}, found {len(matches)}")
        return matches[0]


def _to_config_strings(config: Mapping[str, Any], namespace: str) -> dict[str, str]:
    """Pulumi passes structured values as JSON text and scalars as strings."""
    out: dict[str, str] = {}
    for key, value in config.items():
        full = key if ":" in key else f"{namespace}:{key}"
        if isinstance(value, dict | list):
            out[full] = json.dumps(value)
        elif isinstance(value, bool):
            out[full] = str(value).lower()
        else:
            out[full] = str(value)
    return out


_UNSET = object()


def _run(
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    program: Callable[[], dict[str, Any]],
    run: MockedRun,
) -> MockedRun:
    mocks = CapturingMocks()
    monitor = _DependencyRecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)

    def build() -> None:
        run.outputs = program()

    _sync_await(run_pulumi_func(build))
    run.resources = [
        replace(r, depends_on=monitor.dependencies.get((r.type, r.name), frozenset()))
        for r in mocks.resources
    ]
    return run


def run_mocked(
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_values: Mapping[str, str] | None = None,
    program: Callable[[], dict[str, Any]] | None = None,
    context: str | object | None = _UNSET,
) -> MockedRun:
    """Run the program for ``stack`` (config from Pulumi.<stack>.yaml unless given;
    ``kubernetes:context`` from the stack file unless ``context`` is given, ``None`` = unset)."""
    plain = dict(stack_config(stack) if config is None else config)
    secret = dict(generated_secrets() if secret_values is None else secret_values)
    all_config = _to_config_strings({**plain, **secret}, CONFIG_NAMESPACE)
    kube_context = kubernetes_context(stack) if context is _UNSET else context
    if kube_context is not None:
        all_config["kubernetes:context"] = str(kube_context)

    def build() -> dict[str, Any]:
        if program is not None:
            return program()
        settings, values = config_source.load()
        return stack_program.build(settings, values)

    secret_keys = [f"{CONFIG_NAMESPACE}:{k}" for k in secret]
    run = MockedRun(stack=stack, secret_values=secret)
    return _run(PROJECT, stack, all_config, secret_keys, build, run)


def run_mocked_cluster(
    config: Mapping[str, Any] | None = None, context: str | object | None = _UNSET
) -> MockedRun:
    """Run the cluster-services program (infra/cluster/Pulumi.home.yaml unless ``config``)."""
    namespace = CLUSTER_NAMESPACE
    plain = dict(stack_config(CLUSTER_STACK, namespace) if config is None else config)
    all_config = _to_config_strings(plain, namespace)
    kube_context = kubernetes_context(CLUSTER_STACK) if context is _UNSET else context
    if kube_context is not None:
        all_config["kubernetes:context"] = str(kube_context)

    def build() -> dict[str, Any]:
        return cluster_program.build(cluster_config.load())

    run = MockedRun(stack=CLUSTER_STACK, secret_values={})
    return _run(CLUSTER_PROJECT, CLUSTER_STACK, all_config, [], build, run)
