"""Policy: the Config in force, swapped atomically while requests run."""

from __future__ import annotations

from ._compiled import Compiled
from ._config import Config

__all__ = ["Policy"]


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

    __slots__ = ("_c", "_config")

    _c: Compiled
    _config: Config

    def __init__(self, config: Config) -> None:
        self.reconfigure(config)

    @property
    def config(self) -> Config:
        """The Config in force."""
        return self._config

    def reconfigure(self, config: Config) -> None:
        """Put *config* in force. Anything but a Config raises and changes nothing."""
        if not isinstance(config, Config):
            raise TypeError(f"reconfigure() takes a corecors.Config, not {type(config).__name__}")
        # One tuple assignment would not be atomic for readers of two
        # attributes; decide() reads only _c, so set _c last.
        self._config = config
        self._c = config._c

    def __repr__(self) -> str:
        return f"Policy({self._config!r})"
