"""The `make test` runner: the summary table, NOT RUN suites, the lint gate and the exit status.

Each test writes a small Makefile into a temporary directory and runs the real script on it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "run_suites.py"

MAKEFILE = """\
pass-a:
\t@echo output of pass-a
pass-b:
\t@echo output of pass-b
fail-a:
\t@echo about to fail; exit 3
not-run:
\t@echo "NOT RUN: needs a machine with a GPU"
not-run-but-failed:
\t@echo "NOT RUN: part skipped"; exit 1
no-tests:
\t@{python} -m pytest -q -p no:cacheprovider empty_dir
hangs:
\t@sleep 60 & echo $$! > sleeper.pid; echo started; wait
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Makefile").write_text(MAKEFILE.format(python=sys.executable))
    (tmp_path / "empty_dir").mkdir()
    return tmp_path


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--log-dir", "logs", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def table_row(output: str, target: str) -> list[str]:
    """The summary row of TARGET, split into kind, target, result, time and note."""
    summary = output.split("summary (logs in", 1)[1]
    for line in summary.splitlines():
        fields = line.split(None, 4)
        if len(fields) >= 4 and fields[1] == target:
            return fields
    raise AssertionError(f"no summary row for {target}:\n{summary}")


def assert_gone(pid: int) -> None:
    """PID has exited (a zombie waiting for init to reap it counts as exited)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state == "Z":
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} is still running")


def test_all_passing(project: Path) -> None:
    result = run(project, "--lint", "pass-a", "--suites", "pass-b")
    assert result.returncode == 0, result.stdout
    assert table_row(result.stdout, "pass-a")[:3] == ["lint", "pass-a", "passed"]
    assert table_row(result.stdout, "pass-b")[:3] == ["suite", "pass-b", "passed"]
    assert result.stdout.rstrip().splitlines()[-1] == "2 passed, 0 failed"
    # Output is streamed to the console and kept per target.
    assert "output of pass-b" in result.stdout
    assert (project / "logs" / "pass-b.log").read_text() == "output of pass-b\n"
    assert "2 passed, 0 failed" in (project / "logs" / "summary.txt").read_text()


def test_failing_suite_does_not_stop_the_others(project: Path) -> None:
    result = run(project, "--lint", "pass-a", "--suites", "fail-a", "pass-b", "not-run")
    assert result.returncode == 1
    fail_row = table_row(result.stdout, "fail-a")
    assert fail_row[2] == "FAILED"
    assert "exit 2" in fail_row[4]  # make reports the recipe's exit 3 as its own exit 2
    assert table_row(result.stdout, "pass-b")[2] == "passed"
    assert "about to fail" in (project / "logs" / "fail-a.log").read_text()
    assert result.stdout.rstrip().splitlines()[-1] == "2 passed, 1 failed"


def test_not_run_is_shown_with_its_reason_and_not_counted_as_passed(project: Path) -> None:
    result = run(project, "--suites", "not-run", "pass-a")
    assert result.returncode == 0
    row = table_row(result.stdout, "not-run")
    assert row[2:4] == ["NOT", "RUN"]
    assert row[4].split(None, 1)[1] == "needs a machine with a GPU"
    lines = result.stdout.rstrip().splitlines()
    assert lines[-2].startswith("2 targets: 1 passed, 0 failed, 1 not run")
    assert lines[-1] == "1 passed, 0 failed"


def test_a_failure_wins_over_not_run(project: Path) -> None:
    result = run(project, "--suites", "not-run-but-failed")
    assert result.returncode == 1
    row = table_row(result.stdout, "not-run-but-failed")
    assert row[2] == "FAILED"
    assert "part skipped" in row[4]


def test_lint_failure_stops_before_the_suites(project: Path) -> None:
    result = run(project, "--lint", "fail-a", "pass-a", "--suites", "pass-b")
    assert result.returncode == 1
    assert table_row(result.stdout, "fail-a")[2] == "FAILED"
    # Every lint target still runs, so one run shows every lint problem.
    assert table_row(result.stdout, "pass-a")[2] == "passed"
    suite_row = table_row(result.stdout, "pass-b")
    assert suite_row[2:4] == ["NOT", "RUN"]
    assert suite_row[4].endswith("lint gate failed")
    assert "output of pass-b" not in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "1 passed, 1 failed"


def test_suites_after_lint_failure_on_request(project: Path) -> None:
    result = run(project, "--lint", "fail-a", "--suites", "pass-b", "--suites-after-lint-failure")
    assert result.returncode == 1
    assert table_row(result.stdout, "pass-b")[2] == "passed"


def test_a_suite_that_collects_no_tests_fails(project: Path) -> None:
    """pytest exits 5 when it collects nothing: that must not pass as a suite."""
    result = run(project, "--suites", "no-tests")
    assert result.returncode == 1
    assert table_row(result.stdout, "no-tests")[2] == "FAILED"
    assert "no tests ran" in (project / "logs" / "no-tests.log").read_text()


def test_stale_logs_are_removed(project: Path) -> None:
    (project / "logs").mkdir()
    (project / "logs" / "old-suite.log").write_text("from an earlier run")
    run(project, "--suites", "pass-a")
    assert sorted(p.name for p in (project / "logs").iterdir()) == ["pass-a.log", "summary.txt"]


def test_rejects_a_target_name_that_is_not_one(project: Path) -> None:
    result = run(project, "--suites", "pass-a; rm -rf /")
    assert result.returncode == 2
    assert "not a make target name" in result.stderr


def test_time_budget_stops_the_running_target_and_still_prints_the_table(project: Path) -> None:
    started = time.monotonic()
    result = run(project, "--suites", "hangs", "pass-a", "--time-budget", "3")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert table_row(result.stdout, "hangs")[2] == "FAILED"
    assert "time budget ran out" in table_row(result.stdout, "hangs")[4]
    assert table_row(result.stdout, "pass-a")[2:4] == ["NOT", "RUN"]
    assert result.stdout.rstrip().splitlines()[-1] == "0 passed, 1 failed"
    # The target's own children were stopped too, not left running.
    assert_gone(int((project / "sleeper.pid").read_text()))


def test_sigterm_stops_the_run_and_prints_the_table(project: Path) -> None:
    runner = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--log-dir", "logs", "--suites", "hangs", "pass-a"],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    )
    while not (project / "sleeper.pid").exists():
        time.sleep(0.1)
    runner.terminate()
    output, _ = runner.communicate(timeout=30)
    assert runner.returncode == 130
    assert "interrupted" in output
    assert output.rstrip().splitlines()[-1] == "0 passed, 0 failed"
    assert_gone(int((project / "sleeper.pid").read_text()))


PREBUILD_MAKEFILE = """\
slow-build:
\t@sleep 2; echo built > built.txt; echo build finished
broken-build:
\t@echo compiler error; exit 2
suite-during-build:
\t@test ! -e built.txt && echo "suite ran while the build was still running"
lint-failure-once-the-build-runs:
\t@while [ ! -e sleeper.pid ]; do sleep 0.1; done; echo lint error; exit 1
suite-needs-build:
\t@while [ ! -e built.txt ]; do sleep 0.1; done; echo "suite used the build"
"""


def test_prebuild_runs_in_the_background_beside_the_suites(project: Path) -> None:
    (project / "Makefile").write_text(MAKEFILE.format(python=sys.executable) + PREBUILD_MAKEFILE)
    result = run(
        project, "--prebuild", "slow-build", "--suites", "suite-during-build", "suite-needs-build"
    )
    assert result.returncode == 0, result.stdout
    assert table_row(result.stdout, "slow-build")[:3] == ["build", "slow-build", "passed"]
    # The note gives the CPU time of the build's process tree (sleep uses next to none).
    assert table_row(result.stdout, "slow-build")[4].startswith("cpu 0:0")
    assert table_row(result.stdout, "suite-during-build")[2] == "passed"
    assert table_row(result.stdout, "suite-needs-build")[2] == "passed"
    # The build's output goes to its log, not into the suites' console output.
    assert "build finished" in (project / "logs" / "slow-build.log").read_text()
    assert "build finished" not in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "3 passed, 0 failed"


def test_a_failed_prebuild_fails_the_run(project: Path) -> None:
    (project / "Makefile").write_text(MAKEFILE.format(python=sys.executable) + PREBUILD_MAKEFILE)
    result = run(project, "--prebuild", "broken-build", "--suites", "pass-a")
    assert result.returncode == 1
    assert table_row(result.stdout, "broken-build")[2] == "FAILED"
    assert result.stdout.rstrip().splitlines()[-1] == "1 passed, 1 failed"


def test_a_lint_failure_stops_the_prebuild(project: Path) -> None:
    (project / "Makefile").write_text(MAKEFILE.format(python=sys.executable) + PREBUILD_MAKEFILE)
    started = time.monotonic()
    lint = "lint-failure-once-the-build-runs"
    result = run(project, "--lint", lint, "--prebuild", "hangs", "pass-b", "--suites", "pass-a")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert table_row(result.stdout, "hangs")[2:4] == ["NOT", "RUN"]
    assert "lint gate failed" in table_row(result.stdout, "hangs")[4]
    assert "lint gate failed" in table_row(result.stdout, "pass-b")[4]
    assert_gone(int((project / "sleeper.pid").read_text()))


SIDE_MAKEFILE = """
foreground-meets-side:
\t@touch foreground.started; \\
\t  for i in $$(seq 200); do [ -e side.started ] && exit 0; sleep 0.1; done; \\
\t  echo "the side suite never ran beside me"; exit 1
side-meets-foreground:
\t@touch side.started; echo "side output"; \\
\t  for i in $$(seq 200); do [ -e foreground.started ] && exit 0; sleep 0.1; done; \\
\t  echo "the foreground suite never ran beside me"; exit 1
side-second:
\t@echo "second side suite"
"""


def test_side_suites_run_beside_the_foreground_suites(project: Path) -> None:
    (project / "Makefile").write_text(MAKEFILE.format(python=sys.executable) + SIDE_MAKEFILE)
    result = run(
        project,
        "--lint", "pass-a",
        "--suites", "foreground-meets-side",
        "--side-suites", "side-meets-foreground", "side-second",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    for target in ("foreground-meets-side", "side-meets-foreground", "side-second"):
        assert table_row(result.stdout, target)[:3] == ["suite", target, "passed"]
    # A side suite's output goes to its log only; the console says when it starts and ends.
    assert "side output" in (project / "logs" / "side-meets-foreground.log").read_text()
    assert "side output" not in result.stdout
    assert "==> suite side-second ended after" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "4 passed, 0 failed"


def test_a_failed_side_suite_fails_the_run(project: Path) -> None:
    result = run(project, "--suites", "pass-a", "--side-suites", "fail-a", "pass-b")
    assert result.returncode == 1
    assert table_row(result.stdout, "fail-a")[2] == "FAILED"
    assert table_row(result.stdout, "pass-b")[2] == "passed"
    assert result.stdout.rstrip().splitlines()[-1] == "2 passed, 1 failed"


def test_a_lint_failure_keeps_the_side_suites_from_starting(project: Path) -> None:
    result = run(project, "--lint", "fail-a", "--suites", "pass-a", "--side-suites", "pass-b")
    assert result.returncode == 1
    assert table_row(result.stdout, "pass-b")[2:4] == ["NOT", "RUN"]
    assert "lint gate failed" in table_row(result.stdout, "pass-b")[4]
    assert not (project / "logs" / "pass-b.log").exists()


def test_the_time_budget_stops_a_side_suite(project: Path) -> None:
    started = time.monotonic()
    result = run(
        project, "--suites", "pass-a", "--side-suites", "hangs", "pass-b", "--time-budget", "3"
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert table_row(result.stdout, "hangs")[2] == "FAILED"
    assert "time budget" in table_row(result.stdout, "hangs")[4]
    assert table_row(result.stdout, "pass-b")[2:4] == ["NOT", "RUN"]
    assert_gone(int((project / "sleeper.pid").read_text()))
