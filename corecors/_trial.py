"""Report-only trials: decide every request under two configs, enforce one.

A :class:`~corecors.Policy` with a trial puts a *gate* where decide() reads
its compiled tables. The gate says ``enabled = False``, the one branch
decide() takes anyway for a disabled config, and there it hands the request
to the trial. A Config or a Policy without a trial never reaches that code,
so it costs exactly what it cost before trials existed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ._compiled import Compiled
from ._config import Config
from ._decision import Decision
from ._model import Request

__all__ = ["TrialCounter", "TrialCounts", "gate"]

Decide = Callable[[Request, Config], Decision]

#: One line per request whose two decisions differ: reason codes and the
#: request kind, never a raw request value (no Origin text).
logger = logging.getLogger("corecors.report_only")


@dataclass(frozen=True, slots=True)
class TrialCounts:
    """What a report-only trial has seen so far (see ``Policy.trial_counts``).

    ``decided`` requests were decided under both configs; ``differ`` of them
    got a different decision from the trial; of those, ``would_refuse`` were
    allowed by the enforced config and refused by the trial, ``would_allow``
    the opposite, and the rest kept their verdict with other headers.
    """

    decided: int = 0
    differ: int = 0
    would_refuse: int = 0
    would_allow: int = 0


class TrialCounter:
    """The counts of one trial, shared by every gate built for it.

    A short lock guards each update: trial traffic is counted exactly even
    on free-threaded Python. It is the trial path's only lock; a policy
    without a trial never takes it.
    """

    __slots__ = ("_counts", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0, 0, 0, 0]

    def add(self, differ: int, would_refuse: int, would_allow: int) -> None:
        with self._lock:
            counts = self._counts
            counts[0] += 1
            counts[1] += differ
            counts[2] += would_refuse
            counts[3] += would_allow

    def snapshot(self) -> TrialCounts:
        with self._lock:
            return TrialCounts(*self._counts)


def _verdict(decision: Decision) -> str:
    if decision.allowed:
        return "allowed"
    return "refused(" + ",".join(decision.reasons) + ")"


class _Gate(Compiled):
    """Compiled tables that send every request to a report-only trial.

    It fills only what decide() reads before its disabled branch; nothing
    else reads a policy's compiled tables.
    """

    __slots__ = ("counter", "enforced", "tried")

    def __init__(self, enforced: Config, tried: Config, counter: TrialCounter) -> None:
        # Not Compiled.__init__: a gate compiles nothing.
        self.enabled = False
        self.trial = self
        self.untouched_ws = enforced._c.untouched_ws
        self.ws_check = False  # a handshake goes to decide() on both configs too
        self.enforced = enforced
        self.tried = tried
        self.counter = counter

    def decide(self, request: Request, decide: Decide) -> Decision:
        enforced = decide(request, self.enforced)
        tried = decide(request, self.tried)
        if enforced == tried:
            self.counter.add(0, 0, 0)
            return enforced
        would_refuse = enforced.allowed and not tried.allowed
        would_allow = tried.allowed and not enforced.allowed
        self.counter.add(1, would_refuse, would_allow)
        logger.info(
            "report-only: %s request: enforced %s, trial %s%s",
            enforced.kind if enforced.kind == tried.kind else f"{enforced.kind}/{tried.kind}",
            _verdict(enforced),
            _verdict(tried),
            "" if would_refuse or would_allow else " (same verdict, other headers)",
        )
        return enforced


def gate(enforced: Config, tried: Config | None, counter: TrialCounter | None) -> Compiled:
    """The tables a Policy puts in force: the Config's own, or a trial's gate."""
    if tried is None or counter is None:
        return enforced._c
    return _Gate(enforced, tried, counter)
