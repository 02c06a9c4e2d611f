"""``corecors probe URL``: look at a running deployment as a browser does.

A library test sees the CORS library; a browser sees everything in front of
it as well: an auth layer that answers preflights 401, a proxy that adds its
own ``Access-Control-Allow-Origin``, a server whose 500s carry no CORS
headers, a cache key without ``Origin``. The probe sends what a browser
would send, from the origins you allow and from attacker origins made from
them, and reports what it sees with stable codes (``CP001`` ...).

What it sends, and nothing else:

- only to the URL's host and port, one connection per request, each with a
  timeout, never more than ``--max-requests`` requests;
- actual requests are always ``GET``: the probe never sends a method that
  changes data. ``--method`` and ``--header`` shape the preflights (the
  ``Access-Control-Request-*`` headers a page's ``fetch()`` would cause);
  headers given with a value are also sent on the ``GET`` requests;
- redirects are reported, never followed.

Standard library only (:mod:`http.client`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import __version__
from .._errors import ConfigError
from .._fetch import (
    CHROMIUM_MAX_AGE,
    SAFELISTED_CONTENT_TYPES,
    SAFELISTED_METHODS,
)
from .._psl import public_suffix
from .._syntax import TOKEN, parse_origin

__all__ = ["CODES", "Exchange", "Settings", "plan", "send"]

DEFAULT_MAX_REQUESTS = 50
DEFAULT_TIMEOUT = 10.0

# Fetch, "CORS-safelisted request-header", for the names a probe is given
# without a value.
_SAFELISTED_NAMES = frozenset({"accept", "accept-language", "content-language"})

#: The unrelated origin: a server that allows it allows every origin.
UNRELATED_ORIGIN = "https://corecors-probe.invalid"
_EVIL = "evil"
_PROBE_LABEL = "corecors-probe"
#: The last path segment of the request meant to get a 404.
MISSING_SEGMENT = "corecors-probe-nonexistent"

# code -> (what it means, in one line; the fix)
CODES: dict[str, tuple[str, str]] = {
    "CP001": (
        "the server reflects any origin: an unrelated site may read its responses",
        "allow only the origins you list; never copy Origin into "
        "Access-Control-Allow-Origin unchecked",
    ),
    "CP002": (
        "Access-Control-Allow-Origin is '*' together with Access-Control-Allow-Credentials: "
        "true, which browsers refuse for credentialed requests",
        "send the exact allowed origin (and Vary: Origin) when credentials are allowed, "
        "or drop Access-Control-Allow-Credentials",
    ),
    "CP003": (
        "an attacker origin made from an allowed one is allowed: the origin check is a "
        "prefix, suffix or loose regex match",
        "compare the whole Origin with the allowed origins; anchor and escape regexes "
        "(an unescaped '.' matches any character)",
    ),
    "CP004": (
        "a subdomain you did not name is allowed: whoever controls any subdomain "
        "(a takeover, user content) may read responses",
        "list the subdomains you mean, or pass the pattern's origins with --origin if "
        "every subdomain is meant",
    ),
    "CP005": (
        "the answer depends on Origin but the response lacks Vary: Origin, so a shared "
        "cache may serve one origin's answer to another",
        "add Vary: Origin to every response of the resource, origin-less and refused "
        "ones included, and keep it through proxies and CDNs",
    ),
    "CP006": (
        "the response carries several Access-Control-Allow-Origin values, which browsers "
        "refuse: two layers both add CORS headers",
        "let one layer (the application or the proxy, not both) set the CORS headers",
    ),
    "CP007": (
        "an error response to an allowed origin lacks the CORS headers, so the page "
        "cannot read the error and sees a CORS failure instead",
        "add the CORS headers to error responses too: run the CORS layer outside the "
        "layer that produces the error (auth, error handler, proxy)",
    ),
    "CP008": (
        "a preflight from an allowed origin is answered with a non-2xx status: "
        "something in front of CORS answers it (authentication, a router, a proxy)",
        "let preflights (OPTIONS with Access-Control-Request-Method) reach the CORS "
        "layer before authentication; browsers never send credentials on a preflight",
    ),
    "CP009": (
        "Access-Control-Max-Age is above what browsers keep (Chromium 7200 s, "
        "Firefox 86400 s): they cap it silently",
        f"send at most {CHROMIUM_MAX_AGE}",
    ),
    "CP010": (
        "a refused preflight discloses the policy (allowed methods, headers, max-age "
        "or credentials) to an origin that is not allowed",
        "answer a refused preflight with no CORS headers at all",
    ),
    "CP011": (
        "a request from an origin you allow fails the browser's CORS check",
        "allow that origin, method and headers in the CORS policy the deployment serves",
    ),
    "CP012": (
        "refusals carry a Corecors-Refusal header: debug_refusals is on, and tells "
        "anybody how the policy is built",
        "turn debug_refusals off outside development",
    ),
}


class ProbeError(Exception):
    """The probe cannot run: bad arguments, or the server cannot be reached."""


# -- what to send ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    url: str

    @property
    def netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"expected an http:// or https:// URL, not {url!r}")
    if parts.username or parts.password:
        raise ProbeError("the URL must not hold credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ProbeError(f"the URL's port is not valid: {exc}") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, url)


@dataclass(frozen=True)
class PageHeader:
    """One ``--header``: a name the page's script sets, with its value if given."""

    name: str
    value: str | None

    def safelisted(self) -> bool:
        name = self.name.lower()
        if name in _SAFELISTED_NAMES:
            return True
        if name == "content-type" and self.value is not None:
            essence = self.value.split(";", 1)[0].strip().lower()
            return essence in SAFELISTED_CONTENT_TYPES
        return False


def parse_header(value: str) -> PageHeader:
    name, sep, rest = value.partition(":")
    name = name.strip()
    if not TOKEN.fullmatch(name):
        raise ProbeError(f"--header expects NAME or 'NAME: VALUE', not {value!r}")
    text = rest.strip() if sep else None
    if text is not None and any(c in text for c in "\r\n\x00"):
        raise ProbeError(f"--header {name}: the value holds a control character")
    return PageHeader(name, text)


def parse_page_origin(value: str) -> str:
    try:
        origin = parse_origin("--origin", value, pattern=False)
    except ConfigError as exc:
        problem = exc.problems[0]
        raise ProbeError(f"--origin {value!r} {problem.problem}; {problem.fix}") from None
    return origin.serialise()


@dataclass(frozen=True)
class Probe:
    """One request the probe sends."""

    kind: str  # "actual" or "preflight"
    path: str
    origin: str | None
    #: "given", "unrelated", an attack name from :func:`attacker_origins`, or "none"
    role: str
    #: the given origin an attacker origin is made from
    base: str | None = None

    @property
    def method(self) -> str:
        return "OPTIONS" if self.kind == "preflight" else "GET"


def _split_origin(origin: str) -> tuple[str, str, str]:
    scheme, _, rest = origin.partition("://")
    if rest.startswith("["):
        host, _, port = rest[1:].partition("]")
        return scheme, f"[{host}]", port
    host, sep, port = rest.rpartition(":")
    if not sep:
        return scheme, rest, ""
    return scheme, host, sep + port


def _is_ip(host: str) -> bool:
    return host.startswith("[") or host.replace(".", "").isdigit()


def attacker_origins(origin: str) -> list[tuple[str, str]]:
    """Origins an attacker can own that a loose check mistakes for *origin*.

    >>> for role, origin in attacker_origins("https://app.example.com"):
    ...     print(f"{role}: {origin}")
    suffix: https://app.example.com.evil.test
    prefix, a sibling subdomain: https://evilapp.example.com
    null: null
    http downgrade: http://app.example.com
    sibling subdomain: https://corecors-probe.example.com
    look-alike: https://appxexample.com
    """
    scheme, host, port = _split_origin(origin)
    labels = host.split(".")
    own = 0  # labels left of the public suffix
    if not _is_ip(host):
        suffix = public_suffix(host) or ""
        own = len(labels) - (len(suffix.split(".")) if suffix else 0)
    # "evilapp.example.com" is itself a subdomain of "example.com".
    prefix = "prefix, a sibling subdomain" if own >= 2 else "prefix"
    out = [
        ("suffix", f"{scheme}://{host}.{_EVIL}.test{port}"),
        (prefix, f"{scheme}://{_EVIL}{host}{port}"),
        ("null", "null"),
    ]
    if scheme == "https":
        out.append(("http downgrade", f"http://{host}{port}"))
    if not _is_ip(host):
        if own >= 1:  # the host is, or is under, a registrable domain
            parent = host if own == 1 else host.split(".", 1)[1]
            out.append(("sibling subdomain", f"{scheme}://{_PROBE_LABEL}.{parent}{port}"))
        if own >= 2:  # "app.example.com": "appxexample.com" is registrable
            registrable = ".".join(labels[own - 1 :])
            sub = ".".join(labels[: own - 1])
            out.append(("look-alike", f"{scheme}://{sub}x{registrable}{port}"))
    return out


def missing_path(path: str) -> str:
    base = path.split("?", 1)[0]
    return base[: base.rfind("/") + 1] + MISSING_SEGMENT


def plan(paths: Sequence[str], origins: Sequence[str]) -> list[Probe]:
    """Every request of a full probe, the most telling first."""
    first, more = paths[0], paths[1:]
    out: list[Probe] = [Probe("actual", first, None, "none")]
    for o in origins:
        out += [Probe("actual", first, o, "given"), Probe("preflight", first, o, "given")]
    out += [
        Probe("actual", first, UNRELATED_ORIGIN, "unrelated"),
        Probe("preflight", first, UNRELATED_ORIGIN, "unrelated"),
    ]
    out += [Probe("actual", missing_path(first), o, "given") for o in origins]
    for p in more:
        out.append(Probe("actual", p, None, "none"))
        for o in origins:
            out += [Probe("actual", p, o, "given"), Probe("preflight", p, o, "given")]
        out.append(Probe("actual", p, UNRELATED_ORIGIN, "unrelated"))
    for kind in ("actual", "preflight"):
        for o in origins:
            out += [Probe(kind, first, a, role, o) for role, a in attacker_origins(o)]
    return out


# -- sending -------------------------------------------------------------------


@dataclass
class Exchange:
    probe: Probe
    sent: list[tuple[str, str]]
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    def values(self, name: str) -> list[str]:
        """Every field value of *name*, one per header line."""
        return [v.strip() for n, v in self.headers if n.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.values(name)
        return ", ".join(values) if values else None

    def cors_headers(self) -> list[tuple[str, str]]:
        return [
            (n, v)
            for n, v in self.headers
            if n.lower().startswith("access-control-") or n.lower() == "vary"
        ]


@dataclass(frozen=True)
class Settings:
    target: Target
    origins: tuple[str, ...]
    paths: tuple[str, ...]
    method: str
    headers: tuple[PageHeader, ...]
    credentials: bool
    max_requests: int
    timeout: float

    def needs_preflight(self) -> bool:
        return self.method not in SAFELISTED_METHODS or bool(self.unsafe_names())

    def unsafe_names(self) -> list[str]:
        return sorted({h.name.lower() for h in self.headers if not h.safelisted()})


def request_headers(settings: Settings, probe: Probe) -> list[tuple[str, str]]:
    headers = [
        ("Host", settings.target.netloc),
        ("User-Agent", f"corecors-probe/{__version__}"),
        ("Accept", "*/*"),
    ]
    if probe.origin is not None:
        headers.append(("Origin", probe.origin))
    if probe.kind == "preflight":
        # Fetch, "CORS-preflight fetch": the method, and the sorted,
        # lower-cased CORS-unsafe header names joined by ",".
        headers.append(("Access-Control-Request-Method", settings.method))
        names = settings.unsafe_names()
        if names:
            headers.append(("Access-Control-Request-Headers", ",".join(names)))
    else:
        headers += [(h.name, h.value) for h in settings.headers if h.value is not None]
    return headers


def send(settings: Settings, probe: Probe) -> Exchange:
    target = settings.target
    sent = request_headers(settings, probe)
    exchange = Exchange(probe, sent)
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(
            target.host, target.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=settings.timeout)
    try:
        conn.putrequest(probe.method, probe.path, skip_host=True, skip_accept_encoding=True)
        for name, value in sent:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        exchange.status = response.status
        exchange.headers = list(response.getheaders())
        response.read(1 << 20)  # a bounded read: only the headers matter
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, socket.timeout | TimeoutError):
            exchange.error = f"no answer within {settings.timeout:g} s"
        else:
            exchange.error = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    return exchange
