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

from ._syntax import _PORT, LABELS_UNBOUNDED, MAX_LABEL_LENGTH, ORIGIN_VALUE, Origin

__all__ = ["MAX_ORIGIN_LENGTH", "OriginMatcher"]

#: The longest Origin value looked at; longer ones are malformed.
MAX_ORIGIN_LENGTH = 2048
#: The longest host name DNS can resolve (RFC 1035: 255 octets on the wire).
MAX_HOST_LENGTH = 253
# No origin this short can have a longer host.
_SHORT_ENOUGH = MAX_HOST_LENGTH + len("://")

MALFORMED = "origin_malformed"
NOT_ALLOWED = "origin_not_allowed"
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

    def verdict(self, origin: str) -> str | None:
        """None if the config's patterns or regexes allow *origin*, else
        ``"origin_malformed"`` or ``"origin_not_allowed"``.

        A well-formed origin is one origin as a browser serialises it, with a
        host DNS could resolve (253 characters at most): a longer one cannot
        be any site's, and no pattern or regex ever reads it. decide() never
        passes a value over MAX_ORIGIN_LENGTH.
        """
        if len(origin) > _SHORT_ENOUGH:
            start = origin.find("://") + 3
            end = origin.find(":", start)
            if (end if end >= 0 else len(origin)) - start > MAX_HOST_LENGTH:
                return MALFORMED
        form = ORIGIN_VALUE.fullmatch(origin)
        if form is None:
            return MALFORMED
        if self.any_host_regexes and any(rx.fullmatch(origin) for rx in self.any_host_regexes):
            return None
        scheme, host, port = form.groups()
        if not self.depth or host is None:  # nothing indexed, or "null"
            return NOT_ALLOWED
        # The suffixes of the host that can be indexed domains (at most
        # self.depth labels), longest first: the most specific domain is
        # where an allowed origin's pattern is usually filed, so it is
        # usually the first lookup. One rsplit finds them all.
        index = self.index
        labels = host.rsplit(".", self.depth)
        last = len(labels) - 1
        # With more labels than any domain, the first part is never a
        # domain's: start after it. Else start with the whole host.
        start = len(labels[0]) + 1 if last == self.depth else 0
        at = 1 if start else 0
        while True:
            filed = index.get(host[start:] if start else host)
            if filed is not None:
                patterns, regexes = filed
                if patterns and _pattern_hit(patterns, scheme, host, port or "", start):
                    return None
                for rx in regexes:
                    if rx.fullmatch(origin):
                        return None
            if at >= last:
                return NOT_ALLOWED
            start += len(labels[at]) + 1
            at += 1


def _pattern_hit(filed: list[_Pattern], scheme: str, host: str, port: str, start: int) -> bool:
    """Whether a pattern filed under host[start:] allows the origin's parts."""
    below = start > 0
    for p_scheme, p_port, subdomains in filed:
        if p_scheme != scheme or subdomains != below:
            continue
        if p_port == "*":
            if port and _ANY_PORT.fullmatch(port) is None:
                continue
        elif port != p_port:
            continue
        # '*.' stands for one or more whole labels before '.domain'.
        if not below or subdomains_ok(host, start - 1):
            return True
    return False


def subdomains_ok(host: str, end: int) -> bool:
    """Whether host[:end] is one or more DNS labels, as '*.' stands for."""
    if host[:end].isalnum():  # one label of letters and digits (hosts are ASCII)
        return end <= MAX_LABEL_LENGTH
    if LABELS_UNBOUNDED.fullmatch(host, 0, end) is None:
        return False
    return end <= MAX_LABEL_LENGTH or all(
        len(label) <= MAX_LABEL_LENGTH for label in host[:end].split(".")
    )
