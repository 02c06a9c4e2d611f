"""The ``corecors`` command: ``corecors explain``, ``corecors lint`` and ``corecors probe``.

``explain`` plays one browser request through a config: whether the browser
sends a preflight, what corecors answers to it and to the actual request,
and what the browser then does with those answers. ``lint`` reports every
error :class:`~corecors.Config` would refuse and every setting that is legal
but risky or pointless, each with a stable code, where it is and the fix.

Both read a TOML or JSON file of Config options, or a Gravitee API
definition (see :doc:`/cli`). Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, TextIO

from . import __version__
from ._config import OPTIONS, Config
from ._decide import decide
from ._django_cors_headers import read_django_cors_headers
from ._errors import ConfigError
from ._model import REASONS, Decision, Header, Request
from ._probe import add_arguments as add_probe_arguments
from ._probe import run_probe
from ._readers import KEYS as GRAVITEE_KEYS
from ._readers import classify_origin, find_cors, read_options
from ._regexes import matches_everything
from ._syntax import ORIGIN_VALUE, TOKEN, Origin, parse_origin

__all__ = ["main"]

# Exit statuses, the same for both subcommands.
EXIT_OK = 0
EXIT_REFUSED = 1  # explain: the browser would fail; lint: findings
EXIT_BAD_INPUT = 2  # bad arguments, unreadable file, unusable config (explain)

# -- what browsers do (WHATWG Fetch) -------------------------------------------

# Fetch, "CORS-safelisted method": GET, HEAD, POST.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# Fetch, "normalize a method": these six are upper-cased; every other method
# is sent exactly as the script wrote it.
NORMALISED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# Fetch, "forbidden method": fetch() throws a TypeError for these.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# Fetch, "forbidden request-header": a script cannot set these (the browser
# silently drops them), nor any name starting with "proxy-" or "sec-".
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_PREFIXES = ("proxy-", "sec-")
# Fetch, "CORS-safelisted response-header name": readable by every script.
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
# Fetch, "forbidden response-header name": never exposed to a script.
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# Fetch, "CORS-unsafe request-header byte".
_UNSAFE_BYTES = frozenset([chr(c) for c in range(0x20) if c != 0x09] + list('"():<>?@[\\]{}\x7f'))
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Chromium caps Access-Control-Max-Age at two hours; Firefox at 24 hours.
CHROMIUM_MAX_AGE = 7200
FIREFOX_MAX_AGE = 86400


def is_forbidden_request_header(name: str) -> bool:
    lname = name.lower()
    return lname in FORBIDDEN_REQUEST_HEADERS or lname.startswith(FORBIDDEN_REQUEST_PREFIXES)


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Fetch, "CORS-safelisted request-header": the name with this value."""
    lname = name.lower()
    if len(value.encode("utf-8")) > 128:
        return False
    if lname == "accept":
        return not any(c in _UNSAFE_BYTES for c in value)
    if lname in ("accept-language", "content-language"):
        return re.fullmatch(r"[0-9A-Za-z *,\-.;=]*", value) is not None
    if lname == "content-type":
        if any(c in _UNSAFE_BYTES for c in value):
            return False
        essence = value.split(";", 1)[0].strip(" \t\r\n").lower()
        return essence in _SAFELISTED_CONTENT_TYPES
    if lname == "range":
        # Fetch: a "simple range header value": bytes=START-[END].
        match = re.fullmatch(r"bytes=([0-9]+)-([0-9]*)", value)
        return match is not None and (
            not match.group(2) or int(match.group(1)) <= int(match.group(2))
        )
    return False


# Names assumed safelisted when --header gives no value: their usual values are.
_SAFELISTED_WITHOUT_VALUE = frozenset({"accept", "accept-language", "content-language"})


@dataclass(frozen=True)
class HeaderArg:
    """One ``--header`` argument: ``NAME`` or ``NAME: VALUE``."""

    name: str
    value: str | None

    @property
    def forbidden(self) -> bool:
        return is_forbidden_request_header(self.name)

    def safelisted(self) -> bool:
        if self.value is None:
            return self.name.lower() in _SAFELISTED_WITHOUT_VALUE
        return is_safelisted_request_header(self.name, self.value)


@dataclass(frozen=True)
class BrowserRequest:
    """A request as a script asks a browser for it, after the browser's rules."""

    origin: str
    method: str
    path: str
    headers: tuple[HeaderArg, ...]
    credentials: bool
    private_network: bool

    def sent_headers(self) -> tuple[HeaderArg, ...]:
        return tuple(h for h in self.headers if not h.forbidden)

    def unsafe_names(self) -> list[str]:
        """Fetch, "CORS-unsafe request-header names": sorted, lower-case."""
        sent = self.sent_headers()
        unsafe = {h.name.lower() for h in sent if not h.safelisted()}
        safelisted_size = sum(len((h.value or "").encode("utf-8")) for h in sent if h.safelisted())
        if safelisted_size > 1024:
            # Fetch: past 1024 bytes of safelisted values, all of them count.
            unsafe |= {h.name.lower() for h in sent}
        return sorted(unsafe)

    def preflight_why(self) -> list[str]:
        """Why the browser sends a preflight first; empty if it does not."""
        why: list[str] = []
        if self.method not in SAFELISTED_METHODS:
            why.append(f"{self.method} is not a CORS-safelisted method (GET, HEAD, POST)")
        unsafe = self.unsafe_names()
        if unsafe:
            why.append(
                "the request sets "
                + ", ".join(unsafe)
                + ","
                + (
                    " which is not a CORS-safelisted request header"
                    if len(unsafe) == 1
                    else " which are not CORS-safelisted request headers"
                )
            )
        if self.private_network:
            why.append(
                "it goes from a public page to a private-network address (Private Network Access)"
            )
        return why


def _get(headers: Sequence[Header], name: str) -> str | None:
    """Fetch, "get" a header: every value of *name*, combined with ", "."""
    values = [v for n, v in headers if n.lower() == name.lower()]
    return ", ".join(values) if values else None


def _list_values(value: str | None) -> list[str]:
    if value is None:
        return []
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


def browser_cors_check(headers: Sequence[Header], request: BrowserRequest) -> str | None:
    """Fetch, "CORS check". None when it passes, else what went wrong."""
    acao = _get(headers, "Access-Control-Allow-Origin")
    if acao is None:
        return "the response has no Access-Control-Allow-Origin header"
    # "If request's credentials mode is not "include" and origin is `*`, return success."
    if acao == "*" and not request.credentials:
        return None
    if acao == "*":
        return (
            "Access-Control-Allow-Origin is '*', which a credentialed request never "
            "accepts: it needs the exact origin and Access-Control-Allow-Credentials: true"
        )
    # "If the result of byte-serializing a request origin with request is not
    # origin, then return failure."
    if acao != request.origin:
        return (
            f"Access-Control-Allow-Origin is {show(acao)}, not the page's origin "
            f"{show(request.origin)}"
        )
    if not request.credentials:
        return None
    # "If credentials is `true`, then return success."
    if _get(headers, "Access-Control-Allow-Credentials") != "true":
        return (
            "the request is credentialed (cookies, HTTP auth) and the response lacks "
            "Access-Control-Allow-Credentials: true"
        )
    return None


def browser_preflight_check(
    status: int | None, headers: Sequence[Header], request: BrowserRequest
) -> str | None:
    """Fetch, "CORS-preflight fetch", steps after the response arrives."""
    if status is not None and not 200 <= status <= 299:
        return f"the preflight response has status {status}; a preflight needs a 2xx status"
    problem = browser_cors_check(headers, request)
    if problem:
        return problem
    methods = _list_values(_get(headers, "Access-Control-Allow-Methods"))
    wildcard_ok = not request.credentials
    # "If request's method is not in methods, request's method is not a
    # CORS-safelisted method, and request's credentials mode is "include" or
    # methods does not contain `*`, then return a network error."
    if (
        request.method not in methods
        and request.method not in SAFELISTED_METHODS
        and not (wildcard_ok and "*" in methods)
    ):
        if not methods:
            return (
                "the response has no Access-Control-Allow-Methods, so only GET, HEAD "
                f"and POST may follow, not {request.method}"
            )
        note = (
            " (methods are case-sensitive)"
            if request.method.upper() in {m.upper() for m in methods}
            else ""
        )
        if "*" in methods:
            note = " ('*' is the literal method name '*' on a credentialed request)"
        return (
            f"Access-Control-Allow-Methods ({', '.join(methods)}) does not list "
            f"{request.method}{note}"
        )
    names = [n.lower() for n in _list_values(_get(headers, "Access-Control-Allow-Headers"))]
    unsafe = request.unsafe_names()
    # "If one of request's header list's names is a CORS non-wildcard
    # request-header name and is not a byte-case-insensitive match for an item
    # in headerNames, then return a network error."
    if "authorization" in unsafe and "authorization" not in names:
        return "Access-Control-Allow-Headers does not list Authorization ('*' never covers it)"
    for name in unsafe:
        if name not in names and not (wildcard_ok and "*" in names):
            if "*" in names:
                return (
                    f"Access-Control-Allow-Headers does not list {name} ('*' is the "
                    "literal header name '*' on a credentialed request)"
                )
            return f"Access-Control-Allow-Headers does not list {name}"
    # Private Network Access: the preflight must be answered with
    # "Access-Control-Allow-Private-Network: true".
    if request.private_network and _get(headers, "Access-Control-Allow-Private-Network") != "true":
        return (
            "the request goes to a private network and the response lacks "
            "Access-Control-Allow-Private-Network: true"
        )
    return None


def readable_headers(headers: Sequence[Header], request: BrowserRequest) -> str:
    """Which response headers the script may read (Fetch, CORS-exposed header names)."""
    exposed = _list_values(_get(headers, "Access-Control-Expose-Headers"))
    base = (
        "the CORS-safelisted headers (Cache-Control, Content-Language, Content-Length, "
        "Content-Type, Expires, Last-Modified, Pragma)"
    )
    if "*" in exposed and not request.credentials:
        return "every header except Set-Cookie"
    if exposed:
        return base + " plus " + ", ".join(exposed)
    return base


# -- output ----------------------------------------------------------------------


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


def _wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(40, _width() - indent),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


# -- reading files ---------------------------------------------------------------


class InputError(Exception):
    """A file that cannot be read or parsed at all."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def read_document(path: str) -> tuple[str, Any]:
    """Read *path* as TOML or JSON; return ``("TOML" | "JSON", document)``.

    ``.toml`` files are TOML and ``.json`` files JSON; anything else is tried
    as JSON, then as TOML.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or exc})",
            "check the path; corecors reads TOML and JSON files",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", "save the file as UTF-8 TOML or JSON") from None
    suffix = Path(path).suffix.lower()
    tries: list[str] = (
        ["TOML"]
        if suffix == ".toml"
        else ["JSON"]
        if suffix == ".json"
        else ["JSON", "TOML"]
        if text.lstrip().startswith("{")
        else ["TOML", "JSON"]
    )
    first_error = ""
    for syntax in tries:
        try:
            if syntax == "JSON":
                return syntax, json.loads(text)
            return syntax, tomllib.loads(text)
        except json.JSONDecodeError as exc:
            problem = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        except tomllib.TOMLDecodeError as exc:
            problem = f"is not valid TOML: {exc}"
        first_error = first_error or problem
    raise InputError(first_error, "correct the syntax at the place named")


# -- what a file holds -------------------------------------------------------------

_GRAVITEE_MARKERS = frozenset(GRAVITEE_KEYS) - {"enabled"} | {
    "proxy",
    "listeners",
    "api",
    "cors",
    "definitionVersion",
    "gravitee",
}
# Gravitee's key for each Config option it sets.
_GRAVITEE_NAMES = {v: k for k, v in GRAVITEE_KEYS.items()} | {
    "allow_origin_regexes": "allowOrigin",
}


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
    """Say what *document* is: corecors options or a Gravitee definition.

    - a ``[corecors]`` table (or ``[tool.corecors]``, as in pyproject.toml):
      corecors options;
    - otherwise, any Gravitee key at the top (``allowOrigin``, ``proxy``,
      ``listeners``, ``api``, ``definitionVersion``, ...): a Gravitee cors
      object or API definition;
    - otherwise: corecors options at the top level.
    """
    if not isinstance(document, Mapping):
        raise NotAConfig(
            f"holds a JSON {type(document).__name__}, not an object",
            'write the options as an object, such as {"allow_origins": [...]}',
        )
    tool = document.get("tool")
    if isinstance(document.get("corecors"), Mapping):
        return [
            Source(file, f"corecors options, {syntax}", False, "corecors", document["corecors"])
        ]
    if isinstance(tool, Mapping) and isinstance(tool.get("corecors"), Mapping):
        return [
            Source(file, f"corecors options, {syntax}", False, "tool.corecors", tool["corecors"])
        ]
    if not _GRAVITEE_MARKERS & document.keys():
        return [Source(file, f"corecors options, {syntax}", False, "", document)]
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


# -- options with their places -------------------------------------------------------


@dataclass
class Item:
    value: Any
    path: str


@dataclass
class Options:
    """The Config options a source sets, each value with its key path."""

    scalars: dict[str, Item] = field(default_factory=dict)
    lists: dict[str, list[Item]] = field(default_factory=dict)
    list_paths: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: item.value for k, item in self.scalars.items()}
        out.update({k: [item.value for item in items] for k, items in self.lists.items()})
        return out


_LIST_OPTIONS = frozenset(
    {"allow_origins", "allow_origin_regexes", "allow_methods", "allow_headers", "expose_headers"}
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Literal["error", "warning"]
    file: str
    path: str
    message: str
    fix: str

    @property
    def location(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "path": self.path,
            "location": self.location,
            "message": self.message,
            "fix": self.fix,
        }


def _as_list(
    value: Any, path: str, name: str, source: Source, report: Callable[..., None]
) -> list[Item] | None:
    if value is None and source.gravitee:
        return []
    if isinstance(value, str):
        return [Item(value, path)]
    if isinstance(value, list):
        return [Item(v, f"{path}[{i}]") for i, v in enumerate(value)]
    report(
        "CC004",
        path,
        f"{name}: {show(value)} is a {type(value).__name__}, not a list",
        f"write {name} as a list of strings",
    )
    return None


def collect_options(source: Source, report: Callable[..., None]) -> Options:
    """Gather the options *source* sets, as Config would receive them."""
    opts = Options()
    mapping = source.mapping
    if mapping is None:  # a Gravitee API definition without a cors object
        opts.scalars["enabled"] = Item(False, source.prefix)
        return opts
    if not source.gravitee:
        for key, value in mapping.items():
            path = source.path(key)
            if key not in OPTIONS:
                close = difflib.get_close_matches(str(key), OPTIONS, n=1)
                report(
                    "CC003",
                    path,
                    f"{show(key)} is not a corecors option",
                    f"did you mean {show(close[0])}?"
                    if close
                    else "see the list of options in the documentation",
                )
            elif key in _LIST_OPTIONS:
                items = _as_list(value, path, key, source, report)
                if items is not None:
                    opts.lists[key] = items
                    opts.list_paths[key] = path
            else:
                opts.scalars[key] = Item(value, path)
        return opts
    # Gravitee: the same conversion as Config.from_gravitee, keeping each
    # value's key path. Gravitee leaves CORS off unless enabled is true.
    opts.scalars["enabled"] = Item(bool(mapping.get("enabled", False)), source.path("enabled"))
    if "allowOrigin" in mapping:
        path = source.path("allowOrigin")
        entries = _as_list(mapping["allowOrigin"], path, "allowOrigin", source, report) or []
        origins: list[Item] = []
        regexes: list[Item] = []
        for item in entries:
            kind, value = classify_origin(item.value)
            (regexes if kind == "regex" else origins).append(Item(value, item.path))
        opts.lists["allow_origins"] = origins
        opts.lists["allow_origin_regexes"] = regexes
        opts.list_paths["allow_origins"] = opts.list_paths["allow_origin_regexes"] = path
    for key in ("allowMethods", "allowHeaders", "exposeHeaders"):
        if key in mapping:
            path = source.path(key)
            items = _as_list(mapping[key], path, key, source, report)
            if items is not None:
                opts.lists[GRAVITEE_KEYS[key]] = items
                opts.list_paths[GRAVITEE_KEYS[key]] = path
    for key in ("allowCredentials", "runPolicies", "allowPrivateNetwork", "maxAge"):
        if mapping.get(key) is not None:
            opts.scalars[GRAVITEE_KEYS[key]] = Item(mapping[key], source.path(key))
    return opts


# -- lint ------------------------------------------------------------------------

#: Every finding code: (severity, what it means). docs/cli.md documents them.
CODES: dict[str, tuple[Literal["error", "warning"], str]] = {
    "CC001": ("error", "the file cannot be read, or is not valid TOML or JSON"),
    "CC002": ("error", "the file is neither corecors options nor a Gravitee definition"),
    "CC003": ("error", "an unknown option name"),
    "CC004": ("error", "a value of the wrong type or out of range"),
    "CC005": ("error", "an allowed origin that is not an origin or a safe pattern"),
    "CC006": ("error", "an origin regex that is invalid or lets strangers' origins in"),
    "CC007": ("error", "a method or header name that is not a valid HTTP token"),
    "CC008": ("error", "options that are refused together"),
    "CC101": ("warning", "'*' lets every website read the responses"),
    "CC102": ("warning", "an entry listed twice"),
    "CC103": ("warning", "an origin already covered by another entry"),
    "CC104": ("warning", "max_age above what browsers honour"),
    "CC105": ("warning", "exposing a header every script can read anyway"),
    "CC106": ("warning", "allowing a request header scripts cannot set"),
    "CC107": ("warning", "allowing a method browsers refuse to send"),
    "CC108": ("warning", "a method that is not in upper case"),
    "CC109": ("warning", "no origin is allowed"),
    "CC110": ("warning", "CORS is disabled"),
    "CC111": ("warning", "names listed beside '*' that '*' already covers"),
    "CC112": ("warning", "a regex that matches every origin"),
    "CC113": ("warning", "exposing a header browsers never expose"),
    "CC114": ("warning", "a dangerously_* option is on"),
    "CC115": ("warning", "a Gravitee glob that Gravitee itself reads as a broken regex"),
}

# How each per-entry check's ConfigError is classified.
_ENTRY_CODES = {
    "allow_origins": "CC005",
    "allow_origin_regexes": "CC006",
    "allow_methods": "CC007",
    "allow_headers": "CC007",
    "expose_headers": "CC007",
}
# The options that change whether an entry is accepted.
_CONTEXT = (
    "allow_credentials",
    "allow_private_network",
    "dangerously_allow_http_origins_with_credentials",
    "dangerously_allow_any_origin_with_credentials",
)


class Linter:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.findings: list[Finding] = []

    def report(self, code: str, path: str, message: str, fix: str) -> None:
        self.findings.append(Finding(code, CODES[code][0], self.source.file, path, message, fix))

    def _name(self, option: str) -> str:
        return _GRAVITEE_NAMES.get(option, option) if self.source.gravitee else option

    def _refused(self, code: str, path: str, exc: ConfigError) -> None:
        name = self._name(exc.option)
        self.report(code, path, f"{name}: {show(exc.value)} {exc.problem}", exc.fix)

    def run(self) -> list[Finding]:
        opts = collect_options(self.source, self.report)
        clean = self.validate(opts)
        self.warn(clean, opts)
        return self.findings

    # errors: everything Config refuses, entry by entry, then together

    def validate(self, opts: Options) -> Options:
        clean = Options(list_paths=dict(opts.list_paths))
        for name, item in opts.scalars.items():
            try:
                Config(**{name: item.value})
            except ConfigError as exc:
                self._refused("CC004", item.path, exc)
            else:
                clean.scalars[name] = item
        context = {k: clean.scalars[k].value for k in _CONTEXT if k in clean.scalars}
        for name, items in opts.lists.items():
            kept: list[Item] = []
            for item in items:
                one: dict[str, Any] = {name: [item.value]}
                try:
                    Config(**one)
                except ConfigError as exc:
                    self._refused(_ENTRY_CODES[name], item.path, exc)
                    continue
                try:
                    Config(**one, **context)
                except ConfigError as exc:
                    self._refused("CC008", item.path, exc)
                    continue
                kept.append(item)
            clean.lists[name] = kept
        # What is only refused in combination: Config stops at the first
        # problem, so drop the entry it names and try again.
        for _ in range(50):
            try:
                Config(**clean.values())
            except ConfigError as exc:
                if not self._drop(clean, exc):
                    break
            else:
                break
        return clean

    def _drop(self, clean: Options, exc: ConfigError) -> bool:
        items = clean.lists.get(exc.option, [])
        for item in items:
            if item.value == exc.value or _normal_origin(item.value) == exc.value:
                self._refused("CC008", item.path, exc)
                items.remove(item)
                return True
        if exc.option in clean.scalars:
            self._refused("CC008", clean.scalars.pop(exc.option).path, exc)
            return True
        self._refused("CC008", clean.list_paths.get(exc.option, self.source.prefix), exc)
        return False

    # warnings: legal but risky or pointless

    def warn(self, clean: Options, opts: Options) -> None:
        scalars = {k: item.value for k, item in clean.scalars.items()}
        lists = clean.lists
        enabled = scalars.get("enabled", True)
        credentials = scalars.get("allow_credentials", False)
        if enabled is False:
            where = clean.scalars["enabled"].path
            if self.source.mapping is None:
                self.report(
                    "CC110",
                    where,
                    "this API definition has no cors object, so Gravitee adds no "
                    "CORS headers and corecors imports it as enabled=False",
                    "add a cors object with enabled: true if browsers must call it",
                )
            else:
                self.report(
                    "CC110",
                    where,
                    f"{self._name('enabled')} is false: nothing is checked and no "
                    "CORS header is sent",
                    f"set {self._name('enabled')} to true, or drop this config",
                )
            return
        self._warn_origins(
            lists.get("allow_origins", []),
            lists.get("allow_origin_regexes", []),
            credentials,
            clean,
            opts,
        )
        self._warn_methods(lists.get("allow_methods", []))
        self._warn_request_headers(lists.get("allow_headers", []))
        self._warn_expose(lists.get("expose_headers", []))
        max_age = clean.scalars.get("max_age")
        if max_age is not None and max_age.value > CHROMIUM_MAX_AGE:
            self.report(
                "CC104",
                max_age.path,
                f"{self._name('max_age')} is {max_age.value} seconds, but Chromium caches a "
                f"preflight for {CHROMIUM_MAX_AGE} at most"
                + (
                    f" and Firefox for {FIREFOX_MAX_AGE}" if max_age.value > FIREFOX_MAX_AGE else ""
                ),
                f"write {CHROMIUM_MAX_AGE} or less",
            )
        for name in (
            "dangerously_allow_http_origins_with_credentials",
            "dangerously_allow_any_origin_with_credentials",
        ):
            item = clean.scalars.get(name)
            if item is not None and item.value is True:
                self.report(
                    "CC114",
                    item.path,
                    f"{name} is on: origins that strangers can act as may send "
                    "your users' credentials",
                    "remove it once the origins it was needed for are https or named",
                )

    def _warn_origins(
        self,
        origins: list[Item],
        regexes: list[Item],
        credentials: bool,
        clean: Options,
        given: Options,
    ) -> None:
        if not given.lists.get("allow_origins") and not given.lists.get("allow_origin_regexes"):
            path = clean.list_paths.get(
                "allow_origins", self.source.path(self._name("allow_origins"))
            )
            self.report(
                "CC109",
                path,
                "no origin is allowed, so every cross-origin request is refused"
                + (" (allow_credentials is on, but no origin may use it)" if credentials else ""),
                f"list the origins of your sites in {self._name('allow_origins')}",
            )
        seen: dict[str, Item] = {}
        any_origin: Item | None = None
        exact: list[tuple[Item, str]] = []
        patterns: list[tuple[Item, Origin]] = []
        for item in origins:
            norm = _normal_origin(item.value)
            if norm in seen:
                self.report(
                    "CC102",
                    item.path,
                    f"{show(item.value)} is listed already, at {seen[norm].path}",
                    "remove one of them",
                )
                continue
            seen[norm] = item
            if norm == "*":
                any_origin = item
                self.report(
                    "CC101",
                    item.path,
                    "'*' lets every website on the internet read the responses",
                    "list your sites' origins, unless this is a public API that needs no "
                    "cookies or tokens",
                )
            elif "*" in norm:
                patterns.append((item, parse_origin("", norm, pattern=True)))
            else:
                exact.append((item, norm))
        compiled = [
            (item, re.compile(item.value) if isinstance(item.value, str) else item.value)
            for item in regexes
        ]
        seen_rx: dict[str, Item] = {}
        for item, rx in compiled:
            if rx.pattern in seen_rx:
                self.report(
                    "CC102",
                    item.path,
                    f"the regex {show(rx.pattern)} is listed already, at "
                    f"{seen_rx[rx.pattern].path}",
                    "remove one of them",
                )
                continue
            seen_rx[rx.pattern] = item
            if matches_everything(rx):
                self.report(
                    "CC112",
                    item.path,
                    f"the regex {show(rx.pattern)} matches every origin, even 'null'",
                    "write '*' if every website may read the responses, or name your origins",
                )
                continue
        # Entries another entry already covers.
        for item, norm in exact:
            cover = self._covered_by(norm, any_origin, patterns, compiled)
            if cover:
                self.report(
                    "CC103",
                    item.path,
                    f"{show(norm)} is already allowed by {cover}",
                    "remove the narrower entry, or the broader one if it was a mistake",
                )
        for item, pattern in patterns:
            if any_origin is not None:
                self.report(
                    "CC103",
                    item.path,
                    f"{show(item.value)} is already allowed by '*' at {any_origin.path}",
                    "remove the narrower entry, or the '*' if it was a mistake",
                )
                continue
            for other, wider in patterns:
                if other is not item and _pattern_covers(wider, pattern):
                    self.report(
                        "CC103",
                        item.path,
                        f"{show(pattern.serialise())} is already allowed by "
                        f"{show(wider.serialise())} at {other.path}",
                        "remove the narrower entry, or the broader one if it was a mistake",
                    )
                    break
        if any_origin is not None:
            for item, rx in compiled:
                self.report(
                    "CC103",
                    item.path,
                    f"the regex {show(rx.pattern)} adds nothing to '*' at {any_origin.path}",
                    "remove the regex, or the '*' if it was a mistake",
                )
        if self.source.gravitee:
            for item, pattern in patterns:
                self._warn_gravitee_glob(item, pattern)

    @staticmethod
    def _covered_by(
        origin: str,
        any_origin: Item | None,
        patterns: list[tuple[Item, Origin]],
        regexes: list[tuple[Item, re.Pattern[str]]],
    ) -> str | None:
        if any_origin is not None:
            return f"'*' at {any_origin.path}"
        for item, pattern in patterns:
            if re.fullmatch(pattern.regex(), origin):
                return f"the pattern {show(pattern.serialise())} at {item.path}"
        for item, rx in regexes:
            if rx.fullmatch(origin):
                return f"the regex {show(rx.pattern)} at {item.path}"
        return None

    def _warn_gravitee_glob(self, item: Item, pattern: Origin) -> None:
        raw = self._raw_origin(item)
        intended = pattern._replace(
            host=("api." if pattern.any_subdomain else "") + pattern.host,
            port="8080" if pattern.port == "*" else pattern.port,
            any_subdomain=False,
        ).serialise()
        try:
            as_regex = re.compile(raw)
        except re.error:
            return
        if as_regex.fullmatch(intended):
            return
        leak = next(
            (
                probe
                for probe in (raw.replace("*.", "x", 1), raw.replace("*.", "", 1) + ":::")
                if probe != raw and as_regex.fullmatch(probe)
            ),
            None,
        )
        self.report(
            "CC115",
            item.path,
            f"Gravitee reads {show(raw)} as a regex that does not match {show(intended)}"
            + (f" but does match {show(leak)}" if leak else "")
            + f"; corecors reads it as the origin pattern {pattern.serialise()}, which is "
            "what it plainly means",
            "if Gravitee still serves this API, write the regex out, such as "
            + show(_pattern_regex_hint(pattern)),
        )

    def _raw_origin(self, item: Item) -> str:
        # The entry as the file spells it (classify_origin serialised it).
        mapping = self.source.mapping or {}
        raw = mapping.get("allowOrigin")
        index = re.search(r"\[(\d+)\]$", item.path)
        if isinstance(raw, list) and index:
            return str(raw[int(index.group(1))])
        return str(raw) if isinstance(raw, str) else str(item.value)

    def _warn_methods(self, methods: list[Item]) -> None:
        seen: dict[str, Item] = {}
        star = next((item for item in methods if item.value == "*"), None)
        for item in methods:
            method = item.value
            if method in seen:
                self.report(
                    "CC102",
                    item.path,
                    f"{show(method)} is listed already, at {seen[method].path}",
                    "remove one of them",
                )
                continue
            seen[method] = item
            if method.upper() in FORBIDDEN_METHODS:
                self.report(
                    "CC107",
                    item.path,
                    f"browsers never send {method.upper()}: fetch() and XMLHttpRequest refuse it",
                    "remove it",
                )
            elif method != "*" and method != method.upper():
                self.report(
                    "CC108",
                    item.path,
                    f"{show(method)} matches only a script that writes it exactly so: methods are "
                    f"case-sensitive, and browsers upper-case only DELETE, GET, HEAD, OPTIONS, "
                    "POST and PUT",
                    f"write {show(method.upper())}",
                )
            if star is not None and item is not star:
                self.report(
                    "CC111",
                    item.path,
                    f"{show(method)} is already covered by '*' at {star.path}",
                    "remove it, or the '*'",
                )

    def _unique_header_names(self, headers: list[Item]) -> list[Item]:
        """The first of each header name; CC102 for every repeat."""
        seen: dict[str, Item] = {}
        for item in headers:
            name = item.value
            if name.lower() in seen:
                self.report(
                    "CC102",
                    item.path,
                    f"{show(name)} is listed already, at {seen[name.lower()].path} "
                    "(header names are case-insensitive)",
                    "remove one of them",
                )
            else:
                seen[name.lower()] = item
        return list(seen.values())

    def _warn_request_headers(self, headers: list[Item]) -> None:
        star = next((item for item in headers if item.value == "*"), None)
        for item in self._unique_header_names(headers):
            name = item.value
            if is_forbidden_request_header(name):
                self.report(
                    "CC106",
                    item.path,
                    f"scripts cannot set {show(name)} (a forbidden request header): the "
                    "browser sets it or drops it, and never asks to send it",
                    "remove it",
                )
            elif star is not None and item is not star and name.lower() != "authorization":
                self.report(
                    "CC111",
                    item.path,
                    f"{show(name)} is already covered by '*' at {star.path}; only "
                    "Authorization must be named beside '*'",
                    "remove it, or the '*'",
                )

    def _warn_expose(self, headers: list[Item]) -> None:
        star = next((item for item in headers if item.value == "*"), None)
        for item in self._unique_header_names(headers):
            name = item.value
            if name.lower() in SAFELISTED_RESPONSE_HEADERS:
                self.report(
                    "CC105",
                    item.path,
                    f"{show(name)} is a CORS-safelisted response header: every script "
                    "can read it without being exposed",
                    "remove it",
                )
            elif name.lower() in FORBIDDEN_RESPONSE_HEADERS:
                self.report(
                    "CC113",
                    item.path,
                    f"browsers never let a script read {show(name)}, exposed or not",
                    "remove it",
                )
            elif star is not None and item is not star:
                self.report(
                    "CC111",
                    item.path,
                    f"{show(name)} is already covered by '*' at {star.path}",
                    "remove it, or the '*'",
                )


def show(value: object) -> str:
    """A value quoted for people: strings as written (no doubled backslashes)."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, re.Pattern):
        return show(value.pattern)
    return repr(value)


def _normal_origin(value: object) -> str:
    """An origin entry as Config stores it; other values as repr."""
    if not isinstance(value, str):
        return repr(value)
    if value == "*":
        return value
    try:
        return parse_origin("", value, pattern="*" in value).serialise()
    except ConfigError:
        return value


def _pattern_covers(wider: Origin, narrower: Origin) -> bool:
    if wider == narrower or wider.scheme != narrower.scheme:
        return False
    if wider.port != "*" and wider.port != narrower.port:
        return False
    if wider.any_subdomain:
        return narrower.host.endswith("." + wider.host) or (
            narrower.any_subdomain and narrower.host == wider.host
        )
    return not narrower.any_subdomain and narrower.host == wider.host


def _pattern_regex_hint(pattern: Origin) -> str:
    sub = r"([a-z0-9-]+\.)+" if pattern.any_subdomain else ""
    port = (
        r"(:[0-9]+)?"
        if pattern.port == "*"
        else (re.escape(":" + pattern.port) if pattern.port else "")
    )
    return f"{pattern.scheme}://{sub}{re.escape(pattern.host)}{port}"


def lint_file(path: str, reader: str = "auto") -> tuple[list[Finding], list[str], bool]:
    """Lint one file: its findings, what it was read as, and whether it was readable.

    *reader* ``"django-cors-headers"`` reads the file as django-cors-headers'
    ``CORS_*`` settings (:func:`corecors.read_django_cors_headers`).
    """
    try:
        syntax, document = read_document(path)
    except InputError as exc:
        return [Finding("CC001", "error", path, "", f"the file {exc.message}", exc.fix)], [], False
    if reader == "django-cors-headers":
        return (
            _lint_django_cors_headers(path, syntax, document),
            [f"django-cors-headers settings, {syntax}"],
            True,
        )
    try:
        sources = classify(path, syntax, document)
    except NotAConfig as exc:
        return [Finding("CC002", "error", path, "", f"the file {exc.message}", exc.fix)], [], True
    findings: list[Finding] = []
    for source in sources:
        findings.extend(Linter(source).run())
    kind = sources[0].kind
    if sources[0].gravitee and sources[0].prefix:
        kind += ", cors at " + " and ".join(source.prefix for source in sources)
    kinds = [kind]
    findings.sort(key=lambda f: f.severity != "error")  # errors first, stable otherwise
    return findings, kinds, True


def _lint_django_cors_headers(path: str, syntax: str, document: object) -> list[Finding]:
    findings = [
        Finding(p.code, p.severity, path, p.where, f"{p.value!r} {p.problem}", p.fix)
        for p in read_django_cors_headers(document).check()
    ]
    findings.sort(key=lambda f: f.severity != "error")  # errors first, stable otherwise
    return findings


def run_lint(args: argparse.Namespace, out: TextIO) -> int:
    style = Style(use_colour(args.color, out))
    results = [(path, *lint_file(path, args.source)) for path in args.config]
    findings = [f for _, fs, _, _ in results for f in fs]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    unreadable = any(not readable for *_, readable in results)
    if args.format == "json":
        json.dump(
            {
                "findings": [f.as_json() for f in findings],
                "files": [
                    {
                        "file": p,
                        "read_as": k,
                        "errors": sum(f.severity == "error" for f in fs),
                        "warnings": sum(f.severity == "warning" for f in fs),
                    }
                    for p, fs, k, _ in results
                ],
                "summary": {"files": len(results), "errors": errors, "warnings": warnings},
            },
            out,
            indent=2,
        )
        out.write("\n")
    else:
        for finding in findings:
            severity = f"{finding.severity:<8}"
            out.write(
                (style.bad(severity) if finding.severity == "error" else style.warn(severity))
                + " "
                + style.code(finding.code)
                + "  "
                + style.bold(finding.location)
                + "\n"
            )
            for line in _wrap(finding.message, 16):
                out.write(" " * 16 + line + "\n")
            for line in _wrap("fix: " + finding.fix, 16):
                out.write(" " * 16 + style.dim(line) + "\n")
        if findings:
            out.write("\n")
        for path, fs, kinds, _ in results:
            e = sum(f.severity == "error" for f in fs)
            w = len(fs) - e
            what = f" ({'; '.join(kinds)})" if kinds else ""
            verdict = (
                style.good("ok")
                if not fs
                else style.bad(_count(e, "error") + (", " + _count(w, "warning") if w else ""))
                if e
                else style.warn(_count(w, "warning"))
            )
            out.write(f"{path}{style.dim(what)}: {verdict}\n")
    if unreadable:
        return EXIT_BAD_INPUT
    if errors or (args.strict and warnings):
        return EXIT_REFUSED
    return EXIT_OK


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# -- explain -----------------------------------------------------------------------


class BadArgument(Exception):
    pass


def load_config(path: str) -> tuple[Config, str]:
    """The Config a file describes, and what the file was read as."""
    syntax, document = read_document(path)
    sources = classify(path, syntax, document)
    source = sources[0]
    if source.gravitee:
        return Config.from_gravitee(document), source.kind
    assert source.mapping is not None
    return Config.from_reading(read_options(source.mapping, source.prefix)), source.kind


def parse_origin_argument(value: str) -> str:
    if value == "null" or (len(value) <= 2048 and ORIGIN_VALUE.fullmatch(value)):
        return value
    try:
        suggestion = parse_origin("--origin", value, pattern=False).serialise()
    except ConfigError as exc:
        raise BadArgument(f"--origin {show(value)} {exc.problem}; {exc.fix}") from None
    raise BadArgument(
        f"--origin {show(value)} is not what a browser sends; it sends {show(suggestion)}"
    )


def parse_header_argument(value: str) -> HeaderArg:
    name, colon, header_value = value.partition(":")
    name = name.strip()
    if not TOKEN.fullmatch(name):
        raise BadArgument(
            f"--header {show(value)}: {show(name)} is not a header name; "
            "write NAME or 'NAME: VALUE'"
        )
    return HeaderArg(name, header_value.strip(" \t") if colon else None)


def build_request(args: argparse.Namespace) -> BrowserRequest:
    origin = parse_origin_argument(args.origin)
    method = args.method
    if not TOKEN.fullmatch(method):
        raise BadArgument(f"--method {show(method)} is not a method name (an HTTP token)")
    # Fetch, "normalize a method".
    if method.upper() in NORMALISED_METHODS:
        method = method.upper()
    # Each --header is one entry of the header list, as headers.append() makes.
    headers = tuple(parse_header_argument(raw) for raw in args.header)
    path = args.path if args.path.startswith("/") else "/" + args.path
    return BrowserRequest(origin, method, path, headers, args.credentials, args.private_network)


@dataclass
class Step:
    """One request the browser sends, corecors's answer and the browser's verdict."""

    name: str
    request_headers: list[Header]
    decision: Decision
    checks: list[tuple[str, bool, str]]
    response_status: int | None  # None: the application's own status
    response_headers: list[Header]
    problem: str | None

    def as_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "request_headers": [list(h) for h in self.request_headers],
            "decision": {
                "kind": d.kind,
                "allowed": d.allowed,
                "respond": d.respond,
                "status": d.status,
                "headers": [list(h) for h in d.headers],
                "vary": list(d.vary),
                "reasons": [{"code": r, "text": REASONS.get(r, r)} for r in d.reasons],
            },
            "checks": [{"check": c, "ok": ok, "text": t} for c, ok, t in self.checks],
            "response": {
                "status": self.response_status,
                "headers": [list(h) for h in self.response_headers],
            },
            "browser": {"ok": self.problem is None, "problem": self.problem},
        }


def _origin_detail(config: Config, origin: str) -> str:
    if "*" in config.allow_origins:
        return "'*' in allow_origins allows every origin"
    if origin in config.allow_origins:
        return f"{origin} is listed in allow_origins"
    for entry in config.allow_origins:
        if "*" in entry and re.fullmatch(parse_origin("", entry, pattern=True).regex(), origin):
            return f"{origin} matches the pattern {entry}"
    for rx in config.allow_origin_regexes:
        if rx.fullmatch(origin):
            return f"{origin} matches the regex {show(rx.pattern)}"
    return f"{origin} is allowed"


_CHECK_OF = {
    "origin_not_allowed": "origin",
    "origin_malformed": "origin",
    "method_not_allowed": "method",
    "method_malformed": "method",
    "headers_not_allowed": "headers",
    "headers_malformed": "headers",
    "headers_over_limit": "headers",
    "authorization_not_covered": "headers",
    "private_network_not_allowed": "private network",
}


def _checks(
    config: Config, request: BrowserRequest, decision: Decision, preflight: bool
) -> list[tuple[str, bool, str]]:
    if decision.kind == "not_cors":
        return [("cors", False, REASONS.get(r, r)) for r in decision.reasons]
    failed = {_CHECK_OF.get(r, r): REASONS.get(r, r) for r in decision.reasons}
    rows: list[tuple[str, bool, str]] = []

    def row(check: str, detail: str) -> None:
        rows.append((check, check not in failed, failed.get(check, detail)))

    row("origin", _origin_detail(config, request.origin) if "origin" not in failed else "")
    if not preflight:
        return rows
    method = request.method
    row(
        "method",
        f"{method} is CORS-safelisted"
        if method in SAFELISTED_METHODS
        else "allow_methods is '*'"
        if method not in config.allow_methods
        else f"{method} is listed in allow_methods",
    )
    unsafe = request.unsafe_names()
    if unsafe:
        listed = {h.lower() for h in config.allow_headers}
        row(
            "headers",
            ", ".join(unsafe)
            + (
                " listed in allow_headers"
                if set(unsafe) <= listed
                else " covered by '*' in allow_headers"
            ),
        )
    if request.private_network:
        row("private network", "allow_private_network is on")
    return rows


def explain(config: Config, request: BrowserRequest) -> tuple[list[str], Step | None, Step | None]:
    why = request.preflight_why()
    preflight: Step | None = None
    if why:
        acrh = ",".join(request.unsafe_names())
        req_headers: list[Header] = [
            ("Origin", request.origin),
            ("Access-Control-Request-Method", request.method),
        ]
        if acrh:
            req_headers.append(("Access-Control-Request-Headers", acrh))
        if request.private_network:
            req_headers.append(("Access-Control-Request-Private-Network", "true"))
        decision = decide(Request.from_headers("OPTIONS", req_headers), config)
        if decision.respond:
            status, headers = decision.status, list(decision.headers)
        else:  # passed on to the application (preflight_passthrough, or disabled)
            status, headers = None, decision.apply([])
        preflight = Step(
            "preflight",
            req_headers,
            decision,
            _checks(config, request, decision, True),
            status,
            headers,
            browser_preflight_check(status, headers, request),
        )
        if preflight.problem is not None:
            return why, preflight, None
    req_headers = [("Origin", request.origin)] + [
        (h.name, h.value if h.value is not None else "<value>") for h in request.sent_headers()
    ]
    decision = decide(Request.from_headers(request.method, req_headers), config)
    headers = decision.apply([])
    actual = Step(
        "actual",
        req_headers,
        decision,
        _checks(config, request, decision, False),
        None,
        headers,
        browser_cors_check(headers, request),
    )
    return why, preflight, actual


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def run_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        request = build_request(args)
    except BadArgument as exc:
        err.write(f"corecors explain: error: {exc}\n")
        return EXIT_BAD_INPUT
    try:
        config, kind = load_config(args.config)
    except InputError as exc:
        err.write(f"corecors explain: {args.config}: the file {exc.message}\n  fix: {exc.fix}\n")
        return EXIT_BAD_INPUT
    except NotAConfig as exc:
        err.write(f"corecors explain: {args.config}: the file {exc.message}\n  fix: {exc.fix}\n")
        return EXIT_BAD_INPUT
    except ConfigError as exc:
        err.write(
            f"corecors explain: {args.config}: invalid config\n"
            f"  {exc.option}: {show(exc.value)} {exc.problem}\n  fix: {exc.fix}\n"
            f"  (corecors lint {args.config} lists every problem)\n"
        )
        return EXIT_BAD_INPUT

    if request.method in FORBIDDEN_METHODS or request.method.upper() in FORBIDDEN_METHODS:
        verdict = (
            f"the browser refuses to send {request.method}: fetch() throws a TypeError "
            "(a forbidden method), so no request leaves the page"
        )
        if args.format == "json":
            json.dump(
                {
                    "config": {"file": args.config, "read_as": kind},
                    "request": _request_json(request),
                    "preflight": None,
                    "actual": None,
                    "allowed": False,
                    "verdict": verdict,
                },
                out,
                indent=2,
            )
            out.write("\n")
        else:
            out.write(verdict + "\n")
        return EXIT_REFUSED

    why, preflight, actual = explain(config, request)
    allowed = actual is not None and actual.problem is None
    if allowed:
        assert actual is not None
        verdict = (
            f"allowed: the browser sends {request.method} {request.path} and gives the "
            f"response to the script, which can read the status, the body and "
            f"{readable_headers(actual.response_headers, request)}"
        )
    elif actual is None:
        assert preflight is not None
        verdict = (
            f"refused: {_why_refused(preflight)}the browser blocks the request because "
            f"the preflight failed: {preflight.problem}. The {request.method} request "
            "is never sent, and fetch() rejects with a TypeError"
        )
    else:
        verdict = (
            f"refused: {_why_refused(actual)}the browser blocks the response: "
            f"{actual.problem}. The request did reach your application and ran; only "
            "the script is kept from the response (fetch() rejects with a TypeError)"
        )
    if args.format == "json":
        json.dump(
            {
                "config": {"file": args.config, "read_as": kind},
                "request": _request_json(request),
                "preflight": ({"needed": True, "why": why} | preflight.as_json())
                if preflight
                else {"needed": False, "why": []},
                "actual": ({"sent": True} | actual.as_json()) if actual else {"sent": False},
                "allowed": allowed,
                "verdict": verdict,
            },
            out,
            indent=2,
        )
        out.write("\n")
    else:
        _print_explain(
            out,
            Style(use_colour(args.color, out)),
            args.config,
            kind,
            request,
            why,
            preflight,
            actual,
            allowed,
            verdict,
        )
    return EXIT_OK if allowed else EXIT_REFUSED


def _why_refused(step: Step) -> str:
    reasons = [
        REASONS.get(r, r) for r in step.decision.reasons if r not in ("no_origin", "websocket")
    ]
    return f"corecors refuses it ({'; '.join(reasons)}), so " if reasons else ""


def _request_json(request: BrowserRequest) -> dict[str, Any]:
    return {
        "origin": request.origin,
        "method": request.method,
        "path": request.path,
        "credentials": request.credentials,
        "private_network": request.private_network,
        "headers": [
            {
                "name": h.name,
                "value": h.value,
                "forbidden": h.forbidden,
                "safelisted": h.safelisted(),
            }
            for h in request.headers
        ],
    }


def _print_explain(
    out: TextIO,
    s: Style,
    file: str,
    kind: str,
    request: BrowserRequest,
    why: list[str],
    preflight: Step | None,
    actual: Step | None,
    allowed: bool,
    verdict: str,
) -> None:
    w = out.write

    def para(text: str, indent: int = 2) -> None:
        for line in _wrap(text, indent):
            w(" " * indent + line + "\n")

    w(s.bold("Config") + f"   {file} ({kind})\n")
    w(s.bold("Request") + f"  {request.method} {request.path} from a page on {request.origin}\n")
    w(
        " " * 9
        + (
            "credentials included (fetch credentials: 'include', or XHR withCredentials)"
            if request.credentials
            else "no credentials (fetch's default: cookies only go to the page's own origin)"
        )
        + "\n"
    )
    for h in request.headers:
        shown = h.name + (f": {h.value}" if h.value is not None else "")
        if h.forbidden:
            note = s.warn("dropped: scripts cannot set a forbidden request header")
        elif h.safelisted():
            note = "CORS-safelisted" + (
                " (assumed: give a value to check it)" if h.value is None else ""
            )
        else:
            note = "not CORS-safelisted" + (
                " (Content-Type is judged by its value: 'Content-Type: text/plain' is "
                "safelisted, application/json is not)"
                if h.value is None and h.name.lower() == "content-type"
                else ""
            )
        w(" " * 9 + f"{shown}  " + s.dim(note) + "\n")
    w("\n")
    if preflight is None:
        w(s.bold("1. Preflight") + "  not needed: the method and headers are CORS-safelisted\n")
    else:
        w(s.bold("1. Preflight") + "  needed, because:\n")
        for reason in why:
            para("- " + reason, 4)
        _print_step(out, s, preflight, f"OPTIONS {request.path}")
    w("\n" + s.bold("2. Actual request") + "\n")
    if actual is None:
        para("not sent: the browser stopped at the failed preflight", 4)
    else:
        _print_step(out, s, actual, f"{request.method} {request.path}")
    w("\n" + s.bold("Verdict") + "\n")
    lines = _wrap(verdict, 2)
    colour = s.good if allowed else s.bad
    for line in lines:
        w("  " + colour(line) + "\n")


def _print_step(out: TextIO, s: Style, step: Step, line: str) -> None:
    w = out.write
    w(f"  {s.dim('the browser sends')}\n    {line}\n")
    for name, value in step.request_headers:
        w(f"    {name}: {value}\n")
    w(f"  {s.dim('corecors checks')}\n")
    width = max((len(c) for c, _, _ in step.checks), default=0)
    for check, ok, text in step.checks:
        mark = s.good("ok     ") if ok else s.bad("refused")
        lines = _wrap(text, 4 + width + 2 + 9)
        w(f"    {check:<{width}}  {mark}  {lines[0]}\n")
        for more in lines[1:]:
            w(" " * (4 + width + 2 + 9) + more + "\n")
    d = step.decision
    if d.respond:
        assert d.status is not None
        w(f"  {s.dim('corecors answers it at once')}\n    HTTP {_status_text(d.status)}\n")
        for name, value in d.headers:
            w(f"    {name}: {value}\n")
    elif d.untouched:
        w(f"  {s.dim('corecors leaves it to your application and adds nothing')}\n")
    else:
        intro = (
            "corecors passes it to your application (preflight_passthrough) and adds"
            if step.name == "preflight"
            else "your application answers; corecors adds"
        )
        w(f"  {s.dim(intro)}\n")
        for name, value in d.headers:
            w(f"    {name}: {value}\n")
        if d.vary:
            w(f"    Vary: {', '.join(d.vary)}  {s.dim('(merged into your Vary)')}\n")
        if not d.headers:
            w(f"    {s.dim('no Access-Control-* header (and removes any your app sets)')}\n")
    w(f"  {s.dim('the browser')}\n")
    if step.problem is None:
        text = (
            "accepts the preflight and sends the actual request"
            if step.name == "preflight"
            else "passes the CORS check and hands the response to the script"
        )
        w("    " + s.good(text) + "\n")
    else:
        prefix = "blocks the request: " if step.name == "preflight" else "blocks the response: "
        for more in _wrap(prefix + step.problem, 4):
            w("    " + s.bad(more) + "\n")


# -- the command line --------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corecors",
        description="Explain how a browser request fares under a CORS config, and lint configs.",
    )
    parser.add_argument("--version", action="version", version=f"corecors {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    colour = argparse.ArgumentParser(add_help=False)
    colour.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (default) colours a terminal unless NO_COLOR is set",
    )
    colour.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json for programs",
    )

    ex = sub.add_parser(
        "explain",
        parents=[colour],
        help="show how one browser request fares under CONFIG",
        description="Show whether the browser sends a preflight, what corecors answers, "
        "and what the browser does with the answer. Exit status: 0 allowed, 1 refused, "
        "2 bad input.",
    )
    ex.add_argument("config", metavar="CONFIG", help="TOML or JSON options, or a Gravitee export")
    ex.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example.com"
    )
    ex.add_argument("--method", default="GET", help="the request method (default GET)")
    ex.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME[: VALUE]",
        help="a header the script sets; repeat for more. Give the value of Content-Type "
        "(e.g. 'Content-Type: text/plain') to have it judged; without one it needs a preflight",
    )
    ex.add_argument(
        "--credentials",
        action="store_true",
        help="the request includes credentials (fetch credentials: 'include')",
    )
    ex.add_argument(
        "--private-network",
        action="store_true",
        help="the request goes from a public page to a private-network address",
    )
    ex.add_argument("--path", default="/", help="the request path, for display (default /)")

    li = sub.add_parser(
        "lint",
        parents=[colour],
        help="report errors and risky settings in CONFIG files",
        description="Report every error and warning in each CONFIG, with a stable code, "
        "its location and the fix. Exit status: 0 clean, 1 errors (or warnings with "
        "--strict), 2 a file could not be read.",
    )
    li.add_argument(
        "config", metavar="CONFIG", nargs="+", help="TOML or JSON options, or a Gravitee export"
    )
    li.add_argument("--strict", action="store_true", help="fail on warnings too")
    li.add_argument(
        "--from",
        dest="source",
        choices=["auto", "django-cors-headers"],
        default="auto",
        help="what the files hold: corecors options or a Gravitee definition (auto, the "
        "default), or django-cors-headers' CORS_* settings as JSON or TOML keys",
    )

    pr = sub.add_parser(
        "probe",
        help="look at a running deployment as a browser does",
        description="Send preflights and GET requests from the allowed origins and from "
        "attacker origins made from them, to the URL's host only, and report what a "
        "browser would see. Exit status: 0 clean, 1 findings, 2 could not probe.",
    )
    add_probe_arguments(pr)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``corecors`` command with *argv*; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or bad arguments (status 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "explain":
            return run_explain(args, out, err)
        if args.command == "probe":
            return run_probe(args, out, err)
        return run_lint(args, out)
    except BrokenPipeError:  # e.g. `corecors lint ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_REFUSED
