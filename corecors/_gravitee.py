"""Import Gravitee API Management's per-API CORS settings.

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

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError
from ._syntax import parse_origin

if TYPE_CHECKING:
    from ._config import Config

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
        raise ConfigError(
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
            raise ConfigError(
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
            raise ConfigError(
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
    raise ConfigError(
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


def _list(key: str, value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (Sequence, set, frozenset)):
        return list(value)
    raise ConfigError(key, value, "is not a list", f"write {key} as a JSON array")


def options_from_gravitee(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Config keyword arguments for a Gravitee cors object or API definition."""
    cors, _where = find_cors(definition)
    if cors is None:
        return {"enabled": False}
    options: dict[str, Any] = {"enabled": cors.get("enabled", False)}
    origins: list[object] = []
    regexes: list[object] = []
    for entry in _list("allowOrigin", cors.get("allowOrigin")):
        kind, value = classify_origin(entry)
        (regexes if kind == "regex" else origins).append(value)
    options["allow_origins"] = origins
    options["allow_origin_regexes"] = regexes
    for key in ("allowMethods", "allowHeaders", "exposeHeaders"):
        if key in cors:
            options[KEYS[key]] = _list(key, cors[key])
    # Gravitee sends no Access-Control-Max-Age unless maxAge is set.
    options["max_age"] = -1
    for key in ("allowCredentials", "runPolicies", "allowPrivateNetwork", "maxAge"):
        if key in cors and cors[key] is not None:
            options[KEYS[key]] = cors[key]
    return options


def config_from_gravitee(cls: type[Config], definition: Mapping[str, Any]) -> Config:
    options = options_from_gravitee(definition)
    try:
        return cls(**options)
    except ConfigError as exc:
        option = "allow_origins" if exc.option == "allow_origin_regexes" else exc.option
        gravitee_key = next((k for k, v in KEYS.items() if v == option), exc.option)
        raise ConfigError(
            f"{exc.option} (Gravitee {gravitee_key})", exc.value, exc.problem, exc.fix
        ) from None
