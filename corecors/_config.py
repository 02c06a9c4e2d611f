"""Config: the options a person writes, validated once and compiled."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._compiled import Compiled
from ._errors import ConfigError
from ._regexes import check_regex, matches_everything
from ._syntax import Origin, is_loopback_host, is_token, parse_origin

__all__ = ["DEFAULT_MAX_AGE", "DEFAULT_METHODS", "Config"]

#: Methods allowed when ``allow_methods`` is not given: the CORS-safelisted
#: ones, which a browser never preflights anyway.
DEFAULT_METHODS = ("GET", "HEAD", "POST")
#: Seconds a browser may cache a preflight when ``max_age`` is not given.
DEFAULT_MAX_AGE = 600

# Browsers upper-case these six methods before sending them (Fetch,
# "normalize a method"), so a lower-case entry could never match.
_NORMALISED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

_BOOL_OPTIONS = (
    "enabled",
    "allow_credentials",
    "preflight_passthrough",
    "allow_private_network",
    "dangerously_allow_http_origins_with_credentials",
    "dangerously_allow_any_origin_with_credentials",
)
_INT_OPTIONS = ("max_age", "preflight_status", "preflight_failure_status")
_LIST_OPTIONS = (
    "allow_origins",
    "allow_origin_regexes",
    "allow_methods",
    "allow_headers",
    "expose_headers",
)
#: Every option name :class:`Config` takes, in documentation order.
OPTIONS = (
    "enabled",
    "allow_origins",
    "allow_origin_regexes",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "expose_headers",
    "max_age",
    "preflight_passthrough",
    "allow_private_network",
    "preflight_status",
    "preflight_failure_status",
    "dangerously_allow_http_origins_with_credentials",
    "dangerously_allow_any_origin_with_credentials",
)

StrList = str | Iterable[str]
RegexList = str | re.Pattern[str] | Iterable[str | re.Pattern[str]]


def _as_tuple(option: str, value: object) -> tuple[object, ...]:
    if isinstance(value, (str, re.Pattern)):
        return (value,)
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise ConfigError(
            option,
            value,
            f"is a {type(value).__name__}",
            "give a string or a list of strings",
        )
    return tuple(value)


def _dedupe(items: Iterable[str], key: Any = None) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        k = key(item) if key else item
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


def _tokens(option: str, value: object, what: str) -> tuple[str, ...]:
    out: list[str] = []
    for item in _as_tuple(option, value):
        if not isinstance(item, str):
            raise ConfigError(
                option,
                item,
                f"is a {type(item).__name__}, not a string",
                f"give each {what} as a string",
            )
        if item != "*" and not is_token(item):
            raise ConfigError(
                option,
                item,
                f"is not a valid {what} (an HTTP token: no spaces, "
                "commas, colons or control characters)",
                f"write one {what} per entry, such as "
                + ("'PATCH'" if what == "method" else "'X-Requested-With'"),
            )
        out.append(item)
    return tuple(out)


class Config:
    """A CORS policy: keyword options, validated once, then frozen.

    Invalid, insecure or contradictory options raise :class:`ConfigError`
    here, never while requests are handled. The defaults are safe: no
    origin is allowed until you list one.

    >>> from corecors import Config
    >>> config = Config(
    ...     allow_origins=["https://app.example.com", "https://*.example.org"],
    ...     allow_methods=["GET", "POST", "PATCH"],
    ...     allow_headers=["Content-Type", "Authorization"],
    ...     allow_credentials=True,
    ... )
    >>> config.max_age
    600
    """

    __slots__ = (*OPTIONS, "_c")

    enabled: bool
    allow_origins: tuple[str, ...]
    allow_origin_regexes: tuple[re.Pattern[str], ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    allow_credentials: bool
    expose_headers: tuple[str, ...]
    max_age: int
    preflight_passthrough: bool
    allow_private_network: bool
    preflight_status: int
    preflight_failure_status: int
    dangerously_allow_http_origins_with_credentials: bool
    dangerously_allow_any_origin_with_credentials: bool
    _c: Compiled

    def __init__(
        self,
        *,
        enabled: bool = True,
        allow_origins: StrList = (),
        allow_origin_regexes: RegexList = (),
        allow_methods: StrList = DEFAULT_METHODS,
        allow_headers: StrList = (),
        allow_credentials: bool = False,
        expose_headers: StrList = (),
        max_age: int = DEFAULT_MAX_AGE,
        preflight_passthrough: bool = False,
        allow_private_network: bool = False,
        preflight_status: int = 204,
        preflight_failure_status: int = 403,
        dangerously_allow_http_origins_with_credentials: bool = False,
        dangerously_allow_any_origin_with_credentials: bool = False,
    ) -> None:
        given = dict(locals())
        del given["self"]
        set_ = object.__setattr__
        for name in _BOOL_OPTIONS:
            if not isinstance(given[name], bool):
                raise ConfigError(name, given[name], "is not a bool", "write True or False")
            set_(self, name, given[name])
        for name in _INT_OPTIONS:
            if not isinstance(given[name], int) or isinstance(given[name], bool):
                raise ConfigError(name, given[name], "is not an integer", "write a whole number")
        if max_age < -1:
            raise ConfigError(
                "max_age",
                max_age,
                "is below -1",
                "write a number of seconds, 0 to send 'Access-Control-Max-Age: 0', "
                "or -1 to send no Access-Control-Max-Age",
            )
        if not 200 <= preflight_status <= 299:
            raise ConfigError(
                "preflight_status",
                preflight_status,
                "is not a 2xx status, and browsers fail a preflight answered with anything else",
                "use 204 (the default) or 200",
            )
        if not 400 <= preflight_failure_status <= 599:
            raise ConfigError(
                "preflight_failure_status",
                preflight_failure_status,
                "is not a 4xx or 5xx status",
                "use 403 (the default)",
            )
        set_(self, "max_age", max_age)
        set_(self, "preflight_status", preflight_status)
        set_(self, "preflight_failure_status", preflight_failure_status)

        # Origins: "*", exact origins, and safe patterns.
        exact: list[str] = []
        patterns: list[Origin] = []
        any_origin = False
        for entry in _as_tuple("allow_origins", allow_origins):
            if entry == "*":
                any_origin = True
            elif isinstance(entry, str) and "*" in entry:
                patterns.append(parse_origin("allow_origins", entry, pattern=True))
            else:
                exact.append(parse_origin("allow_origins", entry, pattern=False).serialise())
        origins = _dedupe((["*"] if any_origin else []) + exact + [p.serialise() for p in patterns])
        set_(self, "allow_origins", origins)

        regexes: list[re.Pattern[str]] = []
        for item in _as_tuple("allow_origin_regexes", allow_origin_regexes):
            if isinstance(item, re.Pattern):
                if not isinstance(item.pattern, str):
                    raise ConfigError(
                        "allow_origin_regexes",
                        item,
                        "is a bytes pattern",
                        "compile the regex from a str",
                    )
                regexes.append(item)
                continue
            if not isinstance(item, str):
                raise ConfigError(
                    "allow_origin_regexes",
                    item,
                    f"is a {type(item).__name__}",
                    "give each regex as a string or a compiled re.Pattern",
                )
            try:
                regexes.append(re.compile(item))
            except (re.error, OverflowError, RecursionError) as exc:
                raise ConfigError(
                    "allow_origin_regexes",
                    item,
                    f"is not a valid regex ({exc})",
                    "correct the regex; corecors never skips an entry it cannot use",
                ) from None
        set_(self, "allow_origin_regexes", tuple(regexes))

        methods = _tokens("allow_methods", allow_methods, "method")
        for method in methods:
            if method != method.upper() and method.upper() in _NORMALISED_METHODS:
                raise ConfigError(
                    "allow_methods",
                    method,
                    f"never matches: browsers send it as {method.upper()!r}",
                    f"write {method.upper()!r}",
                )
        set_(self, "allow_methods", _dedupe(methods))
        set_(
            self,
            "allow_headers",
            _dedupe(_tokens("allow_headers", allow_headers, "header name"), str.lower),
        )
        set_(
            self,
            "expose_headers",
            _dedupe(_tokens("expose_headers", expose_headers, "header name"), str.lower),
        )
        self._check_combinations(exact, patterns, any_origin)
        set_(self, "_c", Compiled(self, frozenset(exact), patterns, any_origin))

    def _check_combinations(
        self, exact: list[str], patterns: list[Origin], any_origin: bool
    ) -> None:
        credentials = self.allow_credentials
        if credentials and any_origin:
            raise ConfigError(
                "allow_origins",
                "*",
                "cannot be combined with allow_credentials=True: browsers refuse "
                "'Access-Control-Allow-Origin: *' on credentialed requests, and "
                "reflecting every origin instead would let any site act as your users",
                "list the origins that may send credentials",
            )
        if credentials and "*" in self.expose_headers:
            raise ConfigError(
                "expose_headers",
                "*",
                "means the literal header name '*' on credentialed requests",
                "list the header names to expose, or turn allow_credentials off",
            )
        if self.allow_private_network and any_origin:
            raise ConfigError(
                "allow_private_network",
                True,
                "would let every website on the internet reach this private-network "
                "service (allow_origins is '*')",
                "list the origins that may reach it",
            )
        allow_http = self.dangerously_allow_http_origins_with_credentials
        if credentials and not allow_http:
            for origin in [parse_origin("", o, pattern=False) for o in exact] + patterns:
                if origin.scheme == "http" and not is_loopback_host(origin.host):
                    raise ConfigError(
                        "allow_origins",
                        origin.serialise(),
                        "is plain http while allow_credentials is on: anybody on the "
                        "network path can act as that origin and use your users' credentials",
                        "use the https origin, or if you must, set "
                        "dangerously_allow_http_origins_with_credentials=True",
                    )
        for rx in self.allow_origin_regexes:
            if matches_everything(rx):
                if credentials and not self.dangerously_allow_any_origin_with_credentials:
                    raise ConfigError(
                        "allow_origin_regexes",
                        rx.pattern,
                        "matches every origin while allow_credentials is on, so any "
                        "website could act as your users",
                        "list the origins that may send credentials; if you really mean "
                        "it, set dangerously_allow_any_origin_with_credentials=True",
                    )
                if self.allow_private_network:
                    raise ConfigError(
                        "allow_private_network",
                        True,
                        f"would let every website reach this service (the regex "
                        f"{rx.pattern!r} matches every origin)",
                        "list the origins that may reach it",
                    )
                continue
            check_regex("allow_origin_regexes", rx, credentials=credentials, allow_http=allow_http)

    # -- construction from other shapes ------------------------------------

    @classmethod
    def from_gravitee(cls, mapping: Mapping[str, Any]) -> Config:
        """Import a Gravitee API Management CORS configuration.

        *mapping* is a Gravitee ``cors`` object, or a whole v2 or v4 API
        definition (or export) holding one. See :doc:`/gravitee`.

        >>> Config.from_gravitee({"enabled": True,
        ...     "allowOrigin": ["https://*.example.com"], "maxAge": -1}).allow_origins
        ('https://*.example.com',)
        """
        from ._gravitee import config_from_gravitee

        return config_from_gravitee(cls, mapping)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], prefix: str = "CORECORS_") -> Config:
        """Build a Config from flat keys such as Flask's ``app.config``.

        Keys are the option names in upper case after *prefix*; keys without
        the prefix are ignored and unknown keys with it are refused. String
        values are accepted as environment variables spell them: lists
        comma-separated, booleans ``true``/``false``/``1``/``0``.

        >>> Config.from_mapping({"CORECORS_ALLOW_ORIGINS": "https://a.example, https://b.example",
        ...                      "CORECORS_ALLOW_CREDENTIALS": "true"}).allow_origins
        ('https://a.example', 'https://b.example')
        """
        return cls(**options_from_mapping(mapping, prefix))

    # -- plain-data behaviour ----------------------------------------------

    def options(self) -> dict[str, Any]:
        """The options as keyword arguments that rebuild this config."""
        return {name: getattr(self, name) for name in OPTIONS}

    def replace(self, **changes: Any) -> Config:
        """A new Config with *changes* applied, validated like any other."""
        return type(self)(**{**self.options(), **changes})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Config is immutable; use config.replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Config is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self.options() == other.options()

    def __hash__(self) -> int:
        return hash(tuple(self.options().values()))

    def __repr__(self) -> str:
        defaults = _DEFAULTS
        shown = ", ".join(f"{k}={v!r}" for k, v in self.options().items() if v != defaults[k])
        return f"Config({shown})"


_DEFAULTS = Config().options()

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def options_from_mapping(mapping: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Turn ``PREFIX_OPTION`` keys into Config keyword arguments."""
    import difflib

    options: dict[str, Any] = {}
    for key, value in mapping.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        if name not in OPTIONS:
            close = difflib.get_close_matches(name, OPTIONS, n=1)
            hint = (
                f"did you mean {prefix}{close[0].upper()}?"
                if close
                else ("see the list of options in the documentation")
            )
            raise ConfigError(key, value, "is not a corecors option", hint)
        if isinstance(value, str):
            text = value.strip()
            if name in _BOOL_OPTIONS:
                if text.lower() in _TRUE:
                    value = True
                elif text.lower() in _FALSE:
                    value = False
                else:
                    raise ConfigError(key, value, "is not a boolean", "write true or false")
            elif name in _INT_OPTIONS:
                try:
                    value = int(text)
                except ValueError:
                    raise ConfigError(
                        key, value, "is not an integer", "write a whole number"
                    ) from None
            elif name == "allow_origin_regexes":
                value = (text,) if text else ()
            else:
                value = tuple(item.strip() for item in text.split(",") if item.strip())
        options[name] = value
    return options
