"""Which origins a config allows: exact origins, patterns and regexes, by domain.

An Origin a browser sends is ``scheme://host[:port]``. Exact origins are
one set lookup. Patterns and regexes are indexed by the domain their host
must end with, so an Origin is matched by walking its host's labels from the
right, one dict lookup each (bounded by the longest indexed domain), and
only the patterns and regexes filed under one of those domains are tried:
the cost grows with the Origin's labels, never with the size of the config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._syntax import _LABEL, _PORT, ORIGIN_VALUE, Origin

__all__ = ["MAX_ORIGIN_LENGTH", "OriginMatcher"]

#: The longest Origin value looked at; longer ones are malformed.
MAX_ORIGIN_LENGTH = 2048
#: The longest host name DNS can resolve (RFC 1035: 255 octets on the wire).
MAX_HOST_LENGTH = 253
# No origin this short can have a longer host.
_SHORT_ENOUGH = MAX_HOST_LENGTH + len("://")

# One or more labels, as a subdomain wildcard's '*' stands for them.
_SUBDOMAINS = re.compile(f"(?:{_LABEL}\\.)*{_LABEL}")
_ANY_PORT = re.compile(_PORT)

# What may be filed under one domain: a pattern (scheme, port, subdomains
# required) or a regex (matched whole).
_Pattern = tuple[str, str, bool]


class OriginMatcher:
    """Decides, for a well-formed Origin, whether the config allows it."""

    __slots__ = ("any_host_regexes", "depth", "exact", "hosts", "index", "patterns", "regexes")

    def __init__(
        self,
        exact: Iterable[str],
        patterns: Iterable[Origin],
        regexes: Iterable[tuple[re.Pattern[str], frozenset[str] | None]],
    ) -> None:
        self.exact = frozenset(exact)
        # domain -> patterns whose host is that domain (any port) or below it
        self.patterns: dict[str, list[_Pattern]] = {}
        for p in patterns:
            self.patterns.setdefault(p.host, []).append((p.scheme, p.port, p.any_subdomain))
        # domain -> regexes whose host is that domain or below it
        self.regexes: dict[str, list[re.Pattern[str]]] = {}
        self.any_host_regexes: tuple[re.Pattern[str], ...] = ()
        loose: list[re.Pattern[str]] = []
        for rx, domains in regexes:
            if domains is None:
                loose.append(rx)
                continue
            for domain in domains:
                self.regexes.setdefault(domain, []).append(rx)
        self.any_host_regexes = tuple(loose)
        # The most labels any indexed domain has: deeper suffixes cannot hit.
        keys = {*self.patterns, *self.regexes}
        self.depth = max((k.count(".") + 1 for k in keys), default=0)
        # One lookup per label: domain -> (its patterns, its regexes).
        self.index = {k: (self.patterns.get(k, []), tuple(self.regexes.get(k, ()))) for k in keys}

    def well_formed(self, origin: str) -> bool:
        """Whether *origin* is one origin as a browser serialises it, with a
        host DNS could resolve (253 characters at most): a longer one cannot
        be any site's, and no pattern or regex ever reads it."""
        # decide() never passes a value over MAX_ORIGIN_LENGTH.
        if len(origin) > _SHORT_ENOUGH:
            start = origin.find("://") + 3
            end = origin.find(":", start)
            if (end if end >= 0 else len(origin)) - start > MAX_HOST_LENGTH:
                return False
        return ORIGIN_VALUE.fullmatch(origin) is not None

    def allows(self, origin: str) -> bool:
        """Whether a well-formed *origin* matches a pattern or a regex."""
        if self.any_host_regexes and any(rx.fullmatch(origin) for rx in self.any_host_regexes):
            return True
        if not self.depth or origin == "null":
            return False
        scheme, _, rest = origin.partition("://")
        if rest[:1] == "[":
            end = rest.find("]") + 1
            host, port = rest[:end], rest[end + 1 :]
        else:
            host, _, port = rest.partition(":")
        # The host itself, then each suffix after a dot, from the right.
        index, domain, at = self.index, host, len(host)
        for _ in range(self.depth + 1):
            filed = index.get(domain)
            if filed is not None:
                patterns, regexes = filed
                if patterns and _pattern_hit(patterns, scheme, host, port, domain):
                    return True
                for rx in regexes:
                    if rx.fullmatch(origin):
                        return True
            at = host.rfind(".", 0, at)
            if at <= 0:
                return False
            domain = host[at + 1 :]
        return False


def _pattern_hit(filed: list[_Pattern], scheme: str, host: str, port: str, domain: str) -> bool:
    below = len(host) > len(domain)
    for p_scheme, p_port, subdomains in filed:
        if p_scheme != scheme or subdomains != below:
            continue
        if p_port == "*":
            if port and _ANY_PORT.fullmatch(port) is None:
                continue
        elif port != p_port:
            continue
        # '*.' stands for one or more whole labels before '.domain'.
        if not below or _SUBDOMAINS.fullmatch(host, 0, len(host) - len(domain) - 1):
            return True
    return False
