"""Format readers: flat keys, option tables and Gravitee definitions.

Each reader turns a document into Config keyword arguments and the
problems found while reading it, named as the user wrote them
(``CORECORS_MAX_AGE``, ``proxy.cors.allowOrigin``). :meth:`Reading.check`
adds every problem validation finds, renamed the same way, so that
``Config``, ``corecors lint`` and the Django checks report one list.

Gravitee:
Gravitee keeps CORS in a ``cors`` object: under ``proxy`` in a v2 API
definition, on each HTTP listener in a v4 one, and exports wrap the
definition in ``{"api": ...}``. Its keys map one to one onto Config options.

Gravitee reads an ``allowOrigin`` entry that contains ``(``, ``[`` or ``*``
as a Java regex matched against the whole Origin; every other entry is an
exact origin. corecors keeps that meaning with three corrections:

- an entry that is a valid origin as written is exact, even with a ``[``
  (an IPv6 literal such as ``http://[::1]:8080``);
- a glob such as ``https://*.example.com``, which Gravitee would compile
  into a broken regex, becomes the safe subdomain pattern it plainly means;
- a regex that lets in origins anybody can register is refused (see
  :mod:`corecors._regexes`), with the way to write it safely.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._advice import advise
from ._errors import ConfigError, Problem, suggest
from ._options import BOOL_OPTIONS, INT_OPTIONS, LIST_OPTIONS, OPTIONS, Options, validate
from ._syntax import parse_origin

__all__ = [
    "KEYS",
    "Reading",
    "classify_origin",
    "find_cors",
    "read_gravitee",
    "read_mapping",
    "read_options",
]


@dataclass(frozen=True)
class Reading:
    """Config keyword arguments read from a document, and what was wrong."""

    #: Config keyword arguments
    options: dict[str, Any]
    #: problems found while reading, named as the user wrote them
    problems: tuple[Problem, ...] = ()
    #: option name -> the name the user wrote
    names: Mapping[str, str] = field(default_factory=dict)
    #: (option, index) -> (name, index) where a reader split one list in two
    places: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    #: the reader's own advice (warnings only ``check()`` reports), named as written;
    #: it replaces the generic advice with the same code at the same place
    advice: tuple[Problem, ...] = ()

    def validated(self) -> tuple[Options, tuple[Problem, ...]]:
        """The validated options and every error and reading problem (no advice)."""
        options, problems = validate(self.options)
        return options, self.problems + tuple(self._rename(p) for p in problems)

    def check(self) -> tuple[Problem, ...]:
        """Every problem, errors and warnings, named as the user wrote them."""
        options, raw = validate(self.options)
        problems = self.problems + tuple(self._rename(p) for p in raw)
        own = {(p.code, p.where) for p in self.advice}
        from_advice = tuple(
            p
            for p in (self._rename(p) for p in advise(options, raw))
            if (p.code, p.where) not in own
        )
        return problems + from_advice + self.advice

    def _rename(self, p: Problem) -> Problem:
        name, index = p.option, p.index
        if index is not None and (name, index) in self.places:
            name, index = self.places[name, index]
        else:
            name = self.names.get(name, name)
        return Problem(p.code, p.severity, name, p.value, p.problem, p.fix, index)


# -- flat keys: Flask's app.config, environment variables, Django settings --------

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
# flask-cors's keys, which a migration may leave beside ours.
_PEER_PREFIX = "CORS_"


def read_mapping(mapping: Mapping[Any, Any], prefix: str = "CORECORS_") -> Reading:
    """Read ``PREFIX_OPTION`` keys, such as Flask's ``app.config``.

    String values are read as environment variables spell them: lists
    comma-separated (or a JSON list), booleans ``true``/``false``/``1``/``0``,
    integers in decimal. Other values pass through as they are.

    >>> r = read_mapping({"CORECORS_MAX_AGE": "ten", "OTHER": 1})
    >>> [(p.code, p.option) for p in r.problems]
    [('CC004', 'CORECORS_MAX_AGE')]
    """
    options: dict[str, Any] = {}
    problems: list[Problem] = []
    # Advice may name an option that is not set (no origin at all, CC109).
    names: dict[str, str] = {name: prefix + name.upper() for name in OPTIONS}
    given = False
    for key, value in mapping.items():
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        if name not in OPTIONS:
            close = suggest(name, OPTIONS)
            problems.append(
                Problem(
                    "CC003",
                    "error",
                    key,
                    value,
                    "is not a corecors option",
                    f"did you mean {prefix}{close.upper()}?"
                    if close
                    else "see the list of options in the documentation",
                )
            )
            continue
        names[name] = key
        given = True
        if isinstance(value, str):
            parsed, problem = _from_text(name, value)
            if problem is not None:
                problems.append(Problem("CC004", "error", key, value, *problem))
                continue
            value = parsed
        options[name] = value
    if not given and not problems:
        problems.extend(_no_keys_found(mapping, prefix))
    return Reading(options, tuple(problems), names)


def _from_text(name: str, value: str) -> tuple[object, tuple[str, str] | None]:
    text = value.strip()
    if name in BOOL_OPTIONS:
        if text.lower() in _TRUE:
            return True, None
        if text.lower() in _FALSE:
            return False, None
        return None, ("is not a boolean", "write true or false")
    if name in INT_OPTIONS:
        try:
            return int(text), None
        except ValueError:
            return None, ("is not an integer", "write a whole number of seconds or a status")
    if text.startswith("[") and name in LIST_OPTIONS:
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return None, (
                "looks like a JSON list but is not a list of strings",
                'write a JSON list of strings, such as ["https://app.example.com"], or '
                "the entries separated by commas",
            )
        return items, None
    if name == "allow_origin_regexes":
        return ((text,) if text else ()), None
    return tuple(item.strip() for item in text.split(",") if item.strip()), None


def _no_keys_found(mapping: Mapping[Any, Any], prefix: str) -> list[Problem]:
    """A warning when no PREFIX_ key is set but keys that look like options are."""
    found = [
        key
        for key in mapping
        if isinstance(key, str)
        and (key.lower() in OPTIONS or (key.startswith(_PEER_PREFIX) and prefix != _PEER_PREFIX))
    ]
    if not found:
        return []
    return [
        Problem(
            "CC117",
            "warning",
            found[0],
            mapping[found[0]],
            f"is set, but no {prefix}* key is, so corecors applies an empty policy "
            "(no origin is allowed)",
            f"name corecors's keys with the prefix, such as {prefix}ALLOW_ORIGINS; "
            "CORS_* keys (flask-cors's, django-cors-headers') are not read",
        )
    ]


def read_options(table: Mapping[str, Any], where: str = "") -> Reading:
    """Read a table of options under their Config names (a TOML or JSON file).

    *where* is the table's key path in its document, for the problems' names.
    """
    options: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in table.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in OPTIONS:
            close = suggest(str(key), OPTIONS)
            problems.append(
                Problem(
                    "CC003",
                    "error",
                    path,
                    key,
                    "is not a corecors option",
                    f"did you mean {close!r}?" if close else "see the list of options in the docs",
                )
            )
            continue
        options[key] = value
    names = {k: f"{where}.{k}" for k in OPTIONS} if where else {}
    return Reading(options, tuple(problems), names)


# -- Gravitee ---------------------------------------------------------------------

KEYS = {
    "enabled": "enabled",
    "allowOrigin": "allow_origins",
    "allowMethods": "allow_methods",
    "allowHeaders": "allow_headers",
    "allowCredentials": "allow_credentials",
    "maxAge": "max_age",
    "exposeHeaders": "expose_headers",
    "runPolicies": "preflight_passthrough",
    "allowPrivateNetwork": "allow_private_network",
}
_CORS_KEYS = frozenset(KEYS)
# Exports wrap the definition in {"api": ...}; nobody nests that deeper.
_MAX_DEPTH = 8


def find_cors(
    definition: Mapping[str, Any], _depth: int = 0
) -> tuple[Mapping[str, Any] | None, str]:
    """Find the cors object in *definition*; return it and where it was.

    Returns ``(None, where)`` for an API definition that has no cors object
    (Gravitee then applies no CORS). Raises :class:`ConfigError` for
    anything that is not a Gravitee definition.
    """
    if not isinstance(definition, Mapping):
        raise ConfigError.one(
            "CC002",
            "gravitee",
            definition,
            "is not a JSON object",
            "pass the cors object or the whole API definition, parsed from JSON",
        )
    if _CORS_KEYS & definition.keys() and not {"proxy", "listeners"} & definition.keys():
        return definition, "cors"
    if isinstance(definition.get("cors"), Mapping):
        return definition["cors"], "cors"
    api = definition.get("api")
    if isinstance(api, Mapping):
        if _depth >= _MAX_DEPTH:
            raise ConfigError.one(
                "CC002",
                "gravitee",
                "api",
                f"is nested more than {_MAX_DEPTH} levels deep",
                "pass the API definition itself, or its export's top level",
            )
        found, where = find_cors(api, _depth + 1)
        return found, "api." + where
    proxy = definition.get("proxy")
    if isinstance(proxy, Mapping):  # v2: proxy.cors
        cors = proxy.get("cors")
        return (cors if isinstance(cors, Mapping) else None), "proxy.cors"
    listeners = definition.get("listeners")
    if isinstance(listeners, Sequence) and not isinstance(listeners, str):  # v4
        blocks = [
            (i, listener["cors"])
            for i, listener in enumerate(listeners)
            if isinstance(listener, Mapping) and isinstance(listener.get("cors"), Mapping)
        ]
        distinct = {repr(sorted(block.items())) for _, block in blocks}
        if len(distinct) > 1:
            raise ConfigError.one(
                "CC002",
                "gravitee",
                "listeners",
                "hold different cors objects on several listeners",
                "import each listener's cors object on its own with Config.from_gravitee",
            )
        if blocks:
            return blocks[0][1], f"listeners[{blocks[0][0]}].cors"
        return None, "listeners"
    if "definitionVersion" in definition or "gravitee" in definition:
        return None, "definition"
    raise ConfigError.one(
        "CC002",
        "gravitee",
        sorted(definition)[:8],
        "is neither a Gravitee cors object nor an API definition holding one",
        "pass the cors object (keys such as allowOrigin, allowMethods) or the API "
        "definition that contains it under proxy.cors (v2) or listeners[].cors (v4)",
    )


# scheme://*.host[:port|:*] or scheme://host:*, with no other regex syntax.
_GLOB = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?:\*\.)?[A-Za-z0-9_.\-]+(?::(?:[0-9]+|\*))?")


def classify_origin(entry: object) -> tuple[str, object]:
    """Sort one allowOrigin entry into "origin", "pattern" or "regex"."""
    if not isinstance(entry, str) or entry == "*":
        return "origin", entry
    if entry.startswith("^") or entry.endswith("$"):
        return "regex", entry  # anchors: Gravitee's regex, matched whole anyway
    try:
        return "origin", parse_origin("allowOrigin", entry, pattern=False).serialise()
    except ConfigError:
        pass
    if _GLOB.fullmatch(entry):
        # Plainly a glob (only letters, digits, dots and '*'): keep it a
        # pattern, so that Config explains what is wrong with it, if anything.
        return "pattern", entry
    if any(c in entry for c in "([*"):
        return "regex", entry
    return "origin", entry  # not an origin: Config says why, with the fix


def read_gravitee(definition: Mapping[str, Any]) -> Reading:
    """Read a Gravitee cors object, or an API definition or export holding one.

    Problems are named by their key path in *definition*
    (``proxy.cors.allowOrigin``), with the entry's index in the list.
    """
    try:
        cors, where = find_cors(definition)
    except ConfigError as exc:
        return Reading({"enabled": False}, exc.problems)
    if cors is None:
        return read_no_cors(where)
    return read_cors(cors, where)


def read_no_cors(where: str) -> Reading:
    """An API definition with no cors object, at *where*: Gravitee applies no CORS."""
    return Reading(
        {"enabled": False},
        names={"enabled": where},
        advice=(
            Problem(
                "CC110",
                "warning",
                where,
                None,
                "is missing: Gravitee adds no CORS headers to this API, and corecors "
                "imports it as enabled=False",
                "add a cors object with enabled: true if browsers must call it",
            ),
        ),
    )


def read_cors(cors: Mapping[str, Any], where: str) -> Reading:
    """Read one Gravitee cors object found at the key path *where*."""
    problems: list[Problem] = []
    advice: list[Problem] = []

    def path(key: str) -> str:
        return f"{where}.{key}" if where else key

    names = {option: path(key) for key, option in KEYS.items()}
    names["allow_origin_regexes"] = path("allowOrigin")
    # Gravitee leaves CORS off unless enabled is true.
    options: dict[str, Any] = {"enabled": cors.get("enabled", False)}
    places: dict[tuple[str, int], tuple[str, int]] = {}
    origins: list[object] = []
    regexes: list[object] = []
    for i, entry in enumerate(_list(problems, path("allowOrigin"), cors.get("allowOrigin"))):
        kind, value = classify_origin(entry)
        if kind == "pattern":
            advice.extend(_glob_advice(str(entry), path("allowOrigin"), i))
        target = regexes if kind == "regex" else origins
        option = "allow_origin_regexes" if kind == "regex" else "allow_origins"
        places[option, len(target)] = (path("allowOrigin"), i)
        target.append(value)
    options["allow_origins"] = origins
    options["allow_origin_regexes"] = regexes
    for key in ("allowMethods", "allowHeaders", "exposeHeaders"):
        if key in cors:
            options[KEYS[key]] = _list(problems, path(key), cors[key])
    # Gravitee sends no Access-Control-Max-Age unless maxAge is set.
    options["max_age"] = -1
    for key in ("allowCredentials", "runPolicies", "allowPrivateNetwork", "maxAge"):
        if key in cors and cors[key] is not None:
            options[KEYS[key]] = cors[key]
    return Reading(options, tuple(problems), names, places, tuple(advice))


def _glob_advice(raw: str, option: str, index: int) -> list[Problem]:
    """CC115 when Gravitee itself would read the glob *raw* as a broken regex."""
    try:
        pattern = parse_origin(option, raw, pattern=True)
        as_regex = re.compile(raw)
    except (ConfigError, re.error):
        return []  # validation reports the pattern; a regex Gravitee cannot compile matches nothing
    intended = pattern._replace(
        host=("api." if pattern.any_subdomain else "") + pattern.host,
        port="8080" if pattern.port == "*" else pattern.port,
        any_subdomain=False,
    ).serialise()
    # The glob's regex never matches *intended*: "/*." cannot read "api.".
    leaks = (raw.replace("*.", "x", 1), raw.replace("*.", "", 1) + ":::")
    leak = next((p for p in leaks if p != raw and as_regex.fullmatch(p)), None)
    sub = r"([a-z0-9-]+\.)+" if pattern.any_subdomain else ""
    port = (
        r"(:[0-9]+)?" if pattern.port == "*" else re.escape(f":{pattern.port}" * bool(pattern.port))
    )
    hint = f"{pattern.scheme}://{sub}{re.escape(pattern.host)}{port}"
    return [
        Problem(
            "CC115",
            "warning",
            option,
            raw,
            f"is read by Gravitee as a regex that does not match '{intended}'"
            + (f" but does match '{leak}'" if leak else "")
            + f"; corecors reads it as the origin pattern {pattern.serialise()}, which is "
            "what it plainly means",
            f"if Gravitee still serves this API, write the regex out, such as '{hint}'",
            index,
        )
    ]


def _list(problems: list[Problem], path: str, value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (Sequence, set, frozenset)):
        return list(value)
    problems.append(
        Problem("CC004", "error", path, value, "is not a list", "write it as a JSON array")
    )
    return []


def emit_warnings(reading: Reading) -> None:
    """Warn (``UserWarning``) about a reading's problems, once it has no errors."""
    for p in reading.problems:
        warnings.warn(str(p), UserWarning, stacklevel=3)
