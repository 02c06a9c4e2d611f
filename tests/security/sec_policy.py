"""What a corecors policy means, written from the design documents, plus the
Hypothesis strategies that generate policies and requests.

:class:`Policy` is a plain description of the options a test passes to
:class:`corecors.Config`, together with an *oracle* that says, from the
documented meaning of each option (design.md, cors-rules.md) and nothing
of corecors's code, which browser requests the policy allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from sec_fetch_model import (
    CORS_SAFELISTED_METHODS,
    PageRequest,
    byte_lowercase,
    cors_unsafe_request_header_names,
    is_forbidden_request_header,
    normalize_method,
    serialize_origin,
)

from corecors import Config

_PORT = re.compile(r"[1-9][0-9]{0,4}")
# One DNS label as a browser serializes it: lower-case LDH plus "_".
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@dataclass(frozen=True)
class Pattern:
    """``scheme://*.base[:port]``: one or more labels under *base*.

    *port*: None for the scheme's default (no port in the Origin), ``"*"``
    for any port or none, or a port number.
    """

    scheme: str
    base: str
    port: str | None = None

    def written(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://*.{self.base}{port}"

    def matches(self, origin: str) -> bool:
        prefix = f"{self.scheme}://"
        if not origin.startswith(prefix):
            return False
        host, colon, port = origin[len(prefix) :].partition(":")
        if self.port is None:
            if colon:
                return False
        elif self.port == "*":
            if colon and not (_PORT.fullmatch(port) and int(port) <= 65535):
                return False
        elif port != self.port or not colon:
            return False
        if not host.endswith("." + self.base):
            return False
        sub = host[: -len(self.base) - 1]
        return all(_LABEL.fullmatch(label) for label in sub.split("."))


@dataclass(frozen=True)
class Policy:
    """Config options in plain terms, with what they allow."""

    any_origin: bool = False
    #: (as written in the config, the origin a browser sends for it)
    exact: tuple[tuple[str, str], ...] = ()
    patterns: tuple[Pattern, ...] = ()
    regexes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("GET", "HEAD", "POST")
    headers: tuple[str, ...] = ()
    credentials: bool = False
    expose: tuple[str, ...] = ()
    max_age: int = 600
    pna: bool = False
    passthrough: bool = False
    preflight_status: int = 204
    failure_status: int = 403
    any_origin_with_credentials: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def options(self) -> dict[str, Any]:
        origins = (["*"] if self.any_origin else []) + [w for w, _ in self.exact]
        origins += [p.written() for p in self.patterns]
        options: dict[str, Any] = {
            "allow_origins": origins,
            "allow_origin_regexes": list(self.regexes),
            "allow_methods": list(self.methods),
            "allow_headers": list(self.headers),
            "allow_credentials": self.credentials,
            "expose_headers": list(self.expose),
            "max_age": self.max_age,
            "allow_private_network": self.pna,
            "preflight_passthrough": self.passthrough,
            "preflight_status": self.preflight_status,
            "preflight_failure_status": self.failure_status,
        }
        if self.any_origin_with_credentials:
            options["dangerously_allow_any_origin_with_credentials"] = True
        return {**options, **self.extra}

    def config(self) -> Config:
        return Config(**self.options())

    @property
    def static(self) -> bool:
        """``*`` without credentials: one answer for every origin."""
        return self.any_origin and not self.credentials

    # -- the oracle ----------------------------------------------------------

    def origin_allowed(self, origin: str) -> bool:
        """Whether *origin*, compared byte for byte, is one the policy lists."""
        if self.any_origin:
            return True
        if origin in {sent for _, sent in self.exact}:
            return True
        if any(p.matches(origin) for p in self.patterns):
            return True
        return any(re.fullmatch(rx, origin) for rx in self.regexes)

    def method_allowed(self, method: str) -> bool:
        """Methods are case-sensitive; GET, HEAD and POST need no listing."""
        return method in CORS_SAFELISTED_METHODS or method in self.methods or "*" in self.methods

    def header_allowed(self, name: str) -> bool:
        """Names are case-insensitive; ``*`` covers all but Authorization."""
        lname = byte_lowercase(name)
        if lname in {byte_lowercase(h) for h in self.headers}:
            return True
        return "*" in self.headers and lname != "authorization"

    def grants(self, page: PageRequest) -> bool:
        """Whether the policy lets *page* read the response."""
        if not self.origin_allowed(page.origin):
            return False
        if page.include and not self.credentials:
            return False
        if page.private_network and not self.pna:
            return False
        author = [(n, v.strip(" \t\r\n")) for n, v in page.headers]
        author = [(n, v) for n, v in author if not is_forbidden_request_header(n, v)]
        return self.method_allowed(normalize_method(page.method)) and all(
            self.header_allowed(n) for n in cors_unsafe_request_header_names(author)
        )


# -- strategies ------------------------------------------------------------

BASES = ("example.com", "example.org", "api.test", "xn--bcher-kva.example")
SUBLABELS = ("app", "a", "www", "a-b", "x1", "_dmarc", "evil", "b" * 63, "app2")
IDN_HOSTS = ("bücher.example", "BÜCHER.example", "straße.example", "日本.example")
PORTS = (None, None, None, 8080, 8443, 3000, 1, 65535, 443, 80)
METHODS = (
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "PROPFIND",
    "patch",
    "Patch",
    "get",
    "delete",
    "put",
    "M-SEARCH",
    "X.Y",
)
CONFIG_METHODS = ("GET", "PUT", "DELETE", "PATCH", "patch", "OPTIONS", "PROPFIND", "M-SEARCH", "*")
AUTHOR_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Requested-With", "XMLHttpRequest"),
    ("X-Custom", "1"),
    ("x-custom", "2"),
    ("Content-Type", "application/json"),
    ("Content-Type", "text/plain;charset=utf-8"),
    ("Content-Type", "multipart/form-data; boundary=x"),
    ("Accept", "application/json"),
    ("Accept", 'a"b'),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Language", "x(y)"),
    ("Content-Language", "de"),
    ("Authorization", "Bearer t0k3n"),
    ("authorization", "Basic eA=="),
    ("X-API-Key", "k"),
    ("Range", "bytes=0-10"),
    ("Range", "bytes=-5"),
    ("Accept", "x" * 129),
    ("Cookie", "a=b"),
    ("Sec-Fetch-Dest", "empty"),
    ("Proxy-Authorization", "x"),
    ("X-HTTP-Method-Override", "TRACE"),
    ("X-HTTP-Method-Override", "PATCH"),
    ("DPR", "2"),
    ("K-Header", "1"),
)
CONFIG_HEADERS = (
    "X-Requested-With",
    "x-custom",
    "Content-Type",
    "Authorization",
    "X-API-Key",
    "accept",
    "Accept-Language",
    "CONTENT-LANGUAGE",
    "range",
    "X-HTTP-Method-Override",
    "DPR",
    "*",
)
EXPOSE = ("X-Total", "ETag", "X-Secret", "*")


def _case_variant(draw: st.DrawFn, text: str) -> str:
    mask = draw(st.integers(0, 2**64 - 1))
    return "".join(c.upper() if mask >> (i % 64) & 1 else c for i, c in enumerate(text))


@st.composite
def _domains(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from((*BASES, "localhost")))
    labels = draw(st.lists(st.sampled_from(SUBLABELS), max_size=3))
    return ".".join([*labels, base])


DOMAINS = _domains()
_BASE = st.sampled_from(BASES)
#: Hosts a page can be served from, as typed in a URL (not yet parsed).
HOSTS = st.one_of(
    DOMAINS,
    DOMAINS.map(str.upper),
    st.sampled_from(IDN_HOSTS),
    st.sampled_from(("127.0.0.1", "10.0.0.5", "[::1]", "[2001:db8::1]", "[0:0:0:0:0:0:0:1]")),
    _BASE.map(lambda b: "evil" + b),
    _BASE.map(lambda b: b + ".evil.net"),
    _BASE.map(lambda b: b.replace(".", "x", 1)),
)
_SCHEMES = st.sampled_from(("https", "https", "http", "chrome-extension"))
_PORTS = st.sampled_from(PORTS)


@st.composite
def _browser_origins(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 24)) == 0:
        return "null"
    return serialize_origin(draw(_SCHEMES), draw(HOSTS), draw(_PORTS))


_BROWSER_ORIGINS = _browser_origins()


def browser_origins() -> st.SearchStrategy[str]:
    """The Origin value a browser sends: a serialized origin, or "null"."""
    return _BROWSER_ORIGINS


_MUTATIONS: tuple[Any, ...] = (
    lambda d, g, o: _case_variant(d, g),
    lambda d, g, o: g + "/",
    lambda d, g, o: g + "/path",
    lambda d, g, o: g + ":443",
    lambda d, g, o: g + ":80",
    lambda d, g, o: g + ":",
    lambda d, g, o: g + ":08080",
    lambda d, g, o: g + ":0",
    lambda d, g, o: g + ":99999",
    lambda d, g, o: g + ".",
    lambda d, g, o: " " + g,
    lambda d, g, o: g + " ",
    lambda d, g, o: g + "\t",
    lambda d, g, o: g + "\r\nSet-Cookie: a=b",
    lambda d, g, o: g + "\n",
    lambda d, g, o: g + "\x00",
    lambda d, g, o: f"{g}, {o}",
    lambda d, g, o: f"{g},{o}",
    lambda d, g, o: f"{g}, {g}",
    lambda d, g, o: f"{g} {o}",
    lambda d, g, o: g.replace("://", "://evil@", 1),
    lambda d, g, o: g.replace("://", ":/", 1),
    lambda d, g, o: g.replace(".", "%2e", 1),
    lambda d, g, o: g + "\u212a",
    lambda d, g, o: d(
        st.sampled_from(
            (
                "NULL",
                "Null",
                "null ",
                "*",
                "",
                "https://",
                "file://",
                "https://bücher.example",
                "https://straße.example",
                "https://ａpp.example.com",
                "https://app.example.com\u2028",
            )
        )
    ),
)


@st.composite
def _raw_origins(draw: st.DrawFn) -> str:
    mutate = draw(st.sampled_from(_MUTATIONS))
    return str(mutate(draw, draw(_BROWSER_ORIGINS), draw(_BROWSER_ORIGINS)))


_RAW_ORIGINS = _raw_origins()


def raw_origins() -> st.SearchStrategy[str]:
    """Origin values no browser sends: near misses, smuggling, garbage."""
    return _RAW_ORIGINS


def _allowed_scheme(credentials: bool, scheme: str, host: str) -> str:
    if (
        credentials
        and scheme == "http"
        and host not in _LOOPBACK_HOSTS
        and not (host == "localhost" or host.endswith(".localhost"))
    ):
        return "https"
    return scheme


@st.composite
def exact_entries(draw: st.DrawFn, credentials: bool) -> tuple[str, str]:
    scheme = draw(st.sampled_from(("https", "https", "http", "chrome-extension")))
    host = draw(st.one_of(DOMAINS, st.sampled_from(("127.0.0.1", "[::1]", "10.0.0.5"))))
    port = draw(st.sampled_from(PORTS))
    scheme = _allowed_scheme(credentials, scheme, host)
    sent = serialize_origin(scheme, host, port)
    if port is not None and {"http": 80, "https": 443}.get(scheme) == port:
        port = None  # an explicit default port is a ConfigError, tested elsewhere
    if host == "[::1]" and draw(st.booleans()):
        host = "[0:0:0:0:0:0:0:1]"  # written long, sent compressed
    written = f"{_case_variant(draw, scheme)}://{_case_variant(draw, host)}"
    return (written + ("" if port is None else f":{port}"), sent)


@st.composite
def patterns(draw: st.DrawFn, credentials: bool) -> Pattern:
    base = draw(st.sampled_from((*BASES, "localhost")))
    scheme = _allowed_scheme(credentials, draw(st.sampled_from(("https", "http"))), base)
    return Pattern(scheme, base, draw(st.sampled_from((None, None, "*", "8443"))))


_ESCAPED_BASE = _BASE.map(re.escape)
SAFE_REGEXES = st.one_of(
    _ESCAPED_BASE.map(lambda e: rf"https://(?:[a-z0-9-]+\.)*{e}"),
    _ESCAPED_BASE.map(lambda e: rf"https://app[0-9]{{1,3}}\.{e}"),
    _ESCAPED_BASE.map(lambda e: rf"https://{e}(?::[0-9]{{2,5}})?"),
    _ESCAPED_BASE.map(lambda e: rf"https://(?:www|api)\.{e}|https://{e}"),
    _ESCAPED_BASE.map(lambda e: rf"https://[a-z]+\.{e}"),
    st.just(r"http://localhost:[0-9]{2,5}"),
    st.just(r"http://(?:127\.0\.0\.1|localhost)(?::[0-9]+)?"),
)
#: Regexes fine without credentials (plain http) and refused with them.
LOOSE_REGEXES = st.one_of(
    SAFE_REGEXES, _ESCAPED_BASE.map(lambda e: rf"https?://(?:[a-z0-9-]+\.)?{e}")
)
_EVERYTHING = st.sampled_from((".*", r"[a-z]+://.*|null", ".+"))
_METHOD_LISTS = st.lists(st.sampled_from(CONFIG_METHODS), max_size=4, unique=True)
_HEADER_LISTS = st.lists(st.sampled_from(CONFIG_HEADERS), max_size=4, unique=True)
_EXPOSE_LISTS = st.lists(st.sampled_from(EXPOSE), max_size=3, unique=True)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Valid configurations: every option, in combinations Config accepts."""
    credentials = draw(st.booleans())
    any_origin = not credentials and draw(st.integers(0, 5)) == 0
    everything = draw(st.integers(0, 30)) == 0  # a regex matching every origin
    pna = draw(st.booleans()) and not any_origin and not everything
    methods = draw(_METHOD_LISTS)
    headers = draw(_HEADER_LISTS)
    expose = draw(_EXPOSE_LISTS)
    if credentials:
        expose = [e for e in expose if e != "*"]
    regexes = draw(st.lists(SAFE_REGEXES if credentials else LOOSE_REGEXES, max_size=2))
    if everything:
        regexes.append(draw(_EVERYTHING))
    return Policy(
        any_origin=any_origin,
        exact=tuple(draw(st.lists(exact_entries(credentials), max_size=3))),
        patterns=tuple(draw(st.lists(patterns(credentials), max_size=2))),
        regexes=tuple(regexes),
        methods=tuple(methods) if draw(st.integers(0, 4)) else ("GET", "HEAD", "POST"),
        headers=tuple(headers),
        credentials=credentials,
        expose=tuple(expose),
        max_age=draw(st.sampled_from((-1, 0, 5, 600, 86400))),
        pna=pna,
        passthrough=draw(st.integers(0, 4)) == 0,
        preflight_status=draw(st.sampled_from((204, 204, 200))),
        failure_status=draw(st.sampled_from((403, 403, 400))),
        any_origin_with_credentials=everything and credentials,
    )


_PAGE_METHODS = st.sampled_from(METHODS)
_AUTHOR_LISTS = st.lists(st.sampled_from(AUTHOR_HEADERS), max_size=4)
_MODES = st.sampled_from(("omit", "same-origin", "include"))


@st.composite
def page_requests(draw: st.DrawFn, origin: str | None = None) -> PageRequest:
    """Requests a page makes with fetch(); methods it would throw on excluded."""
    return PageRequest(
        origin=origin if origin is not None else draw(_BROWSER_ORIGINS),
        method=draw(_PAGE_METHODS),
        headers=tuple(draw(_AUTHOR_LISTS)),
        credentials=draw(_MODES),
        private_network=draw(st.integers(0, 4)) == 0,
        use_cors_preflight=draw(st.integers(0, 6)) == 0,
    )


@st.composite
def friendly_requests(draw: st.DrawFn, policy: Policy, origin: str) -> PageRequest:
    """Requests built from what *policy* lists, so allowed ones are common."""
    methods = [m for m in policy.methods if m != "*"] or ["GET"]
    listed = [h for h in policy.headers if h != "*"]
    names = [*listed, "X-Anything"] if "*" in policy.headers else listed
    headers = draw(st.lists(st.sampled_from(names), max_size=3)) if names else []
    return PageRequest(
        origin=origin,
        method=draw(st.sampled_from((*methods, "GET", "POST"))),
        headers=tuple((n, "v") for n in headers),
        credentials=draw(
            st.sampled_from(
                ("include", "same-origin") if policy.credentials else ("omit", "same-origin")
            )
        ),
        private_network=policy.pna and draw(st.booleans()),
        use_cors_preflight=draw(st.integers(0, 6)) == 0,
    )


@st.composite
def origin_for(draw: st.DrawFn, policy: Policy) -> str:
    """An origin likely to meet *policy*: a listed one half of the time."""
    listed = [sent for _, sent in policy.exact]
    listed += [
        serialize_origin(
            p.scheme,
            f"{draw(st.sampled_from(SUBLABELS))}.{p.base}",
            None if p.port in (None, "*") else int(p.port),
        )
        for p in policy.patterns
    ]
    listed += [rx_example for rx in policy.regexes if (rx_example := _regex_example(rx))]
    if policy.any_origin:
        listed.append(draw(browser_origins()))
    if listed and draw(st.integers(0, 3)):
        return draw(st.sampled_from(listed))
    return draw(browser_origins())


def _regex_example(rx: str) -> str | None:
    """An origin the safe regex templates above match, if one is at hand."""
    for candidate in (
        "https://app.example.com",
        "https://app1.example.org",
        "https://api.test",
        "https://www.api.test",
        "http://localhost:8080",
        "https://a.api.test:8443",
        "https://xn--bcher-kva.example",
        "https://x.xn--bcher-kva.example",
        "http://example.com",
        "http://127.0.0.1",
    ):
        if re.fullmatch(rx, candidate):
            return candidate
    return None


def many_safelisted_headers() -> tuple[tuple[str, str], ...]:
    """Safelisted headers whose values add up to more than 1024 bytes."""
    return tuple(("Accept-Language", "en-" + "a" * 120) for _ in range(9))
