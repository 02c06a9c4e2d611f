"""Checks that a configured origin regex does not let strangers in.

A regex is matched against the whole Origin value (``fullmatch``), so a
missing ``^`` or ``$`` is harmless here. What remains dangerous is a regex
that matches hosts an attacker can register: an unescaped ``.``, a wildcard
that runs straight into the domain name (``.*example\\.com``), or a domain
followed by more host (``example\\.com.*``). corecors finds these by trying
the regex on attacker-made origins built from the regex's own domain name:
if one of them matches, the regex is refused with the origin that got in.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, NamedTuple

from ._errors import ConfigError, Problem
from ._psl import public_suffix
from ._syntax import is_loopback_host

# A dotted run of literal host text in a regex's source, escaped or not.
_DOMAIN_RUN = re.compile(r"(?:[A-Za-z0-9_-]+(?:\\\.|\.))+[A-Za-z0-9_-]+")
_LAST_WORD = re.compile(r"([A-Za-z0-9-]+)[^A-Za-z0-9]*$")
_PORT_LITERAL = re.compile(r":(?:\\?)([0-9]{1,5})")

# Literal words of a regex (character classes removed first), for probes.
_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")
_WORD = re.compile(r"(?<!\\)[A-Za-z0-9][A-Za-z0-9-]*")
_SCHEME_WORDS = frozenset({"http", "https", "ws", "wss", "s"})

_EVIL = "corecors-evil"
_EVIL_PLAIN = "corecorsevil"  # for regexes whose labels admit no '-'

# Origins no sane regex should match; a regex matching all of them matches
# everything.
_UNRELATED = (
    "https://corecors-probe.invalid",
    "http://10.9.8.7:8080",
    "null",
    "https://a.b.c.corecors-probe.test",
)


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


# The regex parser behind re.compile; private, but the same in every CPython
# that corecors supports. Imported by name so that type checkers, which have
# no stubs for it, see Any.
_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_REPEATS = frozenset(
    getattr(_constants, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_constants, name)
)


def nested_repeat(source: str) -> bool:
    """Whether *source* repeats a repetition with nothing fixed between the
    turns, as in ``(a+)+`` or ``(\\w+\\.?)+``: such a regex can be made to
    backtrack exponentially by a short, crafted Origin."""
    return _risky(_parser.parse(source).data)


def _risky(items: Any) -> bool:
    for op, av in items:
        if op in _REPEATS:
            _low, high, body = av
            if high > 1 and _only_repeats(body.data):
                return True
            if _risky(body.data):
                return True
        elif op is _constants.SUBPATTERN:
            if _risky(av[-1].data):
                return True
        elif op is _constants.BRANCH and any(_risky(b.data) for b in av[1]):
            return True
    return False


def _only_repeats(items: Any) -> bool:
    """A body whose only required part is an unbounded repetition."""
    found = False
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if high > 1:
                found = True
            elif low > 0 and not _only_repeats(body.data):
                return False
        elif op is _constants.SUBPATTERN:
            inner = av[-1].data
            if _only_repeats(inner):
                found = True
            elif not all(o in _REPEATS and a[0] == 0 for o, a in inner):
                return False
        elif op is _constants.BRANCH and any(_only_repeats(b.data) for b in av[1]):
            found = True
        else:
            return False
    return found


def matches_everything(rx: re.Pattern[str]) -> bool:
    return all(rx.fullmatch(probe) for probe in _UNRELATED)


def _domain(source: str) -> str | None:
    # Character classes hold no domain name ('[a-z0-9.-]' would look like one).
    runs = _DOMAIN_RUN.findall(_CLASS.sub(" ", source))
    return runs[-1] if runs else None


def check_regex(
    option: str,
    rx: re.Pattern[str],
    *,
    credentials: bool,
    allow_http: bool,
) -> None:
    """Raise :class:`ConfigError` if *rx* admits an origin a stranger can own."""
    source = rx.pattern
    if nested_repeat(source):
        raise ConfigError.one(
            "CC006",
            option,
            source,
            "repeats a repetition with nothing fixed between the turns, so a short, "
            "crafted Origin can keep the regex engine busy for minutes",
            "repeat once, or put a literal between the turns, as in "
            "'(?:[a-z0-9-]+\\.)*example\\.com'",
        )
    ports = [""] + [":" + p for p in _PORT_LITERAL.findall(source)]

    def first_match(hosts: list[str], schemes: tuple[str, ...] = ("https", "http")) -> str | None:
        for host in hosts:
            for scheme in schemes:
                for port in ports:
                    probe = f"{scheme}://{host}{port}"
                    if rx.fullmatch(probe):
                        return probe
        return None

    if rx.fullmatch("null"):
        raise ConfigError.one(
            "CC006",
            option,
            source,
            "matches the opaque origin 'null', which any sandboxed iframe or local file sends",
            "make the regex match only real origins such as 'https://app\\.example\\.com'",
        )
    run = _domain(source)
    if run is not None:
        literal = run.replace("\\.", ".")
        labels = literal.split(".")
        # A wildcard that runs straight into the domain: ".*example\.com".
        hit = first_match([_EVIL + literal, _EVIL + "-" + literal, _EVIL_PLAIN + literal])
        if hit:
            raise ConfigError.one(
                "CC006",
                option,
                source,
                f"also matches {hit!r}, a name anybody can register",
                f"end the wildcard at a dot, as in '(?:[a-z0-9-]+\\.)*{re.escape(literal)}', "
                f"or use the pattern 'https://*.{literal}' in allow_origins",
            )
        # An unescaped dot: "app.example.com" matches "appxexample.com".
        for i in range(1, len(labels)):
            mangled = ".".join(labels[:i]) + "x" + ".".join(labels[i:])
            hit = first_match([mangled, "a." + mangled])
            if hit:
                raise ConfigError.one(
                    "CC006",
                    option,
                    source,
                    f"has an unescaped '.', which matches any character: it also matches {hit!r}",
                    f"escape every dot, as in '{re.escape(literal)}'",
                )
        # A domain under which anybody can register a name: ".*\.github\.io".
        shared = [s for s in (literal, ".".join(labels[-2:])) if "." in s and public_suffix(s) == s]
        hit = first_match([f"{e}.{s}" for s in shared for e in (_EVIL, _EVIL_PLAIN)])
        if hit:
            raise ConfigError.one(
                "CC006",
                option,
                source,
                f"also matches {hit!r}: anybody can register a name under {shared[0]!r}",
                f"name your own site in full, such as 'https://{re.escape('myapp.' + shared[0])}'",
            )
        # More host after the domain: "example\.com.*".
        hit = first_match(
            [
                f"{literal}.{_EVIL}.net",
                f"a.{literal}.{_EVIL}.net",
                f"{literal}{_EVIL}.net",
                f"{literal}{_EVIL_PLAIN}",
                f"{literal}.{_EVIL_PLAIN}",
                f"a.{literal}.{_EVIL_PLAIN}",
            ]
        )
        if hit:
            raise ConfigError.one(
                "CC006",
                option,
                source,
                f"also matches {hit!r}, a host under somebody else's domain",
                f"end the host right after '{re.escape(literal)}'; corecors already "
                "matches the whole value, so no '$' is needed, but nothing may follow the "
                "domain except a port such as '(?::[0-9]+)?'",
            )
        if credentials and not allow_http and not is_loopback_host(literal):
            hit = first_match([literal, "a." + literal, "www." + literal], ("http",))
            if hit:
                raise ConfigError.one(
                    "CC006",
                    option,
                    source,
                    f"matches the plain-http origin {hit!r} while allow_credentials is on; "
                    "anybody on the network path can act as that origin",
                    "match https only, or set dangerously_allow_http_origins_with_credentials=True",
                )
    # Strangers' names under the top-level domain the regex ends with
    # (".*\.com"), and names that have nothing to do with it.
    last = _LAST_WORD.search(source)
    tlds = [last.group(1)] if last else []
    hit = first_match(
        [f"{e}.{t}" for t in tlds for e in (_EVIL, _EVIL_PLAIN)] + [f"{_EVIL}.net", f"{_EVIL}.com"]
    )
    if hit:
        raise ConfigError.one(
            "CC006",
            option,
            source,
            f"also matches {hit!r}, an origin anybody can register",
            "name your own domain in full, as in 'https://(?:[a-z0-9-]+\\.)*example\\.com'",
        )
    # A wildcard top-level domain: "[a-z]+\.example\.[a-z]+" lets in the same
    # name under any other TLD.
    words = [w for w in _WORD.findall(_CLASS.sub(" ", source)) if w not in _SCHEME_WORDS]
    hit = first_match([f"{p}{w}.{_EVIL_PLAIN}" for w in words for p in ("", "a.", "www.")])
    if hit:
        raise ConfigError.one(
            "CC006",
            option,
            source,
            f"also matches {hit!r}: its top-level domain is a wildcard, and anybody can "
            "register the same name under another one",
            "write the top-level domain out, as in 'https://(?:[a-z0-9-]+\\.)*example\\.com'",
        )
    # Last, any other dot meant literally: '(app|www).example\\.com'.
    dot = lone_dot(source)
    if dot is not None:
        raise ConfigError.one(
            "CC006",
            option,
            source,
            f"has an unescaped '.' at position {dot}, which matches any character, so "
            "the regex admits more hosts than it names (an 'x' in place of the dot, for one)",
            "escape it as '\\.'",
        )


class RegexInfo(NamedTuple):
    """An accepted regex and the domains its host can end with."""

    pattern: re.Pattern[str]
    #: lower-case domains the host is or ends with after a '.'; None: any host
    domains: frozenset[str] | None


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
    if matches_everything(rx):
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
    try:
        check_regex(option, rx, credentials=credentials, allow_http=allow_http)
    except ConfigError as exc:
        return None, [
            Problem("CC006", "error", option, p.value, p.problem, p.fix, index)
            for p in exc.problems
        ]
    return RegexInfo(rx, literal_domain(rx)), []


def literal_domain(rx: re.Pattern[str]) -> frozenset[str] | None:
    r"""The domain every host *rx* matches is or ends with after a '.', read
    from the literal text the parsed regex ends with; None when that cannot
    be read off (then the regex is tried for every Origin, which is never
    wrong, only slower).

    >>> sorted(literal_domain(re.compile(r"https://[a-z0-9-]+\.example\.com(?::[0-9]+)?")))
    ['example.com']
    >>> print(literal_domain(re.compile(r"https://(?:a|b)\.example\.(?:com|org)")))
    None
    """
    if rx.flags & re.IGNORECASE:
        return None
    items = list(_parser.parse(rx.pattern).data)
    literal = _constants.LITERAL
    while items and items[-1][0] is _constants.AT:  # a '$' (matching is whole anyway)
        items.pop()
    # An optional port part may follow the host: a group starting with ':'.
    if items and items[-1][0] in _REPEATS:
        low, _high, body = items[-1][1]
        first = _first_literal(body.data)
        if low == 0 and first == ":":
            items.pop()
    tail: list[str] = []
    while items and items[-1][0] is literal:
        tail.append(chr(items.pop()[1]))
    text = "".join(reversed(tail))
    _scheme, sep, host = text.rpartition("://")
    host = host.split(":", 1)[0]  # a literal port
    if not sep and _labels_after_scheme(items):
        # 'scheme://(?:label\.)*domain': the host is the domain or below it.
        sep = "://"
    if not sep:
        # Something not literal comes first: only what follows a '.' is known.
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    host = host.lower()
    if not host or ("." not in host.strip(".") and host != "localhost"):
        return None
    return frozenset({host})


def _labels_after_scheme(items: list[Any]) -> bool:
    """Whether *items* end with '://' and then a repetition whose body ends
    with a literal '.' (such as '(?:[a-z0-9-]+\\.)*')."""
    if len(items) < 4 or items[-1][0] not in _REPEATS:
        return False
    body = list(items[-1][1][2].data)
    while body and body[-1][0] is _constants.SUBPATTERN:
        body = list(body[-1][1][-1].data)
    ends_with_dot = bool(body) and body[-1] == (_constants.LITERAL, ord("."))
    before = "".join(chr(av) if op is _constants.LITERAL else "\0" for op, av in items[-4:-1])
    return ends_with_dot and before == "://"


def _first_literal(items: Any) -> str | None:
    op: Any = items[0][0] if items else None
    av: Any = items[0][1] if items else None
    if op is _constants.LITERAL:
        return chr(av)
    if op is _constants.SUBPATTERN:
        return _first_literal(av[-1].data)
    return None
