"""role_docs.py fails on incomplete specs and stale READMEs, and accepts the real roles."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "role_docs.py"
ROLES = Path(__file__).resolve().parents[2] / "roles"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def roles(tmp_path: Path) -> Path:
    copy = tmp_path / "roles"
    shutil.copytree(ROLES, copy)
    return copy


def test_the_committed_roles_pass_the_check() -> None:
    result = run("--check", ROLES)
    assert result.returncode == 0, result.stderr


def test_a_stale_readme_fails_the_check_and_writing_fixes_it(roles: Path) -> None:
    readme = roles / "swap" / "README.md"
    readme.write_text(readme.read_text() + "\nhand edit\n")
    result = run("--check", roles)
    assert result.returncode == 1
    assert "stale role READMEs" in result.stderr
    assert "swap/README.md" in result.stderr
    assert run(roles).returncode == 0
    assert run("--check", roles).returncode == 0


def test_a_default_without_spec_entry_or_with_another_default_fails(roles: Path) -> None:
    defaults = roles / "swap" / "defaults" / "main.yml"
    defaults.write_text(defaults.read_text() + "swap_new_setting: 1\n")
    spec = roles / "kernel" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text().replace("/etc/modules-load.d/", "/etc/elsewhere/"))
    result = run("--check", roles)
    assert result.returncode == 1
    assert "swap: swap_new_setting is in defaults/main.yml but not in the spec" in result.stderr
    assert "kernel: kernel_modules_file default differs" in result.stderr


def test_an_option_without_description_fails(roles: Path) -> None:
    spec = roles / "swap" / "meta" / "argument_specs.yml"
    text = spec.read_text()
    spec.write_text(text.replace("description: fstab whose swap lines are commented out.", ""))
    result = run("--check", roles)
    assert result.returncode == 1
    assert "swap: swap_fstab has no description" in result.stderr
