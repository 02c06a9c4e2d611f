"""Config: the façade over validated options and their compiled tables.

Layers, each importing only the ones before it: validated options
(:mod:`._options`), compiled tables (:mod:`._compiled`), this façade, and the
format readers (:mod:`._readers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Never

from ._compiled import Compiled
from ._django_cors_headers import read_django_cors_headers
from ._errors import ConfigError, Problem
from ._options import DEFAULT_MAX_AGE, DEFAULT_METHODS, DEFAULTS, OPTIONS, Options, validate
from ._readers import Reading, emit_warnings, read_gravitee, read_mapping

__all__ = ["DEFAULT_MAX_AGE", "DEFAULT_METHODS", "OPTIONS", "Config"]

StrList = str | Iterable[str]
RegexList = str | re.Pattern[str] | Iterable[str | re.Pattern[str]]


class Config:
    """A CORS policy: keyword options, validated once, then frozen.

    Invalid, insecure or contradictory options raise :class:`ConfigError`
    here, never while requests are handled. The defaults are safe: no
    origin is allowed until you list one.

    ``allow_private_network`` answers Private Network Access preflights.
    Chrome put that on hold in October 2024; its successor, Local Network
    Access (a permission prompt since Chrome 142), needs no server header.
    The option stays for the browsers that still send the preflight.

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
    check_websocket_origin: bool
    debug_refusals: bool
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
        check_websocket_origin: bool = False,
        debug_refusals: bool = False,
        preflight_status: int = 204,
        preflight_failure_status: int = 403,
        dangerously_allow_http_origins_with_credentials: bool = False,
        dangerously_allow_any_origin_with_credentials: bool = False,
        **unknown: Never,
    ) -> None:
        given = dict(locals())
        del given["self"], given["unknown"]
        given.update(unknown)
        options, problems = validate(given)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ConfigError(errors)
        self._adopt(options)

    def _adopt(self, options: Options) -> None:
        set_ = object.__setattr__
        for name in OPTIONS:
            set_(self, name, getattr(options, name))
        set_(self, "_c", Compiled(options))

    @staticmethod
    def validate(**options: object) -> tuple[Problem, ...]:
        """Every problem with *options*, errors and warnings; never raises.

        The same list a :class:`ConfigError` carries (errors) plus the advice
        ``corecors lint`` prints (warnings), each with its stable code.

        >>> [(p.code, p.severity) for p in Config.validate(allow_origins=["https://*.github.io"])]
        [('CC116', 'warning')]
        """
        return _all_problems(options)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The advice for this config: what ``corecors lint`` warns about."""
        return tuple(p for p in _all_problems(self.options()) if p.severity == "warning")

    # -- construction from other shapes ------------------------------------

    @classmethod
    def from_reading(cls, reading: Reading) -> Config:
        """Build a Config from a reader's output, or raise every error at once."""
        options, problems = reading.validated()
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ConfigError(errors)
        emit_warnings(reading)
        config = cls.__new__(cls)
        config._adopt(options)
        return config

    @classmethod
    def from_gravitee(cls, mapping: Mapping[str, Any]) -> Config:
        """Import a Gravitee API Management CORS configuration.

        *mapping* is a Gravitee ``cors`` object, or a whole v2 or v4 API
        definition (or export) holding one. See :doc:`/gravitee`. Problems
        are named by their key path, such as ``proxy.cors.allowOrigin``.

        >>> Config.from_gravitee({"enabled": True,
        ...     "allowOrigin": ["https://*.example.com"], "maxAge": -1}).allow_origins
        ('https://*.example.com',)
        """
        return cls.from_reading(read_gravitee(mapping))

    @classmethod
    def from_django_cors_headers(cls, mapping: Mapping[str, Any]) -> Config:
        """Import django-cors-headers' ``CORS_*`` settings, current and old names.

        See :doc:`/migrating-django-cors-headers`. Problems name the ``CORS_*`` key.
        """
        return cls.from_reading(read_django_cors_headers(mapping))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], prefix: str = "CORECORS_") -> Config:
        """Build a Config from flat keys such as Flask's ``app.config``.

        Keys are the option names in upper case after *prefix*; keys without
        the prefix are ignored and unknown keys with it are refused. String
        values are accepted as environment variables spell them: lists
        comma-separated or as a JSON list, booleans ``true``/``false``/``1``/``0``.
        Problems name the key as written (``CORECORS_MAX_AGE``). With no
        prefixed key but keys that look like options, it warns.

        >>> Config.from_mapping({"CORECORS_ALLOW_ORIGINS": "https://a.example, https://b.example",
        ...                      "CORECORS_ALLOW_CREDENTIALS": "true"}).allow_origins
        ('https://a.example', 'https://b.example')
        """
        return cls.from_reading(read_mapping(mapping, prefix))

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


_DEFAULTS = dict(DEFAULTS)


def _all_problems(given: Mapping[str, object]) -> tuple[Problem, ...]:
    return Reading(dict(given)).check()
