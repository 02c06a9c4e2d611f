"""Policy: the Config in force, swapped atomically while requests run."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ._compiled import Compiled
from ._config import Config
from ._errors import ConfigError
from ._syntax import article
from ._trial import TrialCounter, TrialCounts, gate

__all__ = ["Policy", "reconfigured", "resolve_config"]


class Policy:
    """A holder of the :class:`Config` in force, accepted wherever a Config is.

    ``reconfigure(new_config)`` swaps the config in one assignment: a
    request that has started keeps the compiled tables it read first, so no
    request ever sees a mix of two configs, and the hit path takes no lock.

    >>> from corecors import Config, Policy, Request, decide
    >>> policy = Policy(Config(allow_origins=["https://a.example"]))
    >>> decide(Request("GET", origin="https://b.example"), policy).allowed
    False
    >>> policy.reconfigure(Config(allow_origins=["https://b.example"]))
    >>> decide(Request("GET", origin="https://b.example"), policy).allowed
    True
    """

    __slots__ = ("_c", "_config", "_counter", "_lock", "_trial")

    _c: Compiled
    _config: Config

    def __init__(self, config: Config, *, report_only: Config | None = None) -> None:
        self._lock = threading.Lock()
        self._trial: Config | None = None
        self._counter: TrialCounter | None = None
        self.reconfigure(config)
        if report_only is not None:
            self.report_only(report_only)

    @property
    def config(self) -> Config:
        """The Config in force."""
        return self._config

    @property
    def trial(self) -> Config | None:
        """The Config on report-only trial, or None."""
        return self._trial

    @property
    def trial_counts(self) -> TrialCounts:
        """What the current (or the last) report-only trial has counted.

        >>> from corecors import Config, Policy, Request, decide
        >>> policy = Policy(Config(allow_origins=["https://a.example"]),
        ...                 report_only=Config(allow_origins=["https://b.example"]))
        >>> decide(Request("GET", origin="https://a.example"), policy).allowed
        True
        >>> policy.trial_counts
        TrialCounts(decided=1, differ=1, would_refuse=1, would_allow=0)
        """
        counter = self._counter
        return TrialCounts() if counter is None else counter.snapshot()

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force. Anything but a Config raises and changes nothing.

        A report-only trial keeps running (and counting) against the new config.
        """
        _check(config, "config")
        with self._lock:  # writers only; decide() reads _c and takes no lock
            # One tuple assignment would not be atomic for readers of two
            # attributes; decide() reads only _c, so set _c last.
            self._config = config
            self._c = gate(config, self._trial, self._counter)

    def report_only(self, config: Config | None) -> None:
        """Decide every request under *config* too, without enforcing it.

        Each request whose two decisions differ is logged, one line on the
        ``corecors.report_only`` logger at INFO (the request kind and reason
        codes, never a request value), and counted in :attr:`trial_counts`,
        which starts again from zero. ``None`` ends the trial (its counts
        stay readable). Anything else but a Config raises and changes nothing.
        """
        if config is not None:
            _check(config, "report_only")
        with self._lock:
            self._trial = config
            if config is not None:
                self._counter = TrialCounter()
            self._c = gate(self._config, config, self._counter)

    def __repr__(self) -> str:
        trial = self._trial
        if trial is None:
            return f"Policy({self._config!r})"
        return f"Policy({self._config!r}, report_only={trial!r})"


def _check(config: object, option: str) -> None:
    if not isinstance(config, Config):
        raise ConfigError.one(
            "CC004",
            option,
            config,
            f"is {article(type(config).__name__)}, not a corecors.Config",
            "build the new policy with Config(...) first; the one in force stays",
        )


def reconfigured(current: Config | Policy, config: Config) -> Policy:
    """The Policy that puts *config* in force where *current* was.

    A Policy is swapped in place (everything holding it follows); a plain
    Config becomes a new Policy for the holder to keep. Anything but a
    Config raises :class:`ConfigError` and changes nothing.

    >>> policy = reconfigured(Config(), Config(allow_origins=["https://a.example"]))
    >>> policy.config.allow_origins
    ('https://a.example',)
    """
    if isinstance(current, Policy):
        current.reconfigure(config)
        return current
    return Policy(config)


def resolve_config(
    config: Config | Policy | None, options: Mapping[str, Any], where: str
) -> Config | Policy:
    """What an adapter takes: ``config=`` (a Config or a Policy) or keyword options.

    One rule for every adapter, so that each refuses the same way: a wrong
    type, or both forms at once, is a :class:`ConfigError` (code ``CC004``
    or ``CC008``); keyword options are validated as :class:`Config` does.

    >>> resolve_config(None, {"allow_origins": ["https://a.example"]}, "CORSMiddleware")
    Config(allow_origins=('https://a.example',))
    """
    if config is None:
        return Config(**options)
    if options:
        raise ConfigError.one(
            "CC008",
            where,
            sorted(options),
            "was given both config= and keyword options",
            "pass one: config=Config(...), or the options as keywords",
        )
    if isinstance(config, (Config, Policy)):
        return config
    raise ConfigError.one(
        "CC004",
        "config",
        config,
        f"is {article(type(config).__name__)}, not a corecors.Config or Policy",
        f"pass config=Config(...) or the options as keywords, as in "
        f"{where}(app, allow_origins=['https://app.example.com'])",
    )
