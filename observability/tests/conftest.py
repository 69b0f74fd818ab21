"""Fixtures for the observability suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the obs_support helper module

from obs_support import Tools, build_tools


@pytest.fixture(scope="session")
def tools() -> Tools:
    return build_tools()
