"""The browser's side of CORS, as ``corecors explain`` models it (WHATWG Fetch).

What a script's request looks like once the browser has applied its rules,
whether it needs a preflight, and the checks the browser runs on the
answers. The Fetch tables are the core's (:mod:`corecors._fetch`); a
differential test runs this model against the security suite's independent
oracle (``tests/security/sec_fetch_model.py``) on the same exchanges.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .._fetch import (
    FORBIDDEN_METHODS,
    METHOD_OVERRIDE_HEADERS,
    SAFELISTED_CONTENT_TYPES,
    SAFELISTED_METHODS,
    UNSAFE_BYTES,
    is_forbidden_request_header,
)
from .._model import Header
from .output import show

__all__ = [
    "BrowserRequest",
    "HeaderArg",
    "browser_cors_check",
    "browser_preflight_check",
    "is_safelisted_request_header",
    "readable_headers",
]


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Fetch, "CORS-safelisted request-header": the name with this value."""
    lname = name.lower()
    if len(value.encode("utf-8")) > 128:
        return False
    if lname == "accept":
        return not any(c in UNSAFE_BYTES for c in value)
    if lname in ("accept-language", "content-language"):
        return re.fullmatch(r"[0-9A-Za-z *,\-.;=]*", value) is not None
    if lname == "content-type":
        if any(c in UNSAFE_BYTES for c in value):
            return False
        essence = value.split(";", 1)[0].strip(" \t\r\n").lower()
        return essence in SAFELISTED_CONTENT_TYPES
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
        """Fetch, "forbidden request-header": by name, or a method-override
        header whose value names a forbidden method."""
        if is_forbidden_request_header(self.name):
            return True
        if self.name.lower() not in METHOD_OVERRIDE_HEADERS or self.value is None:
            return False
        methods = (m.strip(" \t").upper() for m in self.value.split(","))
        return any(m in FORBIDDEN_METHODS for m in methods)

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
