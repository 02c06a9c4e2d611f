"""Path-scoped policies read from flat settings (Django's ``CORECORS_*``).

A site's policy (its options, or one Config or Policy), the regex that
limits where it applies, and ``(regex, policy)`` pairs for parts of the
site, each checked as the core checks a Config: every problem at once, named
by its setting. Adapters (``corecors.adapters.django``) only fetch the
settings and hand them here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._config import Config
from ._errors import Problem
from ._policy import Policy
from ._readers import read_mapping, read_options

__all__ = ["Scopes", "middleware_order", "read_scoped"]

Holder = Config | Policy


@dataclass(frozen=True, slots=True)
class Scopes:
    """The policies the settings give, and where each applies."""

    #: the site's policy
    site: Holder
    #: the site's policy applies only where this matches the whole path_info
    urls_regex: re.Pattern[str] | None = None
    #: ``(regex, policy)``, first whole-path match wins, before the site's
    policies: tuple[tuple[re.Pattern[str], Holder], ...] = ()
    #: the site's policy when it applies to every path (no ``urls_regex``,
    #: no ``policies``), else None: an adapter's one lookup for the usual site
    unscoped: Holder | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        plain = self.urls_regex is None and not self.policies
        object.__setattr__(self, "unscoped", self.site if plain else None)

    def policy_for(self, path: str) -> Holder | None:
        """The policy for *path* (a ``request.path_info``), or None: untouched."""
        for regex, policy in self.policies:
            if regex.fullmatch(path):
                return policy
        scope = self.urls_regex
        if scope is None or scope.fullmatch(path):
            return self.site
        return None


def read_scoped(
    found: Mapping[str, Any], prefix: str = "CORECORS_", peers: Mapping[str, Any] | None = None
) -> tuple[Scopes | None, tuple[Problem, ...]]:
    """Read path-scoped policies from flat settings, such as Django's.

    *found* holds the ``PREFIX*`` settings: the options (``CORECORS_MAX_AGE``)
    or ``PREFIX + "CONFIG"`` (a Config or Policy), and the scopes
    ``PREFIX + "URLS_REGEX"`` and ``PREFIX + "POLICIES"``. *peers* are
    another package's settings (django-cors-headers' ``CORS_*``), passed so
    that the reading can warn that they are not read.

    Returns the scopes (``None`` when there is an error) and every problem,
    errors and warnings, each named by its setting (``CORECORS_MAX_AGE``,
    ``CORECORS_POLICIES[1].allow_origins``). Never raises.

    >>> scopes, problems = read_scoped({"CORECORS_ALLOW_ORIGINS": ["https://a.example"],
    ...                                 "CORECORS_URLS_REGEX": r"/api/.*"})
    >>> scopes.policy_for("/api/users") is scopes.site, scopes.policy_for("/admin/")
    (True, None)
    """
    keys = _Keys(prefix)
    problems: list[Problem] = []
    site = _read_site(keys, found, dict(peers or {}), problems)
    urls_regex = _path_regex(keys.urls_regex, found.get(keys.urls_regex), problems)
    policies = _read_policies(keys.policies, found.get(keys.policies, ()), problems)
    if site is None or any(p.severity == "error" for p in problems):
        return None, tuple(problems)
    return Scopes(site, urls_regex, policies), tuple(problems)


@dataclass(frozen=True, slots=True)
class _Keys:
    prefix: str

    @property
    def config(self) -> str:
        return self.prefix + "CONFIG"

    @property
    def urls_regex(self) -> str:
        return self.prefix + "URLS_REGEX"

    @property
    def policies(self) -> str:
        return self.prefix + "POLICIES"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset({self.config, self.urls_regex, self.policies})


def _read_site(
    keys: _Keys, found: Mapping[str, Any], peers: dict[str, Any], problems: list[Problem]
) -> Holder | None:
    options = {k: v for k, v in found.items() if k not in keys.scopes}
    if keys.config in found:
        given = found[keys.config]
        if options:
            problems.append(
                Problem(
                    "CC008",
                    "error",
                    keys.config,
                    given,
                    "is set together with " + ", ".join(sorted(options)),
                    f"give the policy one way: put those options in the Config "
                    f"(Config(...).replace(...)), or remove {keys.config}",
                )
            )
            return None
        return _holder(keys.config, given, problems)
    reading = read_mapping({**peers, **options}, keys.prefix)
    found_problems = reading.check()
    problems.extend(found_problems)
    if any(p.severity == "error" for p in found_problems):
        return None
    return Config(**reading.options)


def _holder(name: str, given: object, problems: list[Problem]) -> Holder | None:
    """A Config or Policy given as a setting, or None (and a problem)."""
    if isinstance(given, (Config, Policy)):
        config = given.config if isinstance(given, Policy) else given
        problems.extend(_renamed(name, config.warnings))
        return given
    problems.append(
        _wrong(
            name,
            given,
            f"is a {type(given).__name__}, not a corecors.Config or Policy",
            "write corecors.Config(...) with the options as keywords",
        )
    )
    return None


def _wrong(name: str, given: object, problem: str, fix: str) -> Problem:
    """CC004: a setting of the wrong shape."""
    return Problem("CC004", "error", name, given, problem, fix)


def _renamed(name: str, found: Sequence[Problem]) -> list[Problem]:
    return [
        Problem(p.code, p.severity, f"{name}.{p.option}", p.value, p.problem, p.fix, p.index)
        for p in found
    ]


def _path_regex(name: str, given: object, problems: list[Problem]) -> re.Pattern[str] | None:
    if given is None:
        return None
    if isinstance(given, re.Pattern) and isinstance(given.pattern, str):
        return given
    if not isinstance(given, str):
        problems.append(
            _wrong(
                name,
                given,
                f"is a {type(given).__name__}, not a regex",
                r"write the regex as a string, such as r'/api/.*'",
            )
        )
        return None
    try:
        return re.compile(given)
    except re.error as exc:
        problems.append(
            _wrong(
                name,
                given,
                f"is not a valid regex ({exc})",
                "correct it; it is matched against the whole path, such as r'/api/.*'",
            )
        )
        return None


def _read_policies(
    setting: str, given: object, problems: list[Problem]
) -> tuple[tuple[re.Pattern[str], Holder], ...]:
    if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Sequence):
        problems.append(
            _wrong(
                setting,
                given,
                "is not a list of (regex, policy) pairs",
                "write [(r'/api/.*', {'allow_origins': ['https://app.example.com']}), ...]",
            )
        )
        return ()
    policies: list[tuple[re.Pattern[str], Holder]] = []
    for i, entry in enumerate(given):
        name = f"{setting}[{i}]"
        if isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence) or len(entry) != 2:
            problems.append(
                _wrong(
                    name,
                    entry,
                    "is not a (regex, policy) pair",
                    "write (r'/api/.*', Config(...)) or (r'/api/.*', {option: value, ...})",
                )
            )
            continue
        regex = _path_regex(name, entry[0], problems)
        policy = _policy(name, entry[1], problems)
        if regex is not None and policy is not None:
            policies.append((regex, policy))
    return tuple(policies)


def _policy(name: str, given: object, problems: list[Problem]) -> Holder | None:
    if not isinstance(given, Mapping):
        return _holder(name, given, problems)
    reading = read_options(given, name)
    found = reading.check()
    problems.extend(found)
    if any(p.severity == "error" for p in found):
        return None
    return Config(**reading.options)


def middleware_order(chain: object, ours: str, setting: str = "MIDDLEWARE") -> list[Problem]:
    """CC120 when something runs before the CORS middleware *ours* in *chain*.

    A middleware before it can answer first (a login redirect, a CSRF 403, a
    trailing-slash redirect), and that answer then lacks the CORS headers,
    or a preflight never reaches corecors.

    >>> [p.code for p in middleware_order(["a.Security", "x.Cors"], "x.Cors")]
    ['CC120']
    """
    if isinstance(chain, str) or not isinstance(chain, Sequence):
        return []  # the framework checks its own setting's shape
    names = [str(m) for m in chain]
    if ours not in names or names.index(ours) == 0:
        return []
    before = names[: names.index(ours)]
    return [
        Problem(
            "CC120",
            "warning",
            setting,
            before,
            f"run before {ours}: a response one of them makes (a redirect, a 403, a "
            "preflight answered 401) gets no CORS headers, so the browser reports a "
            "CORS failure instead of the real error",
            f"put {ours!r} first in {setting}",
            names.index(ours),
        )
    ]
