"""Interleaved timing: every subject is sampled once per round, many rounds.

Absolute times drift on a shared machine (other processes, CPU frequency,
caches), so no subject is measured in one block. Each round visits every
subject in a freshly shuffled order and takes one sample of a fixed number
of calls; the report uses the median sample, and ratios between subjects
of the same round-robin, which drift together.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WSGI_STMT = """\
body = app(copy(environ), start_response)
for _ in body:
    pass
close = getattr(body, "close", None)
if close is not None:
    close()
"""


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


@dataclass
class Subject:
    """One thing to time: *run(n)* performs n calls and returns seconds."""

    group: str
    kind: str
    name: str
    run: Callable[[int], float]
    number: int = 1
    samples: list[float] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.group, self.kind, self.name)

    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.samples)

    def quartiles(self) -> tuple[float, float]:
        if len(self.samples) < 2:
            return self.samples[0], self.samples[0]
        q = statistics.quantiles(self.samples, n=4)
        return q[0], q[2]


def call_runner(func: Callable[..., Any], *args: Any) -> Callable[[int], float]:
    """Time ``func(*args)`` with exactly that calling shape (timeit, GC off)."""
    names = [f"a{i}" for i in range(len(args))]
    timer = timeit.Timer(
        f"f({', '.join(names)})", globals={"f": func, **dict(zip(names, args, strict=True))}
    )
    return timer.timeit


def wsgi_runner(app: Callable[..., Any], environ: dict[str, Any]) -> Callable[[int], float]:
    """Time a WSGI call on a copy of *environ*, draining and closing the body.

    The environ is copied for every call and every subject alike, since a
    middleware may write to it.
    """
    timer = timeit.Timer(
        WSGI_STMT,
        globals={
            "app": app,
            "copy": dict.copy,
            "environ": environ,
            "start_response": _start_response,
        },
    )
    return timer.timeit


def calibrate(subject: Subject, target: float) -> None:
    """Pick the number of calls per sample so that one sample lasts ~target s.

    This also warms the subject up (first-call caches, lazy setup).
    """
    n = 1
    while True:
        took = subject.run(n)
        if took >= target / 4 or n >= 1 << 22:
            break
        n *= 4
    subject.number = max(1, round(n * target / max(took, 1e-9)))


def run_rounds(
    subjects: list[Subject],
    rounds: int,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Sample every subject once per round, in a new order each round."""
    order = list(subjects)
    for r in range(rounds):
        random.Random(r).shuffle(order)
        for subject in order:
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                took = subject.run(subject.number)
            finally:
                if gc_was_enabled:
                    gc.enable()
            subject.samples.append(took / subject.number)
        if progress is not None:
            progress(r + 1, rounds)


def now() -> float:
    return time.perf_counter()
