"""Problems with a configuration, and the one exception that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["PROBLEM_CODES", "ConfigError", "Problem", "Severity", "suggest"]

Severity = Literal["error", "warning"]

#: Every problem code, with its severity and plain meaning. The codes are
#: public API: ``Config``, ``corecors lint`` and the Django system checks
#: (``corecors.E006`` is ``CC006``) report the same code for the same problem.
PROBLEM_CODES: dict[str, tuple[Severity, str]] = {
    "CC001": ("error", "the file cannot be read, or is not valid TOML or JSON"),
    "CC002": ("error", "the file is neither corecors options nor a Gravitee definition"),
    "CC003": ("error", "an unknown option name"),
    "CC004": ("error", "a value of the wrong type or out of range"),
    "CC005": ("error", "an allowed origin that is not an origin or a safe pattern"),
    "CC006": ("error", "an origin regex that is invalid or lets strangers' origins in"),
    "CC007": ("error", "a method or header name that is not a valid HTTP token"),
    "CC008": ("error", "options that are refused together"),
    "CC009": ("error", "a wildcard that covers names anybody can register under a public suffix"),
    "CC101": ("warning", "'*' lets every website read the responses"),
    "CC102": ("warning", "an entry listed twice"),
    "CC103": ("warning", "an origin already covered by another entry"),
    "CC104": ("warning", "max_age above what browsers honour"),
    "CC105": ("warning", "exposing a header every script can read anyway"),
    "CC106": ("warning", "allowing a request header scripts cannot set"),
    "CC107": ("warning", "allowing a method browsers refuse to send"),
    "CC108": ("warning", "a method that is not in upper case"),
    "CC109": ("warning", "no origin is allowed"),
    "CC110": ("warning", "CORS is disabled"),
    "CC111": ("warning", "names listed beside '*' that '*' already covers"),
    "CC112": ("warning", "a regex that matches every origin"),
    "CC113": ("warning", "exposing a header browsers never expose"),
    "CC114": ("warning", "a dangerously_* option is on"),
    "CC115": ("warning", "a Gravitee glob that Gravitee itself reads as a broken regex"),
    "CC116": ("warning", "a wildcard under a public suffix (accepted without credentials)"),
    "CC117": ("warning", "no prefixed key is set, but keys that look like options are"),
    "CC118": ("warning", "debug_refusals is on: refusals disclose the policy"),
    "CC119": ("warning", "check_websocket_origin with '*' origins: every handshake passes"),
    "CC120": ("warning", "a middleware runs before the CORS middleware"),
}


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt *name*, or None.

    >>> suggest("allow_origin", ["allow_origins", "max_age"])
    'allow_origins'
    """
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1)
    return close[0] if close else None


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with a configuration: what, where, and how to fix it.

    ``option`` is the name the user wrote (an option such as
    ``allow_origins``, a settings key such as ``CORECORS_MAX_AGE`` or a
    Gravitee key path); ``index`` is the entry's place in a list option,
    or ``None``.

    >>> p = Problem("CC005", "error", "allow_origins", "https://a.example/",
    ...             "has a path", "write 'https://a.example'", index=0)
    >>> str(p)
    "allow_origins[0]: 'https://a.example/' has a path. Fix: write 'https://a.example'"
    """

    code: str
    severity: Severity
    option: str
    value: object
    problem: str
    fix: str
    index: int | None = None

    @property
    def where(self) -> str:
        """The option, with the entry's index for a list option."""
        return self.option if self.index is None else f"{self.option}[{self.index}]"

    def __str__(self) -> str:
        if self.value is None:  # a problem with the option as a whole, such as a missing key
            return f"{self.where} {self.problem}. Fix: {self.fix}"
        return f"{self.where}: {self.value!r} {self.problem}. Fix: {self.fix}"


class ConfigError(ValueError):
    """A configuration corecors refuses to run with.

    Raised once, when a :class:`~corecors.Config` is built, never while a
    request is handled. ``problems`` holds every problem found, errors
    first; the message is the first one, plus how many more there are. The
    first problem's parts are also kept as ``option``, ``value``,
    ``problem`` and ``fix``.

    >>> from corecors import Config, ConfigError
    >>> try:
    ...     Config(allow_origins=["https://app.example.com/"])
    ... except ConfigError as exc:
    ...     print(exc.option, len(exc.problems))
    allow_origins 1
    """

    problems: tuple[Problem, ...]
    option: str
    value: object
    problem: str
    fix: str

    def __init__(self, problems: Iterable[Problem]) -> None:
        found = tuple(problems)
        if not found:
            raise ValueError("ConfigError needs at least one problem")
        errors = tuple(p for p in found if p.severity == "error")
        self.problems = errors + tuple(p for p in found if p.severity != "error")
        first = self.problems[0]
        self.option = first.option
        self.value = first.value
        self.problem = first.problem
        self.fix = first.fix
        more = len(self.problems) - 1
        super().__init__(str(first) + (f" (and {more} more)" if more else ""))

    @classmethod
    def one(
        cls,
        code: str,
        option: str,
        value: object,
        problem: str,
        fix: str,
        index: int | None = None,
    ) -> ConfigError:
        """A ConfigError with the single error *code*."""
        return cls([Problem(code, "error", option, value, problem, fix, index)])
