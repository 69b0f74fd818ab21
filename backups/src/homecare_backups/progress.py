"""Numbered progress lines on stdout, so an operator can follow (and a log can show) each step."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Prints `[n] step ...` when a step starts and `    ok (1.23 s)` when it ends."""

    def __init__(self, title: str) -> None:
        self.step_number = 0
        self.started = time.monotonic()
        print(f"==> {title}", flush=True)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        self.step_number += 1
        print(f"[{self.step_number}] {description} ...", flush=True)
        began = time.monotonic()
        try:
            yield
        except BaseException:
            print(f"    FAILED after {time.monotonic() - began:.2f} s", file=sys.stderr, flush=True)
            raise
        print(f"    ok ({time.monotonic() - began:.2f} s)", flush=True)

    def note(self, text: str) -> None:
        print(f"    {text}", flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.started
