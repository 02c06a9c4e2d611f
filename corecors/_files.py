"""Policy files: a TOML or JSON file of corecors options, or a Gravitee export.

:func:`read_file` never raises on what a file holds: a file that cannot be
read, is not TOML or JSON, or is not a policy is a :class:`Reading` with a
``CC001`` or ``CC002`` problem, so that a reloader can log it and keep the
policy it has. What a file is read as:

- a ``[corecors]`` table (or ``[tool.corecors]``, as in pyproject.toml):
  corecors options;
- otherwise, any Gravitee key at the top (``allowOrigin``, ``proxy``,
  ``listeners``, ``api``, ``definitionVersion``, ...): a Gravitee cors
  object or API definition;
- otherwise: corecors options at the top level.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import Problem
from ._readers import KEYS, Reading, read_gravitee, read_options

__all__ = ["GRAVITEE_MARKERS", "options_table", "parse_document", "read_file", "read_text"]

GRAVITEE_MARKERS = (frozenset(KEYS) - {"enabled"}) | {
    "proxy",
    "listeners",
    "api",
    "cors",
    "definitionVersion",
    "gravitee",
}


def _unreadable(path: str, problem: str, fix: str, code: str = "CC001") -> Reading:
    return Reading({}, (Problem(code, "error", "file", path, problem, fix),))


def read_file(path: str | Path) -> Reading:
    """Read a policy file into Config options and problems; never raises.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
    ...     _ = f.write('allow_origins = ["https://a.example"]')
    >>> read_file(f.name).options
    {'allow_origins': ['https://a.example']}
    >>> os.unlink(f.name)
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return _unreadable(
            str(path),
            f"cannot be read ({exc.strerror or exc})",
            "check the path; corecors reads TOML and JSON files",
        )
    return read_text(data, str(path))


def read_text(data: bytes | str, name: str = "file") -> Reading:
    """:func:`read_file` for a file's contents; *name* says how it was named.

    >>> [p.code for p in read_text('{"allow_origins": ["https://a.example"', "x.json").problems]
    ['CC001']
    """
    parsed = parse_document(data, name)
    if isinstance(parsed, Problem):
        return Reading({}, (parsed,))
    _, document = parsed
    if not isinstance(document, Mapping):
        return _unreadable(
            name,
            f"holds a JSON {type(document).__name__}, not an object",
            'write the options as an object, such as {"allow_origins": [...]}',
            "CC002",
        )
    found = options_table(document)
    if found is None:
        return read_gravitee(document)
    table, where = found
    return read_options(table, where)


def options_table(document: Mapping[str, Any]) -> tuple[Mapping[str, Any], str] | None:
    """Where *document* keeps corecors options, and that key path; None when it
    is a Gravitee cors object or API definition (the rules in the module doc)."""
    tool = document.get("tool")
    if isinstance(document.get("corecors"), Mapping):
        return document["corecors"], "corecors"
    if isinstance(tool, Mapping) and isinstance(tool.get("corecors"), Mapping):
        return tool["corecors"], "tool.corecors"
    if GRAVITEE_MARKERS & document.keys():
        return None
    return document, ""


def parse_document(data: bytes | str, name: str) -> tuple[str, Any] | Problem:
    """``("TOML" | "JSON", document)``, or the ``CC001`` problem that stops it.

    A ``.toml`` file is TOML and a ``.json`` file JSON; anything else is
    tried as JSON, then as TOML (TOML first unless it starts with ``{``).
    Named neither and parsing as neither, it is not a config file at all (a
    YAML or Python file, say), rather than a TOML file with a typo.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return _unreadable(
            name, "is not UTF-8 text", "save the file as UTF-8 TOML or JSON"
        ).problems[0]
    suffix = Path(name).suffix.lower()
    if suffix == ".toml":
        tries = ["TOML"]
    elif suffix == ".json":
        tries = ["JSON"]
    elif text.lstrip().startswith("{"):
        tries = ["JSON", "TOML"]
    else:
        tries = ["TOML", "JSON"]
    first_error = ""
    for syntax in tries:
        try:
            return syntax, (json.loads(text) if syntax == "JSON" else tomllib.loads(text))
        except json.JSONDecodeError as exc:
            problem = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        except tomllib.TOMLDecodeError as exc:
            problem = f"is not valid TOML: {exc}"
        first_error = first_error or problem
    if tries == ["TOML", "JSON"]:
        return Problem(
            "CC001",
            "error",
            "file",
            name,
            "is not a corecors config file: it is neither TOML nor JSON",
            "write the options in a .toml file (top-level keys or a [corecors] table) "
            "or a .json file, or pass a Gravitee export",
        )
    return Problem(
        "CC001", "error", "file", name, first_error, "correct the syntax at the place named"
    )
