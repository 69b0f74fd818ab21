"""`make test` fails when the tree has a ruff, format, mypy, yamllint or shell syntax error.

A tiny copy of the project — the real Makefile, pyproject.toml, .yamllint and runner, one small
Python package, one YAML file, one shell script — goes into a temporary directory; then `make test`
runs there with one trivial suite. A clean copy must pass (so a failure below is not the set-up's
fault); a copy with one error of each kind must fail, name every broken file, and not start the
suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CLEAN_MODULE = '''"""A small typed module."""


def double(value: int) -> int:
    return value * 2
'''

BROKEN = {
    # ruff check: an unused import (F401)
    "pkg/bad_ruff.py": 'import os\n\n\ndef name() -> str:\n    return "x"\n',
    # ruff format: spacing and quotes it would rewrite
    "pkg/bad_format.py": "def name() -> str:\n    return  'x'\n",
    # mypy --strict: a wrong return type, in the package and in a test folder (MYPY_TEST_DIRS)
    "pkg/bad_mypy.py": 'def count() -> int:\n    return "three"\n',
    "tests/test_bad_mypy.py": "from helper import count\n\n\ndef test_count() -> None:\n"
    "    name: str = count()\n",
    # yamllint: too many spaces after a colon
    "config/bad.yaml": "key: 1\nother:   2\n",
    # bash -n: an unterminated if
    "tools/bad.sh": "#!/usr/bin/env bash\nif true; then\n  echo x\n",
}

# The lint target that must fail for each broken file, and what it must say.
EXPECTED = [
    ("lint-ruff", "pkg/bad_ruff.py", "F401"),
    ("lint-format", "pkg/bad_format.py", "would be reformatted"),
    ("lint-mypy", "pkg/bad_mypy.py", "Incompatible return value type"),
    ("lint-mypy", "tests/test_bad_mypy.py", "Incompatible types in assignment"),
    ("lint-yamllint", "config/bad.yaml", "too many spaces after colon"),
    ("lint-shell", "tools/bad.sh", "syntax error"),
]
LINT_TARGETS = sorted({target for target, _, _ in EXPECTED})


def make_copy(dest: Path) -> None:
    """The project's lint configuration around a tiny, clean tree in DEST."""
    for name in ["Makefile", ".yamllint", "scripts/run_suites.py", "requirements/uv-version"]:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    # The real tool configuration, pointed at the tiny tree instead of the repository's packages.
    pyproject = (ROOT / "pyproject.toml").read_text()
    pyproject = re.sub(r"(?ms)^files = \[.*?\]$", 'files = ["pkg"]', pyproject)
    pyproject = re.sub(r'(?m)^mypy_path = ".*"$', 'mypy_path = ""', pyproject)
    assert 'files = ["pkg"]' in pyproject, "pyproject.toml's mypy `files` moved: update this test"
    (dest / "pyproject.toml").write_text(pyproject)
    # The real .venv's tools, behind a stamp that is newer than every (empty) file it depends on,
    # so make never tries to (re)install anything.
    venv = dest / ".venv"
    venv.mkdir()
    (venv / "bin").symlink_to(ROOT / ".venv" / "bin")
    for name in ["requirements/dev.txt"] + [
        f"apps/{app}/pyproject.toml" for app in ["shared", "devtools", "backend", "matching"]
    ]:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text("")
        os.utime(dest / name, (0, 0))
    (venv / ".installed").touch()
    (dest / "mk").mkdir()
    (dest / "mk" / "tiny.mk").write_text("tiny-suite:\n\t@echo tiny suite ran\n")
    (dest / "pkg").mkdir()
    (dest / "pkg" / "__init__.py").write_text("")
    (dest / "pkg" / "good.py").write_text(CLEAN_MODULE)
    (dest / "config").mkdir()
    (dest / "config" / "good.yaml").write_text("key: 1\nlist:\n  - a\n")
    (dest / "tests").mkdir()
    (dest / "tests" / "helper.py").write_text("def count() -> int:\n    return 3\n")
    (dest / "tools").mkdir()
    (dest / "tools" / "good.sh").write_text("#!/usr/bin/env bash\nif true; then\n  echo x\nfi\n")


def make_test(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", "test", "TEST_TARGETS=tiny-suite", "MYPY_TEST_DIRS=tests"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def row(output: str, target: str) -> str:
    rows = [line for line in output.splitlines() if line.split()[1:2] == [target]]
    assert rows, f"no summary row for {target} in:\n{output}"
    return rows[-1]


@pytest.mark.slow
def test_lint_gate_passes_a_clean_tree_and_fails_every_kind_of_error(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    make_copy(clean)
    result = make_test(clean)
    assert result.returncode == 0, result.stdout + result.stderr
    for target in LINT_TARGETS:
        assert " passed " in row(result.stdout, target) + " ", result.stdout
    assert "tiny suite ran" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == f"{len(LINT_TARGETS) + 1} passed, 0 failed"

    broken = tmp_path / "broken"
    make_copy(broken)
    for name, text in BROKEN.items():
        (broken / name).write_text(text)
    result = make_test(broken)
    assert result.returncode != 0, result.stdout
    for target, path, message in EXPECTED:
        assert " FAILED " in row(result.stdout, target), result.stdout
        log = (broken / "build" / "test-logs" / f"{target}.log").read_text()
        assert path in log, log
        assert message in log, log
    assert "NOT RUN" in row(result.stdout, "tiny-suite")
    assert "tiny suite ran" not in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == f"0 passed, {len(LINT_TARGETS)} failed"
