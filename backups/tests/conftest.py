"""Shared fixtures: age keys, the real etcd 3.6 binaries on PATH, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from homecare_backups.cli import main

REPO = Path(__file__).resolve().parents[2]
# pytest runs in importlib mode: make the drill harness modules next to this file importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill_support import (  # noqa: E402
    RAN_COMMANDS,
    AgeKeys,
    CliResult,
    CliRunner,
    RanCommand,
    make_age_keys,
)

# The one etcd builder of the repo (shared with e2e); its go.mod pins the version.
ETCD_BUILDER = REPO / "e2e" / "tools" / "build-etcd.sh"
ETCD_GO_MOD = REPO / "e2e" / "tools" / "etcd" / "go.mod"


def etcd_version() -> str:
    for line in ETCD_GO_MOD.read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["go.etcd.io/etcd/server/v3"]:
            return parts[1]
    raise RuntimeError(f"no go.etcd.io/etcd/server/v3 requirement in {ETCD_GO_MOD}")


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> CliRunner:
    """Run `homecare-backups ARGS...` in-process; returns exit code and captured output.

    Every invocation is recorded in drill_support.RAN_COMMANDS for test_runbooks.
    """

    def runner(*args: str | Path) -> CliResult:
        capsys.readouterr()
        argv = [str(a) for a in args]
        code = main(argv)
        RAN_COMMANDS.append(RanCommand(tuple(argv), code, request.node.nodeid))
        captured = capsys.readouterr()
        print(captured.out, captured.err)  # shown by pytest when the test fails
        return CliResult(code, captured.out, captured.err)

    return runner


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """test_runbooks checks what the drills ran, so it runs after them."""
    items.sort(key=lambda item: item.path.name == "test_runbooks.py")


@pytest.fixture(scope="session")
def age_keys(tmp_path_factory: pytest.TempPathFactory) -> AgeKeys:
    return make_age_keys(tmp_path_factory.mktemp("age"))


@pytest.fixture(scope="session")
def etcd_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with etcd/etcdctl/etcdutl (the cached 3.6 build) — built if missing."""
    built = subprocess.run([str(ETCD_BUILDER)], check=True, capture_output=True, text=True)
    cache, version = Path(built.stdout.strip()), etcd_version()
    links = tmp_path_factory.mktemp("etcd-bin")
    for name in ("etcd", "etcdctl", "etcdutl"):
        (links / name).symlink_to(cache / f"{name}-{version}")
    return links


@pytest.fixture
def tools_on_path(etcd_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{etcd_bin}{os.pathsep}{os.environ['PATH']}")
