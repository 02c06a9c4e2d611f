r"""What an origin regex may match and how long it can take, proved on its tree.

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

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from ._psl import public_suffix
from ._regex_tree import (
    DIGITS,
    EXACT_TURNS,
    HOST,
    MAX_ENDINGS,
    MAX_POSITIONS,
    Alt,
    Chars,
    Node,
    Rep,
    Seq,
    Unprovable,
)
from ._syntax import ORIGIN_VALUE

_T = TypeVar("_T")

__all__ = ["Automaton", "Ending", "where_it_matches"]

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
        return node.chars <= DIGITS
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
        if n >= MAX_ENDINGS:
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
        if not set(text) <= HOST:
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
        if len(self.chars) >= MAX_POSITIONS:
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
        if high is not None and high <= EXACT_TURNS:
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
