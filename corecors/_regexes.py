r"""What an origin regex may match, proved on the parsed regex.

An accepted regex is matched against the whole Origin value (``fullmatch``),
and only against values already known to be serialised origins:
``scheme://host[:port]``, the host in lower case and made of
``[a-z0-9_.~-]`` (or a bracketed IPv6 address), the port all digits. Both
facts make the proofs below short.

**Where it can match.** The regex is parsed (by the same parser
``re.compile`` uses) into a small tree of character sets, sequences,
alternatives and repetitions. Each way the tree can end is read from the
right: an optional port part (``:`` then digits), then the longest run of
single characters, ``T``. A regex is accepted only if, on every way it can
end, one of these holds:

- ``T`` holds ``://``: the host is the literal text after it, exactly;
- what comes before ``T`` always ends with ``.`` or with ``://``: every host
  is ``T`` or ends with ``.T``;
- ``T`` holds a ``.``: every host ends with the text after its first dot.

That text (the regex's *domain*) must be a domain name whose last label has
a letter. Since a serialised host holds no ``:`` or ``/``, no other reading
of the Origin is possible. The domain then goes through the same Public
Suffix List check as a pattern's, and the domains index the regex (see
:mod:`._origins`): a regex is only ever tried on Origins under its domain.

**How long it can take.** Python's ``re`` backtracks, and a backtracking
matcher takes super-linear time exactly when the regex's automaton is
*infinitely ambiguous*: some text can be read along unboundedly many paths.
The regex is turned into its position (Glushkov) automaton, keeping a
transition once for each way the tree produces it (so ``(a+)+`` has two
``a``-loops, as the backtracker does), over the characters an Origin can
hold. It is refused if it has

- exponential ambiguity: a state with two different loops on one text
  (``(?:www\.|[a-z]+\.)*``), found as a strongly connected component of the
  pair automaton holding both a pair of equal states and a pair of different
  ones; or
- polynomial ambiguity: states ``p != q`` with loops on ``p`` and ``q`` and a
  path from ``p`` to ``q``, all on one text (``[a-z]*[a-z]*``), found by a
  search in the triple automaton.

Otherwise every path the backtracker explores is one of boundedly many per
input position, and a match costs time linear in the Origin's length. Every
state counts, not only those that can reach the end, since a backtracker
explores failing paths too. Bounded repetitions wider than a few turns are
analysed as unbounded, which can only add paths. Lookarounds, back-references
and conditionals are refused: the proof does not cover them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from ._errors import Problem
from ._psl import public_suffix, wildcard_problem
from ._syntax import ORIGIN_VALUE, is_loopback_host

__all__ = ["RegexInfo", "analyse_regex", "lone_dot", "matches_everything"]

# The regex parser behind re.compile; private, but the same in every CPython
# that corecors supports. Imported by name so that type checkers, which have
# no stubs for it, see Any.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: Every character a serialised origin can hold; a regex is only ever run
#: on text made of these.
ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-_~:/[]")
_DIGITS = frozenset("0123456789")
_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.~-")

#: Repetitions up to this many turns are analysed exactly; wider ones as
#: unbounded (which only adds paths, so the analysis stays on the safe side).
_EXACT_TURNS = 4
#: Beyond this many positions or ways to end, a regex is refused as too big
#: to prove (an origin regex is a few dozen characters).
_MAX_POSITIONS = 400
_MAX_ENDINGS = 256

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | (
    {_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set()
)
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
}
_UNSUPPORTED = {
    _c.ASSERT: "a lookaround",
    _c.ASSERT_NOT: "a lookaround",
    _c.GROUPREF: "a back-reference",
    _c.GROUPREF_EXISTS: "a conditional group",
}
_FLAGS = re.IGNORECASE | re.ASCII | re.DOTALL | re.UNICODE


_T = TypeVar("_T")


class Unprovable(Exception):
    """The regex uses something the proofs do not cover."""


# -- the tree ----------------------------------------------------------------


@dataclass(eq=False)
class Chars:
    """One character from a set (a leaf: one position of the automaton)."""

    chars: frozenset[str]


@dataclass(eq=False)
class Seq:
    items: list[Node]


@dataclass(eq=False)
class Alt:
    alts: list[Node]


@dataclass(eq=False)
class Rep:
    node: Node
    low: int
    high: int | None  # None: unbounded


Node = Chars | Seq | Alt | Rep


@lru_cache(maxsize=2048)
def _char_set(source: str, flags: int) -> frozenset[str]:
    # The real engine decides, so case folding and categories are exact.
    rx = re.compile(source, flags)
    return frozenset(ch for ch in ALPHABET if rx.fullmatch(ch))


def _esc(code: int) -> str:
    return f"\\U{code:08x}"


def _tree(items: Any, flags: int) -> Seq:
    out: list[Node] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(Chars(_char_set(_esc(av), flags)))
        elif op is _c.NOT_LITERAL:
            out.append(Chars(_char_set(f"[^{_esc(av)}]", flags)))
        elif op is _c.ANY:
            out.append(Chars(_char_set(".", flags)))
        elif op is _c.IN:
            out.append(Chars(_char_set(_class_source(av), flags)))
        elif op is _c.SUBPATTERN:
            _group, add, remove, body = av
            out.append(_tree(body.data, (flags | add) & ~remove))
        elif op is _c.BRANCH:
            out.append(Alt([_tree(b.data, flags) for b in av[1]]))
        elif op in _REPEATS:
            low, high, body = av
            out.append(Rep(_tree(body.data, flags), low, None if high == _c.MAXREPEAT else high))
        elif op is _c.ATOMIC_GROUP:  # no more paths than the plain group
            out.append(_tree(av.data, flags))
        elif op is _c.AT:  # zero width; taken as always true, which only adds paths
            continue
        else:
            raise Unprovable("uses " + _UNSUPPORTED.get(op, str(op).lower()))
    return Seq(out)


def _class_source(items: Any) -> str:
    parts: list[str] = []
    for op, av in items:
        if op is _c.NEGATE:
            parts.insert(0, "^")
        elif op is _c.LITERAL:
            parts.append(_esc(av))
        elif op is _c.RANGE:
            parts.append(f"{_esc(av[0])}-{_esc(av[1])}")
        else:  # CATEGORY
            parts.append(_CATEGORIES[av])
    return "[" + "".join(parts) + "]"


def parse(rx: re.Pattern[str]) -> Seq:
    """The tree of *rx*; raises :class:`Unprovable`."""
    return _tree(_parser.parse(rx.pattern, rx.flags).data, rx.flags & _FLAGS)


# -- where it can match --------------------------------------------------------


def _single(node: Node) -> str | None:
    if isinstance(node, Chars) and len(node.chars) == 1:
        return next(iter(node.chars))
    return None


def _is_port(items: list[Node]) -> bool:
    """Whether every text *items* can produce is empty or ':' then digits."""
    flat = _flatten(items)
    if len(flat) == 1 and isinstance(flat[0], Alt):
        return all(_is_port([a]) for a in flat[0].alts)
    if len(flat) == 1 and isinstance(flat[0], Rep) and flat[0].high == 1:
        return _is_port([flat[0].node])
    if not flat:
        return True
    return _single(flat[0]) == ":" and all(_digits_only(n) for n in flat[1:])


def _digits_only(node: Node) -> bool:
    if isinstance(node, Chars):
        return node.chars <= _DIGITS
    if isinstance(node, Rep):
        return _digits_only(node.node)
    children = node.items if isinstance(node, Seq) else node.alts
    return all(_digits_only(n) for n in children)


def _flatten(items: list[Node]) -> list[Node]:
    out: list[Node] = []
    for n in items:
        if isinstance(n, Seq):
            out.extend(_flatten(n.items))
        elif isinstance(n, Rep) and n.low == n.high == 1:
            out.extend(_flatten([n.node]))
        elif isinstance(n, Rep) and n.high == 0:
            continue
        else:
            out.append(n)
    return out


def _endings(items: list[Node], tail: str = "") -> Iterator[tuple[list[Node], str]]:
    """Each way *items* can end: (what comes before, the literal text ``T``)."""
    items = _flatten(items)
    if not tail:
        # An optional port part comes last: drop the longest such suffix.
        for k in range(len(items)):
            if _is_port(items[k:]):
                items = items[:k]
                break
    while items:
        last = items[-1]
        if isinstance(last, Alt):
            for alt in last.alts:
                yield from _endings([*items[:-1], alt], tail)
            return
        if isinstance(last, Rep) and last.low == 0 and not tail:
            # '(?:/)?' at the end: no turn, or turns whose last one ends it.
            yield from _endings(items[:-1], tail)
            more = Rep(last.node, 0, None if last.high is None else last.high - 1)
            yield from _endings([*items[:-1], more, last.node], "\0")
            return
        ch = _single(last)
        if ch is None:
            if isinstance(last, Chars) and not last.chars:
                return  # can never match anything: no ending at all
            break
        tail = ch + tail
        items = items[:-1]
    yield items, tail.removesuffix("\0")


def _at_host_start_or_dot(items: list[Node]) -> bool:
    """Whether every text *items* can produce ends with '.' or '://'."""
    items = _flatten(items)
    if not items:
        return False
    *rest, last = items
    if isinstance(last, Alt):
        return all(_at_host_start_or_dot([*rest, a]) for a in last.alts)
    if isinstance(last, Rep):
        # The last turn ends the text; with no turn at all, what is before does.
        turns = last.high != 0 and _at_host_start_or_dot([*rest, last.node])
        return ((last.high != 0 and last.low > 0) or _at_host_start_or_dot(rest)) and (
            last.high == 0 or turns
        )
    ch = _single(last)
    if ch == ".":
        return True
    return ch == "/" and [_single(n) for n in items[-3:]] == [":", "/", "/"]


class Ending(NamedTuple):
    """One way a regex can end, and what that says about the host."""

    #: the domain the host is or ends with after a '.', or the exact host;
    #: None when the host's end is not literal
    host: str | None
    exact: bool
    #: whether this way can match a plain-http origin
    http: bool


def where_it_matches(tree: Seq) -> list[Ending]:
    """Each way the regex can end that can match an origin, with the host
    it leaves possible."""
    out: list[Ending] = []
    for n, (before, text) in enumerate(_endings(tree.items)):
        if n >= _MAX_ENDINGS:
            raise Unprovable("has too many alternatives to check")
        if not before and "://" not in text:
            continue  # no scheme can come first: it matches no origin at all
        http = Automaton(Seq([*before, *(Chars(frozenset(c)) for c in text)]))
        http_ok = http.can_start_with("http://")
        if "/" in text:
            # In an origin, '/' occurs only in '://', right before the host.
            host = text.rsplit("/", 1)[1]
            if ORIGIN_VALUE.fullmatch("https://" + host) is None:
                continue  # never an origin: it cannot match one
            host = host[: host.find("]") + 1] if host.startswith("[") else host.split(":")[0]
            out.append(Ending(host, True, http_ok))
            continue
        if not set(text) <= _HOST:
            continue  # ':', '+' or brackets before the host's end: never an origin
        runs_in = False
        if not _at_host_start_or_dot(before):
            runs_in = not text.startswith(".")
            text = text.split(".", 1)[1] if "." in text else ""
        domain = text.strip(".")
        last = domain.rsplit(".", 1)[-1]
        if not any(c.isalpha() for c in last) or (
            # '.*example\\.com': the wildcard runs into 'example', so the
            # host only ends with '.com'.
            runs_in and public_suffix(domain) == domain
        ):
            out.append(Ending(None, False, http_ok))
            continue
        out.append(Ending(domain, False, http_ok))
    return out


# -- how long it can take ----------------------------------------------------


class Automaton:
    """The position automaton of a tree, with transition multiplicities."""

    def __init__(self, tree: Node) -> None:
        self.chars: list[frozenset[str]] = [frozenset()]  # state 0: the start
        self.edges: dict[int, dict[int, int]] = {0: {}}
        nullable, first, last = self._build(tree)
        for q in first:
            self._link(0, q)
        self.final = set(last) | ({0} if nullable else set())

    def _new(self, chars: frozenset[str]) -> int:
        if len(self.chars) >= _MAX_POSITIONS:
            raise Unprovable("is too big to check")
        self.chars.append(chars)
        self.edges[len(self.chars) - 1] = {}
        return len(self.chars) - 1

    def _link(self, p: int, q: int) -> None:
        if self.chars[q]:
            out = self.edges[p]
            out[q] = out.get(q, 0) + 1

    def _build(self, node: Node) -> tuple[bool, list[int], list[int]]:
        if isinstance(node, Chars):
            p = self._new(node.chars)
            return False, [p], [p]
        if isinstance(node, Alt):
            parts = [self._build(a) for a in node.alts]
            return (
                any(n for n, _, _ in parts),
                [q for _, f, _ in parts for q in f],
                [q for _, _, la in parts for q in la],
            )
        if isinstance(node, Seq):
            return self._sequence([lambda n=n: self._build(n) for n in node.items])
        low, high = node.low, node.high
        if high is not None and high <= _EXACT_TURNS:
            # a{2,3} is a a a?: each turn a fresh copy.
            turns = [lambda: self._build(node.node)] * low
            turns += [lambda: self._optional(node.node)] * (high - low)
            return self._sequence(turns)
        turns = [lambda: self._build(node.node)] * min(low, 1)
        return self._sequence([*turns, lambda: self._star(node.node)])

    def _optional(self, node: Node) -> tuple[bool, list[int], list[int]]:
        _, first, last = self._build(node)
        return True, first, last

    def _star(self, node: Node) -> tuple[bool, list[int], list[int]]:
        _, first, last = self._build(node)
        for p in last:
            for q in first:
                self._link(p, q)
        return True, first, last

    def _sequence(self, parts: list[Any]) -> tuple[bool, list[int], list[int]]:
        nullable, first, last = True, list[int](), list[int]()
        for make in parts:
            n, f, la = make()
            for p in last:
                for q in f:
                    self._link(p, q)
            if nullable:
                first = first + f
            last = la if not n else last + la
            nullable = nullable and n
        return nullable, first, last

    def reachable(self) -> list[int]:
        seen, todo = {0}, [0]
        while todo:
            for q in self.edges[todo.pop()]:
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return sorted(seen)

    def can_start_with(self, prefix: str) -> bool:
        """Whether some text the automaton reads to the end starts with *prefix*."""
        states = {0}
        for ch in prefix:
            states = {q for p in states for q in self.edges[p] if ch in self.chars[q]}
        seen, frontier = set(states), states
        while frontier:
            if frontier & self.final:
                return True
            frontier = {q for p in frontier for q in self.edges[p]} - seen
            seen |= frontier
        return False

    # Two steps read the same character when their sets meet.
    def _pairs(self, p: int, q: int) -> Iterator[tuple[int, int, bool]]:
        """Steps from (p, q) on one character; the flag marks two different
        transitions between the same two states."""
        ep, eq = self.edges[p], self.edges[q]
        for p2, mult in ep.items():
            cp = self.chars[p2]
            for q2 in eq:
                if cp & self.chars[q2]:
                    yield p2, q2, False
                    if p == q and p2 == q2 and mult > 1:
                        yield p2, q2, True

    def exponential(self) -> bool:
        """Whether some state has two different loops reading one text."""
        starts = [(q, q) for q in self.reachable()]
        graph: dict[tuple[int, int], list[tuple[tuple[int, int], bool]]] = {}
        todo = list(starts)
        while todo:
            node = todo.pop()
            if node in graph:
                continue
            graph[node] = [((a, b), d) for a, b, d in self._pairs(*node)]
            todo.extend(n for n, _ in graph[node] if n not in graph)
        for comp in _components(graph, lambda v: [n for n, _ in graph[v]]):
            members = set(comp)
            if not any(a == b for a, b in comp):
                continue
            if any(a != b for a, b in comp):
                return True
            if any(d and n in members for v in comp for n, d in graph[v]):
                return True
        return False

    def polynomial(self) -> bool:
        """Whether states p != q have loops and a path p -> q on one text."""
        single = {p: [q for q, _ in self.edges[p].items()] for p in self.edges}
        comps = _components(single, single.__getitem__)
        comp_of = {v: i for i, c in enumerate(comps) for v in c}
        looping = {v for c in comps for v in c if len(c) > 1 or v in single[v]}
        reach = {p: self._forward(p) for p in looping}
        for p in looping:
            for q in looping:
                if p == q or q not in reach[p]:
                    continue
                if self._triple(p, q, comp_of):
                    return True
        return False

    def _forward(self, p: int) -> set[int]:
        seen, todo = {p}, [p]
        while todo:
            for q in self.edges[todo.pop()]:
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    def _triple(self, p: int, q: int, comp_of: dict[int, int]) -> bool:
        # (a, b, c) runs p->p, p->q and q->q side by side on one text.
        cp, cq = comp_of[p], comp_of[q]
        start, goal = (p, p, q), (p, q, q)
        seen, todo = {start}, [start]
        while todo:
            a, b, c = todo.pop()
            for a2 in self.edges[a]:
                if comp_of[a2] != cp:
                    continue
                ca = self.chars[a2]
                for c2 in self.edges[c]:
                    cac = ca & self.chars[c2]
                    if comp_of[c2] != cq or not cac:
                        continue
                    for b2 in self.edges[b]:
                        if not cac & self.chars[b2]:
                            continue
                        node = (a2, b2, c2)
                        if node == goal:
                            return True
                        if node not in seen:
                            seen.add(node)
                            todo.append(node)
        return False


def _components(nodes: Iterable[_T], targets: Callable[[_T], Iterable[_T]]) -> list[list[_T]]:
    """Strongly connected components (Tarjan, iterative)."""
    index: dict[_T, int] = {}
    low: dict[_T, int] = {}
    stack: list[_T] = []
    on: set[_T] = set()
    out: list[list[_T]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[_T, Iterator[_T]]] = [(root, iter(targets(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(targets(w))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp: list[_T] = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


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
