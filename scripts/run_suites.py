"""Run the lint gate and then every test suite as make targets; end with one summary table.

`make lint` and `make test` call this. Each lint target (LINT_TARGETS) and each suite
(TEST_TARGETS) runs as its own `make TARGET`, its output streamed to the console and written to
build/test-logs/TARGET.log. A target that exits 0 and printed a line starting with `NOT RUN:` is
reported as NOT RUN with that reason (a part that cannot run on this machine), never as passed.

The lint gate runs every lint target (so one run shows every lint problem), and if any of them
failed the suites are not started: they show as NOT RUN "lint gate failed", the run fails, and a
broken tree does not occupy CI for an hour. `--suites-after-lint-failure` runs them anyway.
After the lint gate every suite runs even when an earlier one failed, so the table is complete.
The exit status is 0 only when nothing failed.

`--time-budget SECONDS` (make: TEST_TIME_BUDGET) bounds the whole run: when it runs out, the
running target is stopped (its process group gets SIGTERM, then SIGKILL) and counts as failed,
the rest show as NOT RUN, and the table is still printed, so a CI job with a hard time limit
ends with the summary instead of being cut off.

`--prebuild TARGET...` (make: PREBUILD_TARGETS) starts the heavy, cached builds (Kubernetes, the
node packages, Prometheus, ...) in the background as soon as the run starts, one after another
under `nice`, while the lint gate and the suites that need no build run in the foreground: on a
cold cache most of the build time then overlaps test time instead of adding to it. Each build
script takes a lock on its cache entry, so a suite that needs an artifact the background lane is
still building waits for it instead of building it a second time. Each build is a `build` row
of the table (log: build/test-logs/TARGET.log); a lint failure stops the lane.

`--side-suites TARGET...` (make: SIDE_TEST_TARGETS) is a second suite lane: once the lint gate
has passed, these suites run one after another beside the foreground suites, their output in
their logs only. It is for suites that mostly wait (containers booting, apt and kubeadm inside
them, kubelets converging) rather than compute, so on two cores they overlap the CPU-bound
suites instead of adding their waiting time to the run. Side suites must not share ports, files
or fixed names with any foreground suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

NOT_RUN_PREFIX = "NOT RUN:"
CPU_PREFIX = "cpu seconds of the build:"
# Runs a build and prints the CPU time (user + system) of its whole process tree: unlike its
# wall time, that does not grow with the load of other jobs, so a cold build's figure tells how
# long it takes on an idle machine (about CPU / cores for a parallel compile).
CPU_REPORTER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    f"print({CPU_PREFIX!r}, round(usage.ru_utime + usage.ru_stime))\n"
    "sys.exit(code)\n"
)
PASSED, FAILED, NOT_RUN = "passed", "FAILED", "NOT RUN"


@dataclass
class Result:
    target: str
    kind: str  # "lint", "build" or "suite"
    status: str
    seconds: float | None
    note: str


def not_run_reasons(lines: Iterable[str]) -> list[str]:
    """The reasons given by `NOT RUN:` lines (leading blanks allowed), in order."""
    reasons = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(NOT_RUN_PREFIX):
            reasons.append(stripped[len(NOT_RUN_PREFIX) :].strip() or "no reason given")
    return reasons


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _stop(proc: subprocess.Popen[bytes], first: signal.Signals) -> None:
    """Stop the target's whole process group, including what its recipes left in the background.

    FIRST goes to the group, make gets 10 s to finish; then whatever is left of the group gets
    SIGTERM (background jobs of a shell ignore SIGINT) and, a second later, SIGKILL.
    """
    _signal_group(proc.pid, first)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    _signal_group(proc.pid, signal.SIGTERM)
    time.sleep(1)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


@dataclass
class Outcome:
    """How one `make TARGET` ended."""

    returncode: int
    not_run_reasons: list[str]
    timed_out: bool


def _execute(
    command: list[str], log_path: Path, out: TextIO | None, deadline: float | None
) -> tuple[subprocess.Popen[bytes], threading.Thread, list[Outcome]]:
    """Start COMMAND in its own process group; a thread copies its output to the log (and OUT).

    The returned list gets the Outcome when the thread ends. DEADLINE (time.monotonic()): the
    group is stopped then.
    """
    proc = subprocess.Popen(  # noqa: S603 - make and a target name from the Makefile
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # one process group to stop, whatever the target started
    )
    outcome: list[Outcome] = []

    def copy_output() -> None:
        timed_out = threading.Event()

        def out_of_time() -> None:
            timed_out.set()
            _stop(proc, signal.SIGTERM)

        timer = None
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline - time.monotonic()), out_of_time)
            timer.daemon = True
            timer.start()
        reasons: list[str] = []
        stdout = proc.stdout
        assert stdout is not None  # noqa: S101 - Popen sets it with stdout=PIPE
        with log_path.open("w", encoding="utf-8") as log:
            for raw in stdout:
                line = raw.decode("utf-8", errors="replace")
                if out is not None:
                    out.write(line)
                    out.flush()
                log.write(line)
                log.flush()
                reasons += not_run_reasons([line])
        returncode = proc.wait()
        if timer is not None:
            timer.cancel()
        outcome.append(Outcome(returncode, reasons, timed_out.is_set()))

    thread = threading.Thread(target=copy_output, daemon=True)
    thread.start()
    return proc, thread, outcome


def classify(target: str, kind: str, seconds: float, outcome: Outcome, log_path: Path) -> Result:
    if outcome.timed_out:
        return Result(
            target, kind, FAILED, seconds, f"stopped: the time budget ran out; see {log_path}"
        )
    reasons = outcome.not_run_reasons
    if outcome.returncode != 0:
        note = f"exit {outcome.returncode}; see {log_path}"
        if reasons:
            note += " (it also printed NOT RUN: " + "; ".join(reasons) + ")"
        return Result(target, kind, FAILED, seconds, note)
    if reasons:
        return Result(target, kind, NOT_RUN, seconds, "; ".join(reasons))
    return Result(target, kind, PASSED, seconds, "")


def run_target(
    make: str,
    target: str,
    kind: str,
    log_dir: Path,
    out: TextIO,
    deadline: float | None = None,
    *,
    background: Background | None = None,
) -> Result:
    """Run `make TARGET`, tee its output to the console and to LOG_DIR/TARGET.log.

    DEADLINE (a time.monotonic() value): stop the target when it is reached. BACKGROUND: a lane
    beside the foreground: write the output to the log only (the console gets one line at its
    start and end), let BACKGROUND.stop() end it early, and for a build lane run it under `nice`
    and report its CPU time.
    """
    log_path = log_dir / f"{target}.log"
    out.write(f"\n==> {kind} {target} (log: {log_path})\n")
    out.flush()
    started = time.monotonic()
    command = [make, "--no-print-directory", target]
    if background is not None and background.niced:
        command = ["nice", "-n", "10", sys.executable, "-c", CPU_REPORTER, *command]
    proc, thread, outcome = _execute(
        command, log_path, out if background is None else None, deadline
    )
    if background is not None:
        background.running = proc
    try:
        thread.join()
    except KeyboardInterrupt:
        _stop(proc, signal.SIGINT)
        raise
    seconds = time.monotonic() - started
    if background is not None:
        background.running = None
        if background.stop_reason is not None:
            return Result(target, kind, NOT_RUN, seconds, f"stopped: {background.stop_reason}")
        out.write(f"==> {kind} {target} ended after {format_seconds(seconds)}\n")
        out.flush()
        result = classify(target, kind, seconds, outcome[0], log_path)
        cpu = _cpu_seconds(log_path)
        if cpu is not None:
            result.note = "; ".join(n for n in [f"cpu {format_seconds(cpu)}", result.note] if n)
        return result
    return classify(target, kind, seconds, outcome[0], log_path)


def _cpu_seconds(log_path: Path) -> float | None:
    for line in reversed(log_path.read_text(encoding="utf-8").splitlines()):
        if line.startswith(CPU_PREFIX):
            return float(line[len(CPU_PREFIX) :])
    return None


class Background:
    """A lane beside the foreground: TARGETS run one after another in a thread.

    KIND "build" (the prebuild lane) runs them under `nice` with their CPU time reported;
    KIND "suite" (the side-suite lane) runs them at normal priority.
    """

    def __init__(
        self,
        make: str,
        targets: Sequence[str],
        log_dir: Path,
        out: TextIO,
        deadline: float | None,
        kind: str = "build",
    ) -> None:
        self.results: list[Result] = []
        self.running: subprocess.Popen[bytes] | None = None
        self.stop_reason: str | None = None
        self.kind = kind
        self.niced = kind == "build"
        self._targets = list(targets)
        self._args = (make, log_dir, out, deadline)
        self._thread = threading.Thread(target=self._run, name=f"{kind} lane", daemon=True)

    def start(self) -> None:
        if self._targets:
            self._thread.start()

    def _run(self) -> None:
        make, log_dir, out, deadline = self._args
        for target in self._targets:
            if deadline is not None and time.monotonic() >= deadline:
                self.stop_reason = self.stop_reason or "the time budget ran out"
            if self.stop_reason is not None:
                self.results.append(Result(target, self.kind, NOT_RUN, None, self.stop_reason))
                continue
            self.results.append(
                run_target(make, target, self.kind, log_dir, out, deadline, background=self)
            )

    def stop(self, reason: str) -> None:
        """End the lane: the running target is stopped, the rest are NOT RUN with REASON."""
        self.stop_reason = reason
        running = self.running
        if running is not None:
            _signal_group(running.pid, signal.SIGTERM)
            # A target that ignores SIGTERM is killed 10 s later (the lane's thread reaps it).
            killer = threading.Timer(10, _signal_group, (running.pid, signal.SIGKILL))
            killer.daemon = True
            killer.start()

    def wait(self) -> None:
        if self._thread.is_alive():
            self._thread.join()


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def summary(results: Sequence[Result], total_seconds: float, log_dir: Path) -> str:
    """The summary table and the closing `N passed, N failed` line."""
    width = max([len("target"), *(len(r.target) for r in results)])
    lines = [
        "",
        "=" * 72,
        f"summary (logs in {log_dir}/)",
        f"  {'kind':<5}  {'target':<{width}}  {'result':<7}  {'time':>6}  note",
    ]
    for r in results:
        time_text = format_seconds(r.seconds)
        row = f"  {r.kind:<5}  {r.target:<{width}}  {r.status:<7}  {time_text:>6}  {r.note}"
        lines.append(row.rstrip())
    passed = sum(r.status == PASSED for r in results)
    failed = sum(r.status == FAILED for r in results)
    not_run = sum(r.status == NOT_RUN for r in results)
    lines.append(
        f"{len(results)} targets: {passed} passed, {failed} failed, {not_run} not run"
        f" in {format_seconds(total_seconds)}"
    )
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


@dataclass
class Lanes:
    """What one run runs: the foreground targets in order, and the two lanes beside them."""

    pending: list[tuple[str, str]]  # (target, "lint" | "suite")
    prebuild: Background
    side: Background
    suites_after_lint_failure: bool

    def lint_failed(self, results: Sequence[Result]) -> bool:
        failed = any(r.kind == "lint" and r.status == FAILED for r in results)
        return failed and not self.suites_after_lint_failure


def _run_foreground(
    make: str,
    lanes: Lanes,
    results: list[Result],
    log_dir: Path,
    out: TextIO,
    deadline: float | None,
    time_budget: float | None,
) -> None:
    """The lint gate, then the suites; the side lane starts when the gate has passed."""
    side_started = False
    for target, kind in lanes.pending:
        lint_failed = lanes.lint_failed(results)
        if lint_failed and lanes.prebuild.stop_reason is None:
            lanes.prebuild.stop("lint gate failed")
        if kind == "suite" and not side_started:
            side_started = True
            if lint_failed:
                lanes.side.stop("lint gate failed")
            lanes.side.start()
        if kind == "suite" and lint_failed:
            results.append(Result(target, kind, NOT_RUN, None, "lint gate failed"))
            continue
        if deadline is not None and time.monotonic() >= deadline:
            note = f"the time budget ({format_seconds(time_budget)}) ran out"
            results.append(Result(target, kind, NOT_RUN, None, note))
            continue
        results.append(run_target(make, target, kind, log_dir, out, deadline))
    if lanes.lint_failed(results):
        lanes.prebuild.stop("lint gate failed")
        lanes.side.stop("lint gate failed")
    if not side_started:
        lanes.side.start()


def run(
    make: str,
    lint: Sequence[str],
    suites: Sequence[str],
    log_dir: Path,
    *,
    prebuild: Sequence[str] = (),
    side_suites: Sequence[str] = (),
    suites_after_lint_failure: bool = False,
    time_budget: float | None = None,
    out: TextIO = sys.stdout,
) -> int:
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    started = time.monotonic()
    deadline = None if time_budget is None else started + time_budget
    results: list[Result] = []
    lanes = Lanes(
        pending=[(t, "lint") for t in lint] + [(t, "suite") for t in suites],
        prebuild=Background(make, prebuild, log_dir, out, deadline),
        side=Background(make, side_suites, log_dir, out, deadline, kind="suite"),
        suites_after_lint_failure=suites_after_lint_failure,
    )
    interrupted = False
    lanes.prebuild.start()
    try:
        _run_foreground(make, lanes, results, log_dir, out, deadline, time_budget)
        lanes.side.wait()
        lanes.prebuild.wait()  # every build is needed by some suite: normally finished by now
    except KeyboardInterrupt:
        interrupted = True
        for lane in (lanes.prebuild, lanes.side):
            lane.stop("interrupted")
            lane.wait()
        done = {r.target for r in results} | {r.target for r in lanes.side.results}
        results += [
            Result(t, k, NOT_RUN, None, "interrupted") for t, k in lanes.pending if t not in done
        ]
        lanes.side.results += [
            Result(t, "suite", NOT_RUN, None, "interrupted") for t in side_suites if t not in done
        ]
    lint_rows = [r for r in results if r.kind == "lint"]
    suite_rows = [r for r in results if r.kind != "lint"]
    results = lint_rows + lanes.prebuild.results + suite_rows + lanes.side.results
    text = summary(results, time.monotonic() - started, log_dir)
    (log_dir / "summary.txt").write_text(text, encoding="utf-8")
    out.write(text)
    out.flush()
    if interrupted:
        return 130
    return 1 if any(r.status == FAILED for r in results) else 0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C: the running target is stopped and the table printed."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--make", default=os.environ.get("MAKE", "make"))
    parser.add_argument("--log-dir", type=Path, default=Path("build/test-logs"))
    parser.add_argument("--lint", nargs="*", default=[], metavar="TARGET")
    parser.add_argument("--suites", nargs="*", default=[], metavar="TARGET")
    parser.add_argument("--prebuild", nargs="*", default=[], metavar="TARGET")
    parser.add_argument("--side-suites", nargs="*", default=[], metavar="TARGET")
    parser.add_argument("--suites-after-lint-failure", action="store_true")
    parser.add_argument("--time-budget", type=float, metavar="SECONDS")
    args = parser.parse_args(argv)
    for name in [*args.lint, *args.prebuild, *args.suites, *args.side_suites]:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            parser.error(f"not a make target name: {name!r}")
    signal.signal(signal.SIGTERM, _interrupt)
    return run(
        args.make,
        args.lint,
        args.suites,
        args.log_dir,
        prebuild=args.prebuild,
        side_suites=args.side_suites,
        suites_after_lint_failure=args.suites_after_lint_failure,
        time_budget=args.time_budget,
    )


if __name__ == "__main__":
    sys.exit(main())
