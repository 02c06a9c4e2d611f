r"""An origin regex's verdict: accepted with its domains, or refused with the fix.

The proofs are in :mod:`._regex_proofs` (where a regex can match, and how
long it can take), on the tree of :mod:`._regex_tree`; this module turns
them into :class:`Problem` values that name an origin that gets in, when one
is found, and offer a safe form.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ._errors import Problem
from ._psl import wildcard_problem
from ._regex_proofs import Automaton, where_it_matches
from ._regex_tree import Unprovable, parse
from ._syntax import is_loopback_host

__all__ = ["RegexInfo", "analyse_regex", "lone_dot", "matches_everything"]

# -- the verdict -------------------------------------------------------------


class RegexInfo(NamedTuple):
    """An accepted regex and the domains its host can end with."""

    pattern: re.Pattern[str]
    #: lower-case domains (and exact hosts) the host is or ends with after
    #: a '.'; None for a regex that matches every origin
    domains: frozenset[str] | None


# Origins no sane regex should match; a regex matching all of them means
# "every origin" and is taken as such (refused with credentials).
_UNRELATED = (
    "https://corecors-probe.invalid",
    "http://10.9.8.7:8080",
    "null",
    "https://a.b.c.corecors-probe.test",
)

# A dotted run of literal host text in a regex's source, for the rewrite.
_DOMAIN_RUN = re.compile(r"(?:[a-z0-9-]+\\?\.)+[a-z]+[a-z0-9-]*")
_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")
_LINEAR_FIX = (
    "give each repetition one way to read any text: '(?:[a-z0-9-]+\\.)*example\\.com' "
    "reads labels one by one; or use the pattern 'https://*.example.com' in allow_origins, "
    "which never backtracks"
)


def matches_everything(rx: re.Pattern[str]) -> bool:
    """Whether *rx* matches origins that have nothing in common."""
    return all(rx.fullmatch(probe) for probe in _UNRELATED)


def lone_dot(source: str) -> int | None:
    """The position of the first unescaped ``.`` outside a character class
    that no quantifier follows: a dot meant literally, most likely."""
    i, in_class = 0, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if source[i + 1 : i + 2] == "^":
                i += 1
            if source[i + 1 : i + 2] == "]":  # a leading ']' is literal
                i += 1
        elif c == "." and source[i + 1 : i + 2] not in ("*", "+", "?", "{"):
            return i
        i += 1
    return None


_EVIL = "corecors-evil"
_EVIL_PLAIN = "corecorsevil"  # for regexes whose labels admit no '-'
_PORT_LITERAL = re.compile(r":\\?([0-9]{1,5})")
_LAST_WORD = re.compile(r"([a-z0-9-]+)[^a-z0-9]*$")
_WORD = re.compile(r"(?<!\\)[a-z0-9][a-z0-9-]*")
_SCHEME_WORDS = frozenset({"http", "https", "ws", "wss", "s"})


def _witness(rx: re.Pattern[str]) -> tuple[str, str] | None:
    """An origin a stranger can own that *rx* matches, for the message."""
    source = rx.pattern
    runs = _DOMAIN_RUN.findall(_CLASS.sub(" ", source))
    lit = runs[-1].replace("\\.", ".") if runs else None
    anybody = "which anybody can register"
    hosts: list[tuple[str, str]] = []
    if lit:
        labels = lit.split(".")
        hosts += [(e + lit, anybody) for e in (_EVIL, _EVIL + "-", _EVIL_PLAIN)]
        hosts += [
            (".".join(labels[:i]) + "x" + ".".join(labels[i:]), anybody)
            for i in range(1, len(labels))
        ]
        elsewhere = "a host under somebody else's domain"
        hosts += [(f"{lit}.{_EVIL}.net", elsewhere), (f"{lit}{_EVIL_PLAIN}", elsewhere)]
        hosts += [(f"{lit}.{_EVIL_PLAIN}", elsewhere), (f"a.{lit}.{_EVIL_PLAIN}", elsewhere)]
    last = _LAST_WORD.search(source)
    for tld in [last.group(1)] if last else []:
        hosts += [(f"{e}.{tld}", anybody) for e in (_EVIL, _EVIL_PLAIN)]
    hosts += [(f"{_EVIL}.net", anybody), (f"{_EVIL}.com", anybody)]
    # A wildcard top-level domain: the same name under a TLD of one's own.
    words = [w for w in _WORD.findall(_CLASS.sub(" ", source)) if w not in _SCHEME_WORDS]
    other = "the same name under another top-level domain, which anybody can register"
    hosts += [(f"{p}{w}.{_EVIL_PLAIN}", other) for w in words for p in ("", "a.", "www.")]
    ports = ["", *(":" + p for p in _PORT_LITERAL.findall(source))]
    for host, why in hosts:
        for scheme in ("https", "http"):
            for port in ports:
                probe = f"{scheme}://{host}{port}"
                if rx.fullmatch(probe):
                    return probe, why
    return None


def _rewrite(source: str) -> str:
    runs = _DOMAIN_RUN.findall(_CLASS.sub(" ", source.lower()))
    domain = runs[-1].replace("\\.", ".") if runs else "example.com"
    domain = domain.removeprefix("www.")
    if domain.count(".") > 1:
        domain = domain.split(".", 1)[1]
    return (
        f"end the host with your own domain written out: the pattern 'https://*.{domain}' "
        f"in allow_origins, or the regex 'https://(?:[a-z0-9-]+\\.)*{re.escape(domain)}'"
    )


def analyse_regex(
    option: str,
    index: int | None,
    rx: re.Pattern[str],
    *,
    credentials: bool,
    allow_http: bool,
    private_network: bool,
    dangerously_any: bool,
) -> tuple[RegexInfo | None, list[Problem]]:
    """Every problem with *rx*; its RegexInfo when it is accepted."""
    source = rx.pattern
    problems: list[Problem] = []

    def refuse(problem: str, fix: str, code: str = "CC006") -> None:
        problems.append(Problem(code, "error", option, source, problem, fix, index))

    try:
        tree = parse(rx)
        automaton = Automaton(tree)
        exponential = automaton.exponential()
        polynomial = not exponential and automaton.polynomial()
        endings = where_it_matches(tree)
    except (Unprovable, RecursionError) as why:
        what = str(why) if isinstance(why, Unprovable) else "nests too deeply"
        refuse(
            f"{what}, which corecors cannot prove safe: neither what it matches "
            "nor that it matches in linear time",
            "write it with literal text, character classes, groups, '|' and repetitions only",
        )
        return None, problems
    if exponential or polynomial:
        grows = "exponentially" if exponential else "polynomially"
        refuse(
            f"can read the same text in more and more ways, so its matching time grows "
            f"{grows} with the Origin's length and one crafted Origin can pin a worker",
            _LINEAR_FIX,
        )
    if matches_everything(rx):
        if problems:
            return None, problems
        return _everything(option, index, rx, credentials, private_network, dangerously_any)

    if rx.fullmatch("null"):
        refuse(
            "matches the opaque origin 'null', which any sandboxed iframe or local file sends",
            "make the regex match only real origins such as 'https://app\\.example\\.com'",
        )
        return None, problems
    if any(e.host is None for e in endings):
        dot = lone_dot(source)
        hit = _witness(rx)
        refuse(
            "can match hosts outside any domain it names: its host does not end with a "
            "literal domain name"
            + (
                f"; it also matches {hit[0]!r}, {hit[1]}"
                if hit
                else ", so anybody can register a host it matches"
            )
            + (
                f" (an unescaped '.' at position {dot} matches any character)"
                if dot is not None
                else ""
            ),
            ("escape it as '\\.', or " if dot is not None else "") + _rewrite(source),
        )
    for e in endings:
        if e.host is not None and not e.exact and not is_loopback_host(e.host):
            found = wildcard_problem(
                option, source, e.host, index, credentials=credentials, pna=private_network
            )
            if found is not None:
                problems.append(found)
    hosts = frozenset(e.host for e in endings if e.host is not None)
    if not endings:
        refuse(
            "can match no Origin a browser sends (browsers send the scheme and host in "
            "lower case, and nothing after the port)",
            "write the origin as a browser sends it, such as 'https://app\\.example\\.com'",
        )
    if credentials and not allow_http:
        http = sorted(
            e.host
            for e in endings
            if e.host is not None and e.http and not is_loopback_host(e.host)
        )
        if http:
            e = next(e for e in endings if e.host == http[0])
            probe = f"http://{http[0]}" if e.exact else f"http://a.{http[0]}"
            what = (
                f"the plain-http origin {probe!r}"
                if rx.fullmatch(probe)
                else f"plain-http origins under {http[0]!r}"
            )
            refuse(
                f"matches {what} while allow_credentials is on; anybody on the network "
                "path can act as such an origin",
                "match https only, or set dangerously_allow_http_origins_with_credentials=True",
                code="CC008",
            )
    if any(p.severity == "error" for p in problems):
        return None, problems
    return RegexInfo(rx, hosts), problems


def _everything(
    option: str,
    index: int | None,
    rx: re.Pattern[str],
    credentials: bool,
    private_network: bool,
    dangerously_any: bool,
) -> tuple[RegexInfo | None, list[Problem]]:
    if credentials and not dangerously_any:
        return None, [
            Problem(
                "CC006",
                "error",
                option,
                rx.pattern,
                "matches every origin while allow_credentials is on, so any "
                "website could act as your users",
                "list the origins that may send credentials; if you really mean "
                "it, set dangerously_allow_any_origin_with_credentials=True",
                index,
            )
        ]
    if private_network:
        return None, [
            Problem(
                "CC008",
                "error",
                "allow_private_network",
                True,
                f"would let every website reach this service (the regex "
                f"{rx.pattern!r} matches every origin)",
                "list the origins that may reach it",
            )
        ]
    return RegexInfo(rx, None), []
