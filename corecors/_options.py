"""Plain validated options: the first layer of the core.

:func:`validate` takes the options as a person gave them and returns them
checked and normalised, together with every problem found. It never raises
and never stops at the first problem: a bad entry is reported and left out,
a bad scalar is reported and takes its default, and the checks that combine
options run on what remains. :class:`~corecors.Config` raises the errors;
``corecors lint`` and the Django system checks format the same list.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import ConfigError, Problem, suggest
from ._fetch import NORMALISED_METHODS
from ._psl import wildcard_problem
from ._regexes import analyse_regex
from ._syntax import Origin, article, is_loopback_host, is_token, parse_origin

__all__ = [
    "DEFAULTS",
    "DEFAULT_MAX_AGE",
    "DEFAULT_METHODS",
    "MAX_MAX_AGE",
    "OPTIONS",
    "Entry",
    "Options",
    "validate",
]

#: Methods allowed when ``allow_methods`` is not given: the CORS-safelisted
#: ones, which a browser never preflights anyway.
DEFAULT_METHODS = ("GET", "HEAD", "POST")
#: Seconds a browser may cache a preflight when ``max_age`` is not given.
DEFAULT_MAX_AGE = 600
#: The largest max_age accepted: a delta-seconds value fits 31 bits
#: (RFC 9111, 1.2.2), and browsers cap far below it anyway.
MAX_MAX_AGE = 2**31 - 1

#: Every option name :class:`~corecors.Config` takes, with its default,
#: in documentation order.
DEFAULTS: Mapping[str, object] = {
    "enabled": True,
    "allow_origins": (),
    "allow_origin_regexes": (),
    "allow_methods": DEFAULT_METHODS,
    "allow_headers": (),
    "allow_credentials": False,
    "expose_headers": (),
    "max_age": DEFAULT_MAX_AGE,
    "preflight_passthrough": False,
    "allow_private_network": False,
    "check_websocket_origin": False,
    "debug_refusals": False,
    "preflight_status": 204,
    "preflight_failure_status": 403,
    "dangerously_allow_http_origins_with_credentials": False,
    "dangerously_allow_any_origin_with_credentials": False,
}
OPTIONS = tuple(DEFAULTS)

BOOL_OPTIONS = frozenset(k for k, v in DEFAULTS.items() if isinstance(v, bool))
INT_OPTIONS = frozenset(k for k, v in DEFAULTS.items() if type(v) is int)
LIST_OPTIONS = frozenset(k for k, v in DEFAULTS.items() if isinstance(v, tuple))


@dataclass(frozen=True, slots=True)
class Entry:
    """One accepted entry of a list option."""

    #: its place in the list as given
    index: int
    #: the entry as written
    given: object
    #: normalised: a serialised origin, an Origin pattern, a compiled regex, a token
    value: Any


@dataclass(frozen=True, slots=True)
class Options:
    """Every option, checked and normalised, under its Config name."""

    enabled: bool
    allow_origins: tuple[str, ...]
    allow_origin_regexes: tuple[re.Pattern[str], ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    allow_credentials: bool
    expose_headers: tuple[str, ...]
    max_age: int
    preflight_passthrough: bool
    allow_private_network: bool
    check_websocket_origin: bool
    debug_refusals: bool
    preflight_status: int
    preflight_failure_status: int
    dangerously_allow_http_origins_with_credentials: bool
    dangerously_allow_any_origin_with_credentials: bool
    #: exact origins, serialised as browsers send them
    exact: tuple[str, ...]
    #: subdomain and any-port patterns
    patterns: tuple[Origin, ...]
    #: ``"*"`` was given
    any_origin: bool
    #: what each accepted regex may match: (pattern, lower-case domains or None)
    regex_domains: tuple[tuple[re.Pattern[str], frozenset[str] | None], ...]
    #: the accepted entries of each list option, as given, before duplicates go
    entries: Mapping[str, tuple[Entry, ...]]


def _kind(value: object) -> str:
    return article(type(value).__name__)


class _Report:
    """Collects problems in the order they are found."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        option: str,
        value: object,
        problem: str,
        fix: str,
        index: int | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(
            Problem(
                code,
                "warning" if severity == "warning" else "error",
                option,
                value,
                problem,
                fix,
                index,
            )
        )

    def caught(self, exc: ConfigError, code: str, index: int | None) -> None:
        for p in exc.problems:
            self.problems.append(
                Problem(code, p.severity, p.option, p.value, p.problem, p.fix, index)
            )


def _items(report: _Report, option: str, value: object) -> list[tuple[int, object]]:
    """The entries of a list option, or none (with a problem) if it is no list."""
    if isinstance(value, (str, re.Pattern)):
        return [(0, value)]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        report.add(
            "CC004",
            option,
            value,
            f"is {_kind(value)}, not a list",
            "give a string or a list of strings",
        )
        return []
    return list(enumerate(value))


def _tokens(report: _Report, option: str, value: object, what: str) -> list[Entry]:
    out: list[Entry] = []
    for i, item in _items(report, option, value):
        if not isinstance(item, str):
            report.add(
                "CC004",
                option,
                item,
                f"is {_kind(item)}, not a string",
                f"give each {what} as a string",
                i,
            )
        elif item != "*" and not is_token(item):
            example = "'PATCH'" if what == "method" else "'X-Requested-With'"
            report.add(
                "CC007",
                option,
                item,
                f"is not a valid {what} (an HTTP token: no spaces, commas, colons or "
                "control characters)",
                f"write one {what} per entry, such as {example}",
                i,
            )
        else:
            out.append(Entry(i, item, item))
    return out


def _dedupe(entries: Iterable[Entry], fold: bool = False) -> tuple[Any, ...]:
    seen: set[object] = set()
    out: list[Any] = []
    for entry in entries:
        key = entry.value.lower() if fold else entry.value
        if key not in seen:
            seen.add(key)
            out.append(entry.value)
    return tuple(out)


def validate(given: Mapping[str, object]) -> tuple[Options, tuple[Problem, ...]]:
    """Check *given* options; return them normalised, and every problem found.

    >>> options, problems = validate({"allow_origins": ["https://a.example/", "https://b.example"],
    ...                               "max_age": "600"})
    >>> options.allow_origins
    ('https://b.example',)
    >>> [(p.code, p.where) for p in problems]
    [('CC004', 'max_age'), ('CC005', 'allow_origins[0]')]
    """
    report = _Report()
    values: dict[str, Any] = dict(DEFAULTS)
    for name, value in given.items():
        if name not in DEFAULTS:
            close = suggest(str(name), OPTIONS)
            report.add(
                "CC003",
                str(name),
                value,
                "is not a corecors option",
                f"did you mean {close}?" if close else "see the list of options in the docs",
            )
            continue
        if name in BOOL_OPTIONS:
            if isinstance(value, bool):
                values[name] = value
            else:
                report.add(
                    "CC004",
                    name,
                    value,
                    f"is not a bool: it is {_kind(value)}",
                    "write True or False",
                )
        elif name in INT_OPTIONS:
            _integer(report, values, name, value)
        else:
            values[name] = value

    credentials: bool = values["allow_credentials"]
    pna: bool = values["allow_private_network"]
    allow_http: bool = values["dangerously_allow_http_origins_with_credentials"]
    entries: dict[str, tuple[Entry, ...]] = {}

    # Origins: "*", exact origins and safe patterns.
    origin_entries: list[Entry] = []
    exact: list[str] = []
    patterns: list[Origin] = []
    any_origin = False
    for i, item in _items(report, "allow_origins", values["allow_origins"]):
        if item == "*":
            any_origin = True
            origin_entries.append(Entry(i, item, "*"))
            continue
        is_pattern = isinstance(item, str) and "*" in item
        try:
            parsed = parse_origin("allow_origins", item, pattern=is_pattern)
        except ConfigError as exc:
            report.caught(exc, "CC005", i)
            continue
        if not _origin_safe(report, parsed, item, i, credentials, pna, allow_http):
            continue
        origin_entries.append(Entry(i, item, parsed.serialise()))
        if parsed.any_subdomain or parsed.port == "*":
            patterns.append(parsed)
        else:
            exact.append(parsed.serialise())
    entries["allow_origins"] = tuple(origin_entries)

    regex_entries: list[Entry] = []
    regex_domains: list[tuple[re.Pattern[str], frozenset[str] | None]] = []
    for i, item in _items(report, "allow_origin_regexes", values["allow_origin_regexes"]):
        rx = _compile(report, item, i)
        if rx is None:
            continue
        info, found = analyse_regex(
            "allow_origin_regexes",
            i,
            rx,
            credentials=credentials,
            allow_http=allow_http,
            private_network=pna,
            dangerously_any=values["dangerously_allow_any_origin_with_credentials"],
        )
        report.problems.extend(found)
        if info is not None:
            regex_entries.append(Entry(i, item, info.pattern))
            regex_domains.append((info.pattern, info.domains))
    entries["allow_origin_regexes"] = tuple(regex_entries)

    methods = _tokens(report, "allow_methods", values["allow_methods"], "method")
    for entry in list(methods):
        method = entry.value
        upper = method.upper()
        if method != upper and upper in NORMALISED_METHODS:
            report.add(
                "CC007",
                "allow_methods",
                method,
                f"never matches: browsers send it as {upper!r}",
                f"write {upper!r}",
                entry.index,
            )
            methods.remove(entry)
    entries["allow_methods"] = tuple(methods)
    headers = _tokens(report, "allow_headers", values["allow_headers"], "header name")
    entries["allow_headers"] = tuple(headers)
    expose = _tokens(report, "expose_headers", values["expose_headers"], "header name")
    entries["expose_headers"] = tuple(expose)

    star = next((e.index for e in origin_entries if e.value == "*"), None)
    if credentials and star is not None:
        report.add(
            "CC008",
            "allow_origins",
            "*",
            "cannot be combined with allow_credentials=True: browsers refuse "
            "'Access-Control-Allow-Origin: *' on credentialed requests, and "
            "reflecting every origin instead would let any site act as your users",
            "list the origins that may send credentials",
            star,
        )
    exposed_star = next((e.index for e in expose if e.value == "*"), None)
    if credentials and exposed_star is not None:
        report.add(
            "CC008",
            "expose_headers",
            "*",
            "means the literal header name '*' on credentialed requests",
            "list the header names to expose, or turn allow_credentials off",
            exposed_star,
        )
    if pna and any_origin:
        report.add(
            "CC008",
            "allow_private_network",
            True,
            "would let every website on the internet reach this private-network "
            "service (allow_origins is '*')",
            "list the origins that may reach it",
        )

    if values["check_websocket_origin"] and any_origin:
        report.add(
            "CC119",
            "check_websocket_origin",
            True,
            "checks nothing: allow_origins is '*', so every page may open a WebSocket",
            "list the origins whose pages may open WebSockets in allow_origins, or turn "
            "check_websocket_origin off",
            severity="warning",
        )
    if values["debug_refusals"]:
        report.add(
            "CC118",
            "debug_refusals",
            True,
            "puts the reason for every refusal in a Corecors-Refusal response header: "
            "it tells anybody who asks how the policy is built",
            "use it while developing only, never in production",
            severity="warning",
        )

    options = Options(
        enabled=values["enabled"],
        allow_origins=tuple(
            dict.fromkeys(
                ["*"] * any_origin + exact + [p.serialise() for p in dict.fromkeys(patterns)]
            )
        ),
        allow_origin_regexes=tuple(rx for rx, _ in regex_domains),
        allow_methods=_dedupe(methods),
        allow_headers=_dedupe(headers, fold=True),
        allow_credentials=credentials,
        expose_headers=_dedupe(expose, fold=True),
        max_age=values["max_age"],
        preflight_passthrough=values["preflight_passthrough"],
        allow_private_network=pna,
        check_websocket_origin=values["check_websocket_origin"],
        debug_refusals=values["debug_refusals"],
        preflight_status=values["preflight_status"],
        preflight_failure_status=values["preflight_failure_status"],
        dangerously_allow_http_origins_with_credentials=allow_http,
        dangerously_allow_any_origin_with_credentials=values[
            "dangerously_allow_any_origin_with_credentials"
        ],
        exact=tuple(dict.fromkeys(exact)),
        patterns=tuple(dict.fromkeys(patterns)),
        any_origin=any_origin,
        regex_domains=tuple(regex_domains),
        entries=entries,
    )
    return options, tuple(report.problems)


def _integer(report: _Report, values: dict[str, Any], name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        hint = (
            f"write {value.strip()}"
            if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20
            else "write a whole number"
        )
        report.add("CC004", name, value, f"is not an integer: it is {_kind(value)}", hint)
        return
    number = operator.index(value)  # a plain int, whatever subclass was given
    if name == "max_age":
        if number < -1:
            report.add(
                "CC004",
                name,
                number,
                "is below -1",
                "write a number of seconds, 0 to send 'Access-Control-Max-Age: 0', "
                "or -1 to send no Access-Control-Max-Age",
            )
            return
        if number > MAX_MAX_AGE:
            report.add(
                "CC004",
                name,
                number
                if number < 10**20
                else f"<an integer of about {int(number.bit_length() * 0.30103) + 1} digits>",
                f"is above {MAX_MAX_AGE}, the largest delta-seconds value, and far above "
                "what browsers honour (Chromium 7200, Firefox 86400)",
                "write 7200 or less",
            )
            return
    elif name == "preflight_status" and not 200 <= number <= 299:
        report.add(
            "CC004",
            name,
            number,
            "is not a 2xx status, and browsers fail a preflight answered with anything else",
            "use 204 (the default) or 200",
        )
        return
    elif name == "preflight_failure_status" and not 400 <= number <= 599:
        report.add("CC004", name, number, "is not a 4xx or 5xx status", "use 403 (the default)")
        return
    values[name] = number


def _compile(report: _Report, item: object, index: int) -> re.Pattern[str] | None:
    option = "allow_origin_regexes"
    if isinstance(item, re.Pattern):
        if isinstance(item.pattern, str):
            return item
        report.add(
            "CC006", option, item, "is a bytes pattern", "compile the regex from a str", index
        )
        return None
    if not isinstance(item, str):
        report.add(
            "CC004",
            option,
            item,
            f"is {_kind(item)}",
            "give each regex as a string or a compiled re.Pattern",
            index,
        )
        return None
    try:
        return re.compile(item)
    except (re.error, OverflowError, RecursionError) as exc:
        report.add(
            "CC006",
            option,
            item,
            f"is not a valid regex ({exc})",
            "correct the regex; corecors never skips an entry it cannot use",
            index,
        )
        return None


def _origin_safe(
    report: _Report,
    origin: Origin,
    given: object,
    index: int,
    credentials: bool,
    pna: bool,
    allow_http: bool,
) -> bool:
    """Report what makes an origin or pattern unsafe in this context."""
    ok = True
    http = origin.scheme == "http" and not is_loopback_host(origin.host)
    if credentials and not allow_http and http:
        report.add(
            "CC008",
            "allow_origins",
            origin.serialise(),
            "is plain http while allow_credentials is on: anybody on the network path "
            "can act as that origin and use your users' credentials",
            "use the https origin, or if you must, set "
            "dangerously_allow_http_origins_with_credentials=True",
            index,
        )
        ok = False
    if origin.any_subdomain and not is_loopback_host(origin.host):
        found = wildcard_problem(
            "allow_origins", given, origin.host, index, credentials=credentials, pna=pna
        )
        if found is not None:
            report.problems.append(found)
            ok = ok and found.severity != "error"
    return ok
