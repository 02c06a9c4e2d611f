"""Advice: what validation accepts but is probably not meant (codes CC101-CC114).

Each check reads the validated options, so it sees an entry as Config
keeps it, and reports a warning :class:`Problem` at the entry's place in
the list as given. ``corecors lint``, :meth:`Config.validate`,
``config.warnings`` and the Django system checks all print this one list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._errors import Problem
from ._fetch import (
    CHROMIUM_MAX_AGE,
    FIREFOX_MAX_AGE,
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    SAFELISTED_RESPONSE_HEADERS,
    is_forbidden_request_header,
)
from ._options import Entry, Options
from ._regexes import matches_everything
from ._syntax import Origin, parse_origin

__all__ = ["advise"]

_ORIGIN_OPTIONS = ("allow_origins", "allow_origin_regexes")
_DANGEROUS = (
    "dangerously_allow_http_origins_with_credentials",
    "dangerously_allow_any_origin_with_credentials",
)


class _Advice:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, option: str, value: object, problem: str, fix: str,
            index: int | None = None) -> None:  # fmt: skip
        self.problems.append(Problem(code, "warning", option, value, problem, fix, index))

    def unique(self, option: str, entries: Iterable[Entry], fold: bool = False) -> list[Entry]:
        """The first entry of each value; CC102 for every repeat."""
        seen: dict[object, Entry] = {}
        for entry in entries:
            value = entry.value
            k = value.pattern if isinstance(value, re.Pattern) else value
            if fold:
                k = k.lower()
            if k in seen:
                note = " (header names are case-insensitive)" if fold else ""
                self.add(
                    "CC102",
                    option,
                    entry.given,
                    f"repeats entry {seen[k].index}{note}",
                    "remove one of them",
                    entry.index,
                )
            else:
                seen[k] = entry
        return list(seen.values())


def advise(options: Options, problems: Iterable[Problem] = ()) -> list[Problem]:
    """The warnings for *options*, given the *problems* validation found.

    >>> from corecors._options import validate
    >>> options, _ = validate({"allow_origins": ["*"], "max_age": 86400})
    >>> [(p.code, p.where) for p in advise(options)]
    [('CC101', 'allow_origins[0]'), ('CC104', 'max_age')]
    """
    advice = _Advice()
    if not options.enabled:
        advice.add(
            "CC110",
            "enabled",
            False,
            "turns CORS off: nothing is checked and no CORS header is sent",
            "set it to true, or drop this config",
        )
        return advice.problems
    refused = {p.option for p in problems}
    if (
        not options.entries["allow_origins"]
        and not options.entries["allow_origin_regexes"]
        and not refused & set(_ORIGIN_OPTIONS)
    ):
        advice.add(
            "CC109",
            "allow_origins",
            None,
            "is empty, so every cross-origin request is refused"
            + (
                " (allow_credentials is on, but no origin may use it)"
                if options.allow_credentials
                else ""
            ),
            "list the origins of your sites",
        )
    _origins(advice, options)
    _methods(advice, options.entries["allow_methods"])
    _request_headers(advice, options.entries["allow_headers"])
    _expose(advice, options.entries["expose_headers"])
    if options.max_age > CHROMIUM_MAX_AGE:
        advice.add(
            "CC104",
            "max_age",
            options.max_age,
            f"seconds is more than Chromium keeps a preflight ({CHROMIUM_MAX_AGE})"
            + (f" or Firefox ({FIREFOX_MAX_AGE})" if options.max_age > FIREFOX_MAX_AGE else ""),
            f"write {CHROMIUM_MAX_AGE} or less",
        )
    for name in _DANGEROUS:
        if getattr(options, name):
            advice.add(
                "CC114",
                name,
                True,
                "is on: origins that strangers can act as may send your users' credentials",
                "remove it once the origins it was needed for are https or named",
            )
    return advice.problems


def _origins(advice: _Advice, options: Options) -> None:
    origins = advice.unique("allow_origins", options.entries["allow_origins"])
    regexes = advice.unique("allow_origin_regexes", options.entries["allow_origin_regexes"])
    star = next((e for e in origins if e.value == "*"), None)
    if star is not None:
        advice.add(
            "CC101",
            "allow_origins",
            "*",
            "lets every website on the internet read the responses",
            "list your sites' origins, unless this is a public API that needs no cookies or tokens",
            star.index,
        )
    patterns = [
        (e, parse_origin("", e.value, pattern=True))
        for e in origins
        if e is not star and "*" in e.value
    ]
    compiled: list[tuple[Entry, re.Pattern[str]]] = []
    for entry in regexes:
        rx: re.Pattern[str] = entry.value
        if matches_everything(rx):
            advice.add(
                "CC112",
                "allow_origin_regexes",
                rx.pattern,
                "matches every origin, even 'null'",
                "write '*' if every website may read the responses, or name your origins",
                entry.index,
            )
        elif star is not None:
            advice.add(
                "CC103",
                "allow_origin_regexes",
                rx.pattern,
                "adds nothing to '*' in allow_origins",
                "remove the regex, or the '*' if it was a mistake",
                entry.index,
            )
        else:
            compiled.append((entry, rx))
    for entry in origins:
        if entry is star or "*" in entry.value:
            continue
        cover = "'*'" if star is not None else _covered(entry.value, patterns, compiled)
        if cover:
            advice.add(
                "CC103",
                "allow_origins",
                entry.given,
                f"is already allowed by {cover}",
                "remove the narrower entry, or the broader one if it was a mistake",
                entry.index,
            )
    for entry, pattern in patterns:
        wider = "'*'" if star is not None else None
        for _other, other in patterns:
            if wider is None and _pattern_covers(other, pattern):
                wider = f"the pattern '{other.serialise()}'"
        if wider is not None:
            advice.add(
                "CC103",
                "allow_origins",
                entry.given,
                f"is already allowed by {wider}",
                "remove the narrower entry, or the broader one if it was a mistake",
                entry.index,
            )


def _covered(
    origin: str,
    patterns: list[tuple[Entry, Origin]],
    regexes: list[tuple[Entry, re.Pattern[str]]],
) -> str | None:
    for _entry, pattern in patterns:
        if re.fullmatch(pattern.regex(), origin):
            return f"the pattern '{pattern.serialise()}'"
    for _entry, rx in regexes:
        if rx.fullmatch(origin):
            return f"the regex '{rx.pattern}'"
    return None


def _pattern_covers(wider: Origin, narrower: Origin) -> bool:
    if wider == narrower or wider.scheme != narrower.scheme:
        return False
    if wider.port != "*" and wider.port != narrower.port:
        return False
    if wider.any_subdomain:
        return narrower.host.endswith("." + wider.host) or (
            narrower.any_subdomain and narrower.host == wider.host
        )
    return not narrower.any_subdomain and narrower.host == wider.host


def _beside_star(advice: _Advice, option: str, entries: list[Entry], keep: str = "") -> None:
    """CC111 for each name listed beside '*' that '*' covers (all but *keep*)."""
    if not any(e.value == "*" for e in entries):
        return
    for entry in entries:
        if entry.value != "*" and entry.value.lower() != keep:
            advice.add(
                "CC111",
                option,
                entry.given,
                "is already covered by '*'"
                + ("; only Authorization must be named beside '*'" if keep else ""),
                "remove it, or the '*'",
                entry.index,
            )


def _methods(advice: _Advice, entries: Iterable[Entry]) -> None:
    methods = advice.unique("allow_methods", entries)
    for entry in methods:
        method: str = entry.value
        if method.upper() in FORBIDDEN_METHODS:
            advice.add(
                "CC107",
                "allow_methods",
                method,
                f"is never sent: fetch() and XMLHttpRequest refuse {method.upper()}",
                "remove it",
                entry.index,
            )
        elif method != method.upper():
            advice.add(
                "CC108",
                "allow_methods",
                method,
                "matches only a script that writes it exactly so: methods are "
                "case-sensitive, and browsers upper-case only DELETE, GET, HEAD, "
                "OPTIONS, POST and PUT",
                f"write '{method.upper()}'",
                entry.index,
            )
    _beside_star(advice, "allow_methods", methods)


def _request_headers(advice: _Advice, entries: Iterable[Entry]) -> None:
    headers = advice.unique("allow_headers", entries, fold=True)
    for entry in headers:
        if is_forbidden_request_header(entry.value):
            advice.add(
                "CC106",
                "allow_headers",
                entry.given,
                "is a forbidden request header: scripts cannot set it, so the "
                "browser never asks to send it",
                "remove it",
                entry.index,
            )
    _beside_star(
        advice,
        "allow_headers",
        [e for e in headers if not is_forbidden_request_header(e.value)],
        keep="authorization",
    )


def _expose(advice: _Advice, entries: Iterable[Entry]) -> None:
    headers = advice.unique("expose_headers", entries, fold=True)
    rest: list[Entry] = []
    for entry in headers:
        name = entry.value.lower()
        if name in SAFELISTED_RESPONSE_HEADERS:
            advice.add(
                "CC105",
                "expose_headers",
                entry.given,
                "is a CORS-safelisted response header: every script can read it unexposed",
                "remove it",
                entry.index,
            )
        elif name in FORBIDDEN_RESPONSE_HEADERS:
            advice.add(
                "CC113",
                "expose_headers",
                entry.given,
                "is never readable by a script, exposed or not",
                "remove it",
                entry.index,
            )
        else:
            rest.append(entry)
    _beside_star(advice, "expose_headers", rest)
