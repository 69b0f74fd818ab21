"""One mocked program run per stack (pulumi.runtime.set_mocks), shared by the tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the k8s_checks helper module

from homecare_infra.mocks import MockedRun
from homecare_infra.render import STACKS, rendered_run

_RUNS: dict[str, MockedRun] = {}


def mocked(stack: str) -> MockedRun:
    if stack not in _RUNS:
        _RUNS[stack] = rendered_run(stack)
    return _RUNS[stack]


@pytest.fixture(params=STACKS)
def run(request: pytest.FixtureRequest) -> MockedRun:
    return mocked(str(request.param))


@pytest.fixture
def prod() -> MockedRun:
    return mocked("prod")


@pytest.fixture
def dev() -> MockedRun:
    return mocked("dev")
