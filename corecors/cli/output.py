"""What the command's output shares: exit statuses, colour, wrapping, quoting."""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from http import HTTPStatus
from typing import TextIO

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_REFUSED",
    "Style",
    "count",
    "show",
    "status_text",
    "use_colour",
    "wrap",
    "write_json",
]

# Exit statuses, the same for every subcommand.
EXIT_OK = 0
EXIT_REFUSED = 1  # explain: the browser would fail; lint: findings; probe: findings
EXIT_BAD_INPUT = 2  # bad arguments, unreadable file, unusable config, could not probe


class Style:
    """ANSI colour when writing to a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _sgr(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def good(self, text: str) -> str:
        return self._sgr("32", text)

    def bad(self, text: str) -> str:
        return self._sgr("31", text)

    def warn(self, text: str) -> str:
        return self._sgr("33", text)

    def code(self, text: str) -> str:
        return self._sgr("36", text)


def use_colour(choice: str, stream: TextIO) -> bool:
    """``--color auto``: colour only on a terminal, and never with NO_COLOR set."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 110))


def wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(40, _width() - indent),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def write_json(out: TextIO, data: object) -> None:
    """The one JSON form every subcommand prints: indented, with a final newline."""
    json.dump(data, out, indent=2)
    out.write("\n")


def show(value: object) -> str:
    """A value quoted for people: strings as written (no doubled backslashes)."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, re.Pattern):
        return show(value.pattern)
    return repr(value)


def count(n: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def status_text(status: int) -> str:
    """``204 No Content``: the one status line every subcommand prints."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
