"""An origin regex parsed into a small tree, over the characters an origin holds.

The parser is the one ``re.compile`` uses; the tree has character sets,
sequences, alternatives and repetitions, each character set narrowed to
:data:`ALPHABET`. The proofs on it are in :mod:`._regex_proofs`.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

__all__ = [
    "ALPHABET",
    "DIGITS",
    "EXACT_TURNS",
    "HOST",
    "MAX_ENDINGS",
    "MAX_POSITIONS",
    "Alt",
    "Chars",
    "Node",
    "Rep",
    "Seq",
    "Unprovable",
    "parse",
]

# The regex parser behind re.compile; private, but the same in every CPython
# that corecors supports. Imported by name so that type checkers, which have
# no stubs for it, see Any.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: Every character a serialised origin can hold; a regex is only ever run
#: on text made of these.
ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-_~:/[]")
DIGITS = frozenset("0123456789")
HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.~-")

#: Repetitions up to this many turns are analysed exactly; wider ones as
#: unbounded (which only adds paths, so the analysis stays on the safe side).
EXACT_TURNS = 4
#: Beyond this many positions or ways to end, a regex is refused as too big
#: to prove (an origin regex is a few dozen characters).
MAX_POSITIONS = 400
MAX_ENDINGS = 256

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
