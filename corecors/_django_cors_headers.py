"""Reader of django-cors-headers' settings (``CORS_*``), current and old names.

django-cors-headers reads its settings from Django's ``settings``; this
reader takes them as a mapping (a settings module's ``vars()``, or a dict
read from JSON or TOML) and returns the :class:`~corecors.Reading` of the
policy they describe, problems named by the ``CORS_*`` key.

What it keeps, and what it refuses:

- Unset settings take django-cors-headers' defaults (its methods, its
  headers, ``CORS_PREFLIGHT_MAX_AGE = 86400``), and its preflight status,
  ``200``; ``CORS_PREFLIGHT_MAX_AGE = 0`` sends no ``Access-Control-Max-Age``.
- ``CORS_ALLOW_ALL_ORIGINS`` replaces the origin lists, as it does there;
  with ``CORS_ALLOW_CREDENTIALS`` it is refused (django-cors-headers then
  reflects every origin with credentials).
- Its origin regexes are ``re.match`` prefix matches: ``^https://a\\.example``
  also lets in ``https://a.example.evil.net``. corecors matches the whole
  Origin, so a regex that does not end in ``$`` or ``\\Z`` is refused with
  its anchored form as the fix: anchoring it is what keeps its meaning
  honest, and the person migrating says so by writing it.
- ``CORS_URLS_REGEX`` is a URL scope, which a :class:`~corecors.Config`
  cannot hold: one that does not cover every path is refused with the
  ``CORECORS_URLS_REGEX`` to write instead (matched against the whole path).
- A current name and its old name both set, and unknown ``CORS_*`` keys, are
  refused; other keys (the rest of a settings module) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import Problem, suggest
from ._readers import Reading

__all__ = ["DEFAULT_HEADERS", "DEFAULT_METHODS", "SETTINGS", "read_django_cors_headers"]

#: django-cors-headers' default ``CORS_ALLOW_METHODS``.
DEFAULT_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
#: django-cors-headers' default ``CORS_ALLOW_HEADERS``.
DEFAULT_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
)
_DEFAULT_MAX_AGE = 86400
# django-cors-headers answers a preflight with an empty 200.
_PREFLIGHT_STATUS = 200

#: Each setting read, with its old name (or None).
SETTINGS: Mapping[str, str | None] = {
    "CORS_ALLOWED_ORIGINS": "CORS_ORIGIN_WHITELIST",
    "CORS_ALLOWED_ORIGIN_REGEXES": "CORS_ORIGIN_REGEX_WHITELIST",
    "CORS_ALLOW_ALL_ORIGINS": "CORS_ORIGIN_ALLOW_ALL",
    "CORS_ALLOW_METHODS": None,
    "CORS_ALLOW_HEADERS": None,
    "CORS_EXPOSE_HEADERS": None,
    "CORS_ALLOW_CREDENTIALS": None,
    "CORS_PREFLIGHT_MAX_AGE": None,
    "CORS_ALLOW_PRIVATE_NETWORK": None,
    "CORS_URLS_REGEX": None,
}
_OLD = {old: new for new, old in SETTINGS.items() if old is not None}
_KNOWN = frozenset(SETTINGS) | frozenset(_OLD)
# Settings that django-cors-headers itself dropped.
_REMOVED = frozenset({"CORS_MODEL", "CORS_REPLACE_HTTPS_REFERER"})
_PASSED = {
    "CORS_ALLOW_CREDENTIALS": "allow_credentials",
    "CORS_ALLOW_PRIVATE_NETWORK": "allow_private_network",
}
# CORS_URLS_REGEX values that cover every path (django-cors-headers' default).
_EVERY_PATH = frozenset({r"^.*$", r"^.*", r".*", r".*$", r"^.*\Z"})
_PREFIX = "CORS_"


def read_django_cors_headers(mapping: object) -> Reading:
    """Read django-cors-headers' ``CORS_*`` settings (a mapping) into Config options.

    >>> r = read_django_cors_headers({"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://a\\.example"]})
    >>> [(p.code, p.option, p.index) for p in r.problems]
    [('CC006', 'CORS_ALLOWED_ORIGIN_REGEXES', 0)]
    """
    problems: list[Problem] = []
    if not isinstance(mapping, Mapping):
        problems.append(
            Problem(
                "CC002",
                "error",
                "django-cors-headers",
                mapping,
                "is not a mapping of settings",
                "pass the settings as a dict, such as vars(settings_module)",
            )
        )
        return Reading({"enabled": False}, tuple(problems))
    for key in mapping:
        if isinstance(key, str) and key.startswith(_PREFIX) and key not in _KNOWN:
            problems.append(_unknown(key, mapping[key]))
    names: dict[str, str] = {}
    options: dict[str, Any] = {"preflight_status": _PREFLIGHT_STATUS}
    places: dict[tuple[str, int], tuple[str, int]] = {}

    def get(new: str) -> tuple[str, Any] | None:
        old = SETTINGS[new]
        if new in mapping:
            if old is not None and old in mapping:
                problems.append(
                    Problem(
                        "CC008",
                        "error",
                        old,
                        mapping[old],
                        f"is set as well as {new}, which replaces it",
                        f"remove {old}; keep {new}",
                    )
                )
            return new, mapping[new]
        if old is not None and old in mapping:
            return old, mapping[old]
        return None

    allow_all = get("CORS_ALLOW_ALL_ORIGINS")
    if allow_all is not None and allow_all[1]:
        names["allow_origins"] = allow_all[0]
        options["allow_origins"] = "*"
    else:
        origins = get("CORS_ALLOWED_ORIGINS")
        if origins is not None:
            names["allow_origins"] = origins[0]
            options["allow_origins"] = _list(problems, *origins)
        regexes = get("CORS_ALLOWED_ORIGIN_REGEXES")
        if regexes is not None:
            names["allow_origin_regexes"] = regexes[0]
            options["allow_origin_regexes"] = _regexes(problems, places, *regexes)
    for key, option, default in (
        ("CORS_ALLOW_METHODS", "allow_methods", DEFAULT_METHODS),
        ("CORS_ALLOW_HEADERS", "allow_headers", DEFAULT_HEADERS),
        ("CORS_EXPOSE_HEADERS", "expose_headers", ()),
    ):
        found = get(key)
        names[option] = key
        options[option] = default if found is None else _list(problems, *found)
    for key, option in _PASSED.items():
        found = get(key)
        if found is not None:
            names[option] = key
            options[option] = found[1]
    max_age = get("CORS_PREFLIGHT_MAX_AGE")
    names["max_age"] = "CORS_PREFLIGHT_MAX_AGE"
    value = _DEFAULT_MAX_AGE if max_age is None else max_age[1]
    # django-cors-headers sends Access-Control-Max-Age only when it is truthy.
    options["max_age"] = -1 if value is None or (type(value) is int and value == 0) else value
    urls = get("CORS_URLS_REGEX")
    if urls is not None:
        _urls_regex(problems, urls[1])
    return Reading(options, tuple(problems), names, places)


def _unknown(key: str, value: object) -> Problem:
    if key in _REMOVED:
        return Problem(
            "CC003",
            "error",
            key,
            value,
            "is a setting django-cors-headers no longer has",
            f"remove {key}",
        )
    close = suggest(key, _KNOWN)
    return Problem(
        "CC003",
        "error",
        key,
        value,
        "is not a django-cors-headers setting",
        f"did you mean {close}?" if close else "see django-cors-headers' list of settings",
    )


def _list(problems: list[Problem], key: str, value: object) -> list[Any]:
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (str, bytes)):
        return list(value)
    problems.append(
        Problem(
            "CC004",
            "error",
            key,
            value,
            "is not a list",
            f"write a list, such as [{value!r}]"
            if isinstance(value, str)
            else "write a list of strings",
        )
    )
    return []


def _regexes(
    problems: list[Problem],
    places: dict[tuple[str, int], tuple[str, int]],
    key: str,
    value: object,
) -> list[Any]:
    out: list[Any] = []
    for i, entry in enumerate(_list(problems, key, value)):
        text = entry.pattern if isinstance(entry, re.Pattern) else entry
        if not isinstance(text, str):
            problems.append(
                Problem("CC004", "error", key, entry, "is not a regex", "write a string", i)
            )
            continue
        places["allow_origin_regexes", len(out)] = (key, i)
        if _anchored(text):
            out.append(entry)
            continue
        fixed = _anchored_form(text)
        problems.append(
            Problem(
                "CC006",
                "error",
                key,
                text,
                "is matched as a prefix by django-cors-headers (re.match), so it also "
                "lets in origins that merely start with an allowed one, such as "
                "https://app.example.com.evil.net; corecors matches the whole Origin",
                f"write the anchored form {fixed!r}",
                i,
            )
        )
        out.append(fixed)
    return out


def _anchored(text: str) -> bool:
    return text.endswith(r"\Z") or (text.endswith("$") and not text.endswith(r"\$"))


def _anchored_form(text: str) -> str:
    body = text[1:] if text.startswith("^") else text
    if "|" in body:
        body = f"(?:{body})"
    return f"^{body}$"


def _urls_regex(problems: list[Problem], value: object) -> None:
    text = value.pattern if isinstance(value, re.Pattern) else value
    if not isinstance(text, str):
        problems.append(
            Problem(
                "CC004",
                "error",
                "CORS_URLS_REGEX",
                value,
                "is not a regex",
                r"write a string, such as r'^/api/.*$'",
            )
        )
        return
    if text in _EVERY_PATH:
        return
    body = text[1:] if text.startswith("^") else text
    if body.endswith(r"\Z"):
        body = body[:-2]
    elif _anchored(body):
        body = body[:-1]
    else:
        body += ".*"
    problems.append(
        Problem(
            "CC008",
            "error",
            "CORS_URLS_REGEX",
            text,
            "is a URL scope, which a corecors Config does not hold",
            f"in Django, set CORECORS_URLS_REGEX = {body!r} (matched against the whole "
            "path) beside the Config, and read the other settings without CORS_URLS_REGEX",
        )
    )
