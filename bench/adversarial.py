"""Adversarial Origins for an accepted origin regex, from its own automaton.

Backtracking blows up where a repetition can read the same text in several
ways, so the Origins here pump every loop of the regex's position automaton
(see corecors/_regex_proofs.py) up to the longest host DNS allows (253
characters), then fail: overlapping adjacent quantifiers and nested
repetitions get their worst case, long label runs come from loops over host
characters. Each Origin is well formed and ends
with the regex's domain, so the matcher really runs the regex on it.
"""

from __future__ import annotations

import re

from corecors._origins import MAX_HOST_LENGTH, MAX_ORIGIN_LENGTH
from corecors._regex_proofs import Automaton
from corecors._regex_tree import parse
from corecors._syntax import ORIGIN_VALUE

_HOSTISH = "abcdefghijklmnopqrstuvwxyz0123456789-"
_FAIL = ("", "-", "_", "~", "!", ".", "-.")


def _loop_words(automaton: Automaton, limit: int = 40) -> list[str]:
    """For each state on a loop, a short word that goes around it."""
    words: list[str] = []
    for start in automaton.reachable():
        # breadth first from start back to start, over host characters
        paths = {start: ""}
        frontier = [start]
        found = None
        while frontier and found is None and len(paths) < 500:
            nxt = []
            for p in frontier:
                for q in automaton.edges[p]:
                    chars = sorted(c for c in automaton.chars[q] if c in _HOSTISH + ".")
                    if not chars:
                        continue
                    word = paths[p] + chars[0]
                    if q == start:
                        found = word
                        break
                    if q not in paths:
                        paths[q] = word
                        nxt.append(q)
                if found:
                    break
            frontier = nxt
        if found and found not in words:
            words.append(found)
        if len(words) >= limit:
            break
    return words


def adversarial_origins(regex: str, domain: str) -> list[str]:
    """Well-formed Origins under *domain* built to make *regex* backtrack."""
    automaton = Automaton(parse(re.compile(regex)))
    words = [*_loop_words(automaton), "a", "a.", "a-", "ab.", "a" * 63 + "."]
    out = []
    for scheme in ("https", "http", "wss"):
        head = f"{scheme}://"
        # The longest host the matcher lets a regex read (longer ones are
        # refused first, as no DNS name can be that long).
        room = MAX_HOST_LENGTH - len(domain) - 3
        for word in words:
            pumped = (word * (room // max(len(word), 1) + 1))[:room].strip(".-")
            for fail in _FAIL:
                for origin in (f"{head}{pumped}{fail}.{domain}", f"{head}{pumped}{fail}{domain}"):
                    if len(origin) <= MAX_ORIGIN_LENGTH and ORIGIN_VALUE.fullmatch(origin):
                        out.append(origin)
    return list(dict.fromkeys(out))
