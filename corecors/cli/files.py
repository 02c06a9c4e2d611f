"""Reading the command's files: TOML or JSON, and what a file holds.

A file holds corecors options (at the top, or in a ``[corecors]`` or
``[tool.corecors]`` table) or a Gravitee cors object or API definition.
The conversion itself is the core's (:mod:`corecors._readers`); this
module only finds the document and says what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._config import Config
from .._errors import ConfigError, Problem
from .._files import options_table, parse_document
from .._readers import Reading, find_cors, read_cors, read_no_cors, read_options

__all__ = ["InputError", "NotAConfig", "Source", "classify", "load_config", "read_document"]


class InputError(Exception):
    """A file that cannot be read or parsed at all."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def read_document(path: str) -> tuple[str, Any]:
    """Read *path* as TOML or JSON; return ``("TOML" | "JSON", document)``.

    The core's rules (``corecors._files.parse_document``), the same a live
    ``corecors.sources.FileSource`` reads by.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or exc})",
            "check the path; corecors reads TOML and JSON files",
        ) from None
    parsed = parse_document(data, path)
    if isinstance(parsed, Problem):
        raise InputError(parsed.problem, parsed.fix)
    return parsed


# -- what a file holds -------------------------------------------------------------


class NotAConfig(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass
class Source:
    """One policy found in a file: corecors options, or a Gravitee cors object."""

    file: str
    kind: str  # described for people: "corecors options (TOML)", "Gravitee v4 API definition"
    gravitee: bool
    prefix: str  # key path of the options table or cors object, "" at the top
    mapping: Mapping[str, Any] | None  # None: a Gravitee API with no cors object

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def reading(self) -> Reading:
        """The core's reading of this source, named by its key paths in the file."""
        if not self.gravitee:
            assert self.mapping is not None
            return read_options(self.mapping, self.prefix)
        if self.mapping is None:
            return read_no_cors(self.prefix)
        return read_cors(self.mapping, self.prefix)


def _path_of(root: Any, target: object, depth: int = 0) -> str | None:
    """The key path from *root* to the object *target* (by identity)."""
    if root is target:
        return ""
    if depth > 6:
        return None
    items: list[tuple[str, Any]] = []
    if isinstance(root, Mapping):
        items = [(f".{k}", v) for k, v in root.items()]
    elif isinstance(root, list):
        items = [(f"[{i}]", v) for i, v in enumerate(root)]
    for step, value in items:
        found = _path_of(value, target, depth + 1)
        if found is not None:
            return (step + ("." + found if found and not found.startswith("[") else found)).lstrip(
                "."
            )
    return None


def _gravitee_version(document: Mapping[str, Any]) -> str:
    root = document.get("api") if isinstance(document.get("api"), Mapping) else document
    assert isinstance(root, Mapping)
    version = str(root.get("definitionVersion", root.get("gravitee", ""))).upper().lstrip("V")
    if "listeners" in root or version.startswith("4"):
        return "Gravitee v4 API definition"
    if "proxy" in root or version.startswith(("1", "2")):
        return "Gravitee v2 API definition"
    return "Gravitee cors object"


def classify(file: str, syntax: str, document: Any) -> list[Source]:
    """Say what *document* is: corecors options or a Gravitee definition, by
    the core's rule (``corecors._files.options_table``), and where each policy is.
    """
    if not isinstance(document, Mapping):
        raise NotAConfig(
            f"holds a JSON {type(document).__name__}, not an object",
            'write the options as an object, such as {"allow_origins": [...]}',
        )
    found = options_table(document)  # the core's rule, as FileSource reads files
    if found is not None:
        table, where = found
        return [Source(file, f"corecors options, {syntax}", False, where, table)]
    kind = _gravitee_version(document)
    try:
        cors, _where = find_cors(document)
    except ConfigError as exc:
        if exc.value != "listeners":
            raise NotAConfig(exc.problem, exc.fix) from None
        # A v4 API whose listeners hold different cors objects: each on its own.
        api = document.get("api", document)
        sources = []
        seen: list[Mapping[str, Any]] = []
        for listener in api["listeners"]:
            block = listener.get("cors") if isinstance(listener, Mapping) else None
            if isinstance(block, Mapping) and block not in seen:
                seen.append(block)
                sources.append(Source(file, kind, True, _path_of(document, block) or "", block))
        return sources
    if cors is None:
        return [Source(file, kind, True, _where, None)]
    return [Source(file, kind, True, _path_of(document, cors) or "", cors)]


def load_config(path: str) -> tuple[Config, str]:
    """The Config a file describes, and what the file was read as."""
    syntax, document = read_document(path)
    sources = classify(path, syntax, document)
    source = sources[0]
    if source.gravitee:
        return Config.from_gravitee(document), source.kind
    return Config.from_reading(source.reading()), source.kind
