"""The one exception corecors raises: a configuration it refuses."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration corecors refuses to run with.

    Raised once, when a :class:`~corecors.Config` is built, never while a
    request is handled. The message names the option, the value that was
    given and how to fix it; the same parts are kept as attributes.

    >>> from corecors import Config, ConfigError
    >>> try:
    ...     Config(allow_origins=["https://app.example.com/"])
    ... except ConfigError as exc:
    ...     print(exc.option)
    allow_origins
    """

    option: str
    value: object
    fix: str

    def __init__(self, option: str, value: object, problem: str, fix: str) -> None:
        self.option = option
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{option}: {value!r} {problem}. Fix: {fix}")
