"""What every source shares: a background loop that builds and swaps policies.

A source reads its contents (a file, a table), builds the Config they
describe and puts it in force with ``policy.reconfigure``. All of that
happens in the source's own thread (or asyncio task), never on a request:
requests keep reading the policy in force until the new one is whole.

Failures never reach the policy in force. A read that fails (a file being
written, a database that is down) or contents that do not validate leave
the last good Config in force, and are logged once per change of what the
source saw, not once per poll.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from .._config import Config
from .._errors import Problem
from .._policy import Policy

__all__ = ["Source"]

logger = logging.getLogger("corecors.sources")


class Source(ABC):
    """A background reloader of one policy. Subclasses say how to read and build.

    ``start()`` loads once at once (failures are logged, not raised), then
    keeps reloading in a daemon thread; ``stop()`` ends the thread and joins
    it. ``with source:`` does both. ``refresh()`` is one reload, done by the
    caller, for tests and for scripts.
    """

    #: seconds between two checks
    interval: float
    #: the policy this source keeps current
    policy: Policy

    def __init__(self, policy: Policy, *, interval: float, name: str) -> None:
        if not isinstance(policy, Policy):
            raise TypeError(f"{name} needs a corecors.Policy, not {type(policy).__name__}")
        if not interval > 0:
            raise ValueError(f"{name}: interval must be a positive number of seconds")
        self.policy = policy
        self.interval = interval
        self.name = name
        #: the problems of the last contents read (errors and skipped entries)
        self.problems: tuple[Problem, ...] = ()
        #: how many times this source has put a new Config in force
        self.reloads = 0
        self._stopping = threading.Event()
        #: False while the last read failed (the source is down)
        self.available = True
        #: the longest wait between two tries while the source is down
        self.max_backoff = max(30.0, 30 * interval)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one refresh at a time
        self._reported: object = None  # what the last log line was about

    # -- to be provided by a subclass ------------------------------------------------

    @abstractmethod
    def _check(self) -> Config | None:
        """Read the contents; return a new Config to put in force, or None.

        None means nothing changed, or the new contents cannot be used (the
        subclass has logged why). May raise OSError or a database error:
        the loop logs it once and retries with backoff.
        """

    def _wait(self, seconds: float) -> None:
        """Sleep until the next check or stop(); a subclass may wake earlier."""
        self._stopping.wait(seconds)

    def _close(self) -> None:  # noqa: B027 - most sources hold nothing open
        """Release what the source holds open (a connection)."""

    # -- the loop ---------------------------------------------------------------------

    def refresh(self) -> bool:
        """Check the source once; return whether a new Config was put in force.

        Never raises for what the source holds or for a source that is
        down: that is logged once per change, and the policy stays.
        """
        with self._lock:
            try:
                config = self._check()
            except Exception as exc:  # a source down: any driver's error
                self.available = False
                self._failed(exc)
                return False
            if not self.available:
                self.available = True
                self.report(("up",), logging.INFO, "%s is reachable again", self.name)
            if config is None:
                return False
            self.policy.reconfigure(config)
            self.reloads += 1
            return True

    def _failed(self, exc: BaseException) -> None:
        self._close()
        what = f"{type(exc).__name__}: {exc}".strip()
        self.report(
            ("down",),  # once per outage, whatever each retry's error says
            logging.WARNING,
            "%s is unreachable (%s); the last good policy stays in force, retrying",
            self.name,
            what,
        )

    def report(self, about: object, level: int, message: str, *args: object) -> None:
        """Log *message* unless the last line was about the same *about*."""
        if about == self._reported:
            return
        self._reported = about
        logger.log(level, message, *args)

    def _next_delay(self, delay: float) -> float:
        if self.available:
            return self.interval
        return min(delay * 2, self.max_backoff)

    def _run(self) -> None:
        delay = self.interval
        while not self._stopping.is_set():
            self.refresh()
            # Backoff while the source is down: double the wait, up to 30
            # intervals (at least 30 s), back to one interval once it answers.
            delay = self._next_delay(delay)
            self._wait(delay)

    def start(self) -> Self:
        """Load once now, then keep reloading in a background thread."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already started")
        self._stopping.clear()
        self.refresh()
        self._thread = threading.Thread(
            target=self._loop_after_first, name=f"corecors {self.name}", daemon=True
        )
        self._thread.start()
        return self

    def _loop_after_first(self) -> None:
        self._wait(self.interval)
        self._run()

    def stop(self) -> None:
        """Stop reloading; wait for the background thread (or task) to end."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self._close()

    async def run(self) -> None:
        """The same loop as an asyncio task: each check runs in a worker thread.

        ``task = asyncio.create_task(source.run())``; ``source.stop()`` (or
        cancelling the task) ends it.
        """
        self._stopping.clear()
        delay = self.interval
        try:
            while not self._stopping.is_set():
                await asyncio.to_thread(self.refresh)
                delay = self._next_delay(delay)
                await asyncio.to_thread(self._wait, delay)
        finally:
            self._close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
