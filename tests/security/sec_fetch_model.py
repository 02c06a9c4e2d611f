"""The browser side of CORS, modelled from the WHATWG Fetch standard.

Written from the standard's text, not from corecors: "main fetch" (when a
request needs a preflight), "HTTP fetch" step 4.1 (the CORS-preflight cache
lookup), "CORS-preflight fetch", "CORS-preflight cache", "CORS check",
"CORS-unsafe request-header names", "CORS-safelisted request-header", the
ABNF of the CORS response headers, and "CORS filtered response" for what a
page can read. Private Network Access follows the WICG explainer: a request
into a more private address space is always preflighted, the preflight
carries ``Access-Control-Request-Private-Network: true`` and its response
must carry ``Access-Control-Allow-Private-Network: true``.

A *server* here is any callable ``(method, headers) -> (status, headers)``,
so the model judges corecors's answers exactly as a browser would see them
on the wire, and judges deliberately broken servers the same way (the model
is tested against those too, so a lenient model cannot pass unnoticed).

Simplifications, none of which widens what is granted: one request URL, no
redirects, no service workers, no network partition key, and time does not
pass while a test runs (a cache entry whose max-age is 0 is never usable).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Header = tuple[str, str]
Server = Callable[[str, list[Header]], tuple[int, list[Header]]]

# RFC 9110 5.6.2: token = 1*tchar. Methods and field names are tokens.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HTTP_TAB_OR_SPACE = " \t"
_HTTP_WHITESPACE = " \t\r\n"

CORS_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_FORBIDDEN_REQUEST_HEADERS = frozenset(
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
_METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
_CORS_UNSAFE_BYTES = frozenset('"():<>?@[\\]{}\x7f')
_LANGUAGE_OK = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_SAFELISTED_RESPONSE_HEADERS = frozenset(
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
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

NETWORK_ERROR = "network error"


def byte_lowercase(value: str) -> str:
    """Fetch "byte-lowercase": only A-Z change (never the Kelvin sign or ß)."""
    return value.translate(_ASCII_LOWER)


def is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


# -- origins (HTML "serialization of an origin", URL host parsing) ---------


def ascii_host(host: str) -> str:
    """The host a URL parser stores for *host*: IP addresses canonical,
    domains lower-cased and their non-ASCII labels in punycode (UTS 46
    non-transitional, so ``ß`` stays ``ß`` and becomes ``xn--...``)."""
    if host.startswith("[") and host.endswith("]"):
        return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    labels = unicodedata.normalize("NFC", host.lower()).split(".")
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in labels
    )


def serialize_origin(scheme: str, host: str, port: int | None) -> str:
    """The ASCII serialization of a tuple origin, as the Origin header carries it."""
    scheme = byte_lowercase(scheme)
    if port is not None and _DEFAULT_PORTS.get(scheme) == port:
        port = None  # the URL parser drops a scheme's default port
    suffix = "" if port is None else f":{port}"
    return f"{scheme}://{ascii_host(host)}{suffix}"


# -- headers ---------------------------------------------------------------


def get(name: str, headers: Iterable[Header]) -> str | None:
    """Fetch "get": the values of every *name* header joined by ``, ``, or None."""
    lname = byte_lowercase(name)
    values = [v for n, v in headers if byte_lowercase(n) == lname]
    return ", ".join(values) if values else None


def extract_list(name: str, headers: Sequence[Header]) -> list[str] | str | None:
    """Fetch "extract header list values" for a ``#token`` header.

    Returns None when absent, :data:`NETWORK_ERROR` when a value does not
    parse (an element that is not a token), else the elements in order.
    RFC 9110 5.6.1: empty list elements and optional whitespace are skipped.
    """
    lname = byte_lowercase(name)
    found = [v for n, v in headers if byte_lowercase(n) == lname]
    if not found:
        return None
    values: list[str] = []
    for value in found:
        for element in value.split(","):
            element = element.strip(_HTTP_TAB_OR_SPACE)
            if not element:
                continue
            if not is_token(element):
                return NETWORK_ERROR
            values.append(element)
    return values


def _extract_max_age(headers: Sequence[Header]) -> int | None:
    found = [v for n, v in headers if byte_lowercase(n) == "access-control-max-age"]
    if len(found) != 1:  # absent, or a single-value header sent twice: failure
        return None
    value = found[0].strip(_HTTP_TAB_OR_SPACE)
    return int(value) if value.isascii() and value.isdigit() else None


def _mime_essence(value: str) -> str | None:
    """The essence of a parsed MIME type, or None on failure (simplified
    "parse a MIME type": type "/" subtype, both tokens, parameters ignored)."""
    value = value.strip(_HTTP_WHITESPACE)
    type_, slash, rest = value.partition("/")
    if not slash or not is_token(type_):
        return None
    subtype = rest.partition(";")[0].rstrip(_HTTP_WHITESPACE)
    if not is_token(subtype):
        return None
    return byte_lowercase(f"{type_}/{subtype}")


def _is_single_range(value: str) -> bool:
    match = re.fullmatch(r"bytes=([0-9]*)-([0-9]*)", value)
    if match is None or not match.group(1):  # rangeStart must be present
        return False
    return not match.group(2) or int(match.group(1)) <= int(match.group(2))


def is_cors_safelisted_request_header(name: str, value: str) -> bool:
    if len(value) > 128:
        return False
    lname = byte_lowercase(name)
    if lname == "accept":
        return not any(c in _CORS_UNSAFE_BYTES or (c < " " and c != "\t") for c in value)
    if lname in ("accept-language", "content-language"):
        return _LANGUAGE_OK.fullmatch(value) is not None
    if lname == "content-type":
        if any(c in _CORS_UNSAFE_BYTES or (c < " " and c != "\t") for c in value):
            return False
        return _mime_essence(value) in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
        )
    if lname == "range":
        return _is_single_range(value)
    return False


def is_forbidden_request_header(name: str, value: str) -> bool:
    lname = byte_lowercase(name)
    if lname in _FORBIDDEN_REQUEST_HEADERS or lname.startswith(("proxy-", "sec-")):
        return True
    if lname in _METHOD_OVERRIDE_HEADERS:
        methods = [m.strip(_HTTP_TAB_OR_SPACE) for m in value.split(",")]
        return any(m.translate(_ASCII_UPPER) in FORBIDDEN_METHODS for m in methods)
    return False


def cors_unsafe_request_header_names(headers: Sequence[Header]) -> list[str]:
    """Fetch "CORS-unsafe request-header names": sorted, lower-cased, distinct."""
    unsafe: list[str] = []
    potentially_unsafe: list[str] = []
    safelist_value_size = 0
    for name, value in headers:
        if not is_cors_safelisted_request_header(name, value):
            unsafe.append(name)
        else:
            potentially_unsafe.append(name)
            safelist_value_size += len(value)
    if safelist_value_size > 1024:
        unsafe.extend(potentially_unsafe)
    return sorted({byte_lowercase(n) for n in unsafe})


def normalize_method(method: str) -> str:
    upper = method.translate(_ASCII_UPPER)
    return upper if upper in _NORMALIZED_METHODS else method


# -- the request a page makes ----------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """``fetch(url, {method, headers, credentials})`` from a page at *origin*.

    *origin* is the page's origin already serialized (``"null"`` for an
    opaque one). *private_network*: the target is in a more private address
    space than the page. *use_cors_preflight*: the use-CORS-preflight flag
    (``XMLHttpRequest`` with upload listeners).
    """

    origin: str
    method: str = "GET"
    headers: tuple[Header, ...] = ()
    credentials: str = "same-origin"  # "omit" | "same-origin" | "include"
    private_network: bool = False
    use_cors_preflight: bool = False

    @property
    def include(self) -> bool:
        return self.credentials == "include"


@dataclass
class Exchange:
    """One request the browser put on the wire and the response it got."""

    method: str
    request_headers: list[Header]
    status: int
    response_headers: list[Header]
    preflight: bool


@dataclass
class Outcome:
    granted: bool
    #: where it ended: "type_error", "preflight", "actual" or "ok"
    stage: str
    reason: str = ""
    preflight_sent: bool = False
    #: lower-cased names of the actual response's headers the page may read
    exposed: frozenset[str] = frozenset()
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass(frozen=True)
class _CacheEntry:
    origin: str
    url: str
    credentials: bool
    method: str | None
    header_name: str | None


class PreflightCache:
    """Fetch's CORS-preflight cache, for one user agent, with frozen time."""

    def __init__(self) -> None:
        self.entries: list[_CacheEntry] = []

    def _matches(self, entry: _CacheEntry, origin: str, url: str, include: bool) -> bool:
        return entry.origin == origin and entry.url == url and (entry.credentials or not include)

    def method_match(self, method: str, origin: str, url: str, include: bool) -> bool:
        return any(
            self._matches(e, origin, url, include) and e.method in (method, "*")
            for e in self.entries
        )

    def header_match(self, name: str, origin: str, url: str, include: bool) -> bool:
        for e in self.entries:
            if not self._matches(e, origin, url, include) or e.header_name is None:
                continue
            if byte_lowercase(e.header_name) == byte_lowercase(name):
                return True
            if e.header_name == "*" and byte_lowercase(name) != "authorization":
                return True
        return False

    def clear(self, origin: str, url: str) -> None:
        self.entries = [e for e in self.entries if not (e.origin == origin and e.url == url)]

    def store(
        self,
        origin: str,
        url: str,
        include: bool,
        max_age: int,
        methods: list[str],
        header_names: list[str],
    ) -> None:
        if max_age <= 0:  # removed once max-age seconds have passed: at once
            return
        for method in methods:
            if not self.method_match(method, origin, url, include):
                self.entries.append(_CacheEntry(origin, url, include, method, None))
        for name in header_names:
            if not self.header_match(name, origin, url, include):
                self.entries.append(_CacheEntry(origin, url, include, None, name))


def cors_check(page: PageRequest, headers: Sequence[Header]) -> bool:
    """Fetch "CORS check"."""
    origin = get("Access-Control-Allow-Origin", headers)
    if origin is None:
        return False
    if not page.include and origin == "*":
        return True
    if page.origin != origin:
        return False
    if not page.include:
        return True
    return get("Access-Control-Allow-Credentials", headers) == "true"


class Browser:
    """A user agent with a CORS-preflight cache, fetching one URL."""

    URL = "https://api.corecors.test/resource"

    def __init__(self) -> None:
        self.cache = PreflightCache()

    def fetch(self, page: PageRequest, server: Server) -> Outcome:
        method = normalize_method(page.method)
        if not is_token(method) or method.translate(_ASCII_UPPER) in FORBIDDEN_METHODS:
            return Outcome(False, "type_error", "fetch() throws on this method")
        # The Headers object: invalid names or values throw; forbidden
        # request-headers are silently left out; values are normalized.
        author: list[Header] = []
        for name, value in page.headers:
            value = value.strip(_HTTP_WHITESPACE)
            if not is_token(name) or any(c in value for c in "\r\n\0"):
                return Outcome(False, "type_error", f"fetch() throws on header {name!r}")
            if not is_forbidden_request_header(name, value):
                author.append((name, value))
        unsafe = cors_unsafe_request_header_names(author)

        # main fetch: fetch() sets the unsafe-request flag, so a preflight is
        # due for a non-safelisted method or any CORS-unsafe header name;
        # HTTP fetch step 4.1 then skips it when the cache covers both.
        include = page.include
        cors_preflight = page.use_cors_preflight or (
            method not in CORS_SAFELISTED_METHODS or bool(unsafe)
        )
        need = cors_preflight and (
            (
                not self.cache.method_match(method, page.origin, self.URL, include)
                and (method not in CORS_SAFELISTED_METHODS or page.use_cors_preflight)
            )
            or any(not self.cache.header_match(n, page.origin, self.URL, include) for n in unsafe)
        )
        # Private Network Access: always a preflight (never served from the cache).
        need = need or page.private_network

        outcome = Outcome(False, "preflight", preflight_sent=need)
        if need:
            error = self._preflight(page, method, author, unsafe, server, outcome)
            if error:
                self.cache.clear(page.origin, self.URL)
                outcome.reason = error
                return outcome

        headers: list[Header] = [("Origin", page.origin), *author]
        if get("Accept", author) is None:
            headers.append(("Accept", "*/*"))
        status, response = server(method, list(headers))
        outcome.exchanges.append(Exchange(method, headers, status, response, False))
        outcome.stage = "actual"
        if not cors_check(page, response):
            if need:
                self.cache.clear(page.origin, self.URL)
            outcome.reason = "CORS check failed on the response"
            return outcome
        outcome.granted = True
        outcome.stage = "ok"
        outcome.exposed = _exposed_names(page, response)
        return outcome

    def _preflight(
        self,
        page: PageRequest,
        method: str,
        author: list[Header],
        unsafe: list[str],
        server: Server,
        outcome: Outcome,
    ) -> str:
        """Fetch "CORS-preflight fetch"; returns "" on success, else why it failed."""
        headers: list[Header] = [
            ("Origin", page.origin),
            ("Accept", "*/*"),
            ("Access-Control-Request-Method", method),
        ]
        if unsafe:
            headers.append(("Access-Control-Request-Headers", ",".join(unsafe)))
        if page.private_network:
            headers.append(("Access-Control-Request-Private-Network", "true"))
        headers.append(("Sec-Fetch-Mode", "cors"))
        status, response = server("OPTIONS", list(headers))
        outcome.exchanges.append(Exchange("OPTIONS", headers, status, response, True))

        # The CORS check uses the request's credentials mode, not the
        # preflight's, so credentialed requests need ACAC on the preflight.
        if not cors_check(page, response):
            return "CORS check failed on the preflight"
        if not 200 <= status <= 299:
            return f"preflight status {status} is not ok"
        methods = extract_list("Access-Control-Allow-Methods", response)
        header_names = extract_list("Access-Control-Allow-Headers", response)
        if methods == NETWORK_ERROR or header_names == NETWORK_ERROR:
            return "unparsable Access-Control-Allow-Methods/-Headers"
        assert not isinstance(methods, str)
        assert not isinstance(header_names, str)
        if methods is None and page.use_cors_preflight:
            methods = [method]
        methods = methods or []
        header_names = header_names or []
        if (
            method not in methods
            and method not in CORS_SAFELISTED_METHODS
            and (page.include or "*" not in methods)
        ):
            return f"method {method!r} not allowed by the preflight"
        lowered = {byte_lowercase(h) for h in header_names}
        if any(byte_lowercase(n) == "authorization" for n, _ in author) and (
            "authorization" not in lowered
        ):
            return "Authorization not listed by name"
        for name in unsafe:
            if name not in lowered and (page.include or "*" not in header_names):
                return f"header {name!r} not allowed by the preflight"
        if page.private_network and get("Access-Control-Allow-Private-Network", response) != "true":
            return "private network access not allowed by the preflight"
        max_age = _extract_max_age(response)
        self.cache.store(
            page.origin,
            self.URL,
            page.include,
            5 if max_age is None else max_age,
            methods,
            header_names,
        )
        return ""


def _exposed_names(page: PageRequest, response: Sequence[Header]) -> frozenset[str]:
    """The header names a "CORS filtered response" lets the page read."""
    listed = extract_list("Access-Control-Expose-Headers", response)
    names = [] if listed is None or isinstance(listed, str) else listed
    present = {byte_lowercase(n) for n, _ in response}
    if not page.include and "*" in names:
        exposed = present
    else:
        exposed = _SAFELISTED_RESPONSE_HEADERS | {byte_lowercase(n) for n in names}
    return frozenset((exposed & present) - _FORBIDDEN_RESPONSE_HEADERS)
