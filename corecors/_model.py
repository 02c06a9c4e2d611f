"""What crosses the core's boundary on the way in: Request, and the reason codes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

__all__ = ["REASONS", "Request"]

Kind = Literal["not_cors", "actual", "preflight"]
Header = tuple[str, str]
RawHeader = tuple[bytes, bytes]

#: Every reason code a :class:`Decision` can carry, with its plain meaning.
REASONS: Mapping[str, str] = {
    "no_origin": "the request has no Origin header, so it is not a CORS request",
    "websocket": "WebSocket handshakes are not CORS requests; passed through untouched",
    "websocket_origin_not_allowed": (
        "check_websocket_origin is on and the WebSocket handshake's Origin is not one "
        "of the allowed origins"
    ),
    "disabled": "CORS is disabled in this config (enabled=False); passed through untouched",
    "origin_not_allowed": "the Origin is not one of the allowed origins",
    "origin_malformed": (
        "the Origin header is not one origin as a browser sends it "
        "(repeated Origin lines, bad characters, or too long)"
    ),
    "method_not_allowed": (
        "the requested method is not in allow_methods (methods are case-sensitive)"
    ),
    "method_malformed": "Access-Control-Request-Method is not a valid method token",
    "headers_not_allowed": "a requested header is not in allow_headers",
    "authorization_not_covered": (
        "Authorization was requested, and allow_headers='*' never covers it: list it by name"
    ),
    "headers_malformed": "Access-Control-Request-Headers holds something that is not a header name",
    "headers_over_limit": (
        "Access-Control-Request-Headers is longer or has more names than corecors accepts"
    ),
    "private_network_not_allowed": (
        "the browser asked for Private Network Access and allow_private_network is off"
    ),
}


class Request(NamedTuple):
    """What the decision needs to know about one HTTP request.

    Every field but ``method`` is the raw value of a request header, or
    ``None`` when the header is absent. Nothing is validated here: the
    decision copes with any value.

    >>> Request("GET", origin="https://app.example.com")
    Request(method='GET', origin='https://app.example.com', request_method=None, \
request_headers=None, private_network=False, websocket=False)
    """

    method: str
    #: ``Origin``
    origin: str | None = None
    #: ``Access-Control-Request-Method``
    request_method: str | None = None
    #: ``Access-Control-Request-Headers``, as received (a comma list)
    request_headers: str | None = None
    #: ``Access-Control-Request-Private-Network: true`` was sent (Private
    #: Network Access, on hold in Chrome since October 2024; its successor,
    #: Local Network Access, is a permission prompt and sends no such header)
    private_network: bool = False
    #: the request is a real WebSocket handshake (RFC 6455: GET, ``Upgrade:
    #: websocket``, ``Connection: upgrade``, ``Sec-WebSocket-Key`` and
    #: ``Sec-WebSocket-Version``)
    websocket: bool = False

    @classmethod
    def from_headers(
        cls, method: str, headers: Mapping[str, str] | Iterable[tuple[str, str]]
    ) -> Request:
        """Build a Request from header names and values, names in any case.

        *headers* is a mapping or an iterable of ``(name, value)`` pairs.
        Repeated ``Origin`` lines are joined with ``", "``, which is no
        origin, so such a request is refused rather than guessed at.

        >>> Request.from_headers("OPTIONS", [("origin", "https://a.example"),
        ...     ("Access-Control-Request-Method", "PUT")]).request_method
        'PUT'
        """
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        origin: list[str] = []
        req_method: list[str] = []
        req_headers: list[str] = []
        private_network = False
        handshake: dict[str, str] = {}
        for name, value in pairs:
            lname = name.lower()
            if lname == "origin":
                origin.append(value)
            elif lname == "access-control-request-method":
                req_method.append(value)
            elif lname == "access-control-request-headers":
                req_headers.append(value)
            elif lname == "access-control-request-private-network":
                private_network = _is_true(value)
            elif lname in _HANDSHAKE:
                handshake[lname] = value
        return cls(
            method,
            ", ".join(origin) if origin else None,
            ", ".join(req_method) if req_method else None,
            ",".join(req_headers) if req_headers else None,
            private_network,
            _is_handshake(
                method,
                handshake.get("upgrade"),
                handshake.get("connection"),
                handshake.get("sec-websocket-key"),
                handshake.get("sec-websocket-version"),
            ),
        )

    @classmethod
    def from_asgi(
        cls, method: str, headers: Iterable[Sequence[bytes]], *, websocket: bool = False
    ) -> Request:
        """Build a Request from an ASGI scope's ``method`` and ``headers``.

        The same as :meth:`from_headers` with every name and value decoded as
        Latin-1, but only the headers the decision reads are decoded. Names
        may be in any case. An ``http`` scope is never a WebSocket handshake:
        ASGI servers give a real one a ``websocket`` scope (which has no
        ``method``); for that scope pass ``"GET"`` and ``websocket=True``.

        >>> Request.from_asgi("GET", [(b"origin", b"https://a.example")]).origin
        'https://a.example'
        >>> Request.from_asgi("GET", [(b"origin", b"https://a.example")], websocket=True).websocket
        True
        """
        found: list[str | None] = [None] * 4
        for name, value in headers:
            at = _ASGI_FIELDS.get(name)
            if at is None:
                if name.islower():
                    continue
                at = _ASGI_FIELDS.get(name.lower())
                if at is None:
                    continue
            if found[at] is not None:  # a repeated line: from_headers' rules
                pairs = [
                    (bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in headers
                ]
                # The scope's type, not the headers, says what a handshake is.
                return cls.from_headers(method, pairs)._replace(websocket=websocket)
            found[at] = bytes(value).decode("latin-1")
        origin, request_method, request_headers, pna = found
        # An http scope is never a WebSocket handshake: ASGI servers give a
        # real one a websocket scope, so Upgrade here gets the ordinary rules.
        return _tuple_new(
            cls,
            (
                method,
                origin,
                request_method,
                request_headers,
                pna is not None and _is_true(pna),
                websocket,
            ),
        )

    @classmethod
    def from_cgi(cls, environ: Mapping[str, Any]) -> Request:
        """Build a Request from CGI-style variables, such as a WSGI environ.

        Reads ``REQUEST_METHOD`` and the ``HTTP_*`` variables the decision
        needs; nothing else is looked at.

        >>> Request.from_cgi({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": "https://a.example"})
        Request(method='GET', origin='https://a.example', request_method=None, \
request_headers=None, private_network=False, websocket=False)
        """
        get = environ.get
        pna = get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")
        upgrade = get("HTTP_UPGRADE")
        # Every field is given, so build the tuple directly rather than
        # through the generated __new__ (this runs once per WSGI request).
        # A field added to Request must be added here too (tests/perf checks).
        return _tuple_new(
            cls,
            (
                environ["REQUEST_METHOD"],
                get("HTTP_ORIGIN"),
                get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
                get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                pna is not None and _is_true(pna),
                upgrade is not None
                and _is_handshake(
                    environ["REQUEST_METHOD"],
                    upgrade,
                    get("HTTP_CONNECTION"),
                    get("HTTP_SEC_WEBSOCKET_KEY"),
                    get("HTTP_SEC_WEBSOCKET_VERSION"),
                ),
            ),
        )


_tuple_new = tuple.__new__

# The headers the decision reads, as ASGI servers name them (lower case),
# and their place among Request's fields after the method.
_ASGI_FIELDS = {
    b"origin": 0,
    b"access-control-request-method": 1,
    b"access-control-request-headers": 2,
    b"access-control-request-private-network": 3,
}


def _is_true(value: str) -> bool:
    # The PNA draft: the header's only meaningful value is "true".
    return value.strip(" \t").lower() == "true"


_HANDSHAKE = frozenset({"upgrade", "connection", "sec-websocket-key", "sec-websocket-version"})


def _tokens(value: str) -> set[str]:
    return {t.strip(" \t").lower() for t in value.split(",")}


def _is_handshake(
    method: str,
    upgrade: str | None,
    connection: str | None,
    key: str | None,
    version: str | None,
) -> bool:
    """Whether the request is a real WebSocket opening handshake.

    RFC 6455, 4.1: a GET with "Upgrade: websocket", a Connection header
    holding "upgrade", Sec-WebSocket-Key and Sec-WebSocket-Version. Anything
    less is an ordinary request and gets the ordinary rules, Vary included.
    """
    return (
        method == "GET"
        and upgrade is not None
        and connection is not None
        and key is not None
        and version is not None
        and "websocket" in _tokens(upgrade)
        and "upgrade" in _tokens(connection)
    )
