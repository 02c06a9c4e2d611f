"""ASGI middleware: corecors in front of any ASGI 3 application.

.. code-block:: python

    from corecors import Config
    from corecors.adapters.asgi import CORSMiddleware

    config = Config(allow_origins=["https://app.example.com"], allow_methods=["GET", "PUT"])
    app = CORSMiddleware(app, config)

The twin of :class:`corecors.adapters.wsgi.CORSMiddleware` for Starlette,
FastAPI, Quart, Django under ASGI and any other ASGI 3 application. It
needs nothing outside the standard library.

Only ``http`` scopes are looked at: ``websocket`` and ``lifespan`` scopes go
to the application untouched. The middleware answers preflights itself (or,
with ``preflight_passthrough``, passes a valid one on to the application and
adds the preflight headers to its response). For every other request it
calls the application and, as ``http.response.start`` goes out, drops any
``Access-Control-*`` headers the application set, merges ``Vary`` and adds
the decision's headers (:meth:`corecors.Decision.apply`). Body messages go
out one by one as the application sends them, so streaming responses and
server-sent events stream.

Wrap the application object the server runs, so that the responses of the
framework's own outermost error handling (Starlette's
``ServerErrorMiddleware``) pass through the middleware too. If the
application raises before it has started a response, the middleware answers
``500`` with the CORS headers a success would have had, then re-raises the
exception so that the server logs the traceback (the ASGI counterpart of
``wsgi.errors``); with ``propagate_exceptions=True`` it re-raises without
answering.

The decision is left in ``scope["corecors.decision"]`` for the application
(ASGI scopes may carry extra keys; ``scope["state"]`` is left alone, as
frameworks share that dict between requests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from corecors import Config, Request, decide

__all__ = ["SCOPE_KEY", "CORSMiddleware"]

#: Where the middleware leaves the :class:`~corecors.Decision` in the scope.
SCOPE_KEY = "corecors.decision"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Any ASGI 3 application, ``await app(scope, receive, send)``. Frameworks
# type the three differently (TypedDicts, dicts, mappings), so the
# application's own parameter types are not checked against ours.
ASGIApp = Callable[..., Awaitable[None]]

# The request headers the decision reads, by lower-case name, each with the
# CGI variable that Request.from_cgi reads it from.
_CGI_NAMES = {
    b"origin": "HTTP_ORIGIN",
    b"access-control-request-method": "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
    b"access-control-request-headers": "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
    b"access-control-request-private-network": "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
    b"upgrade": "HTTP_UPGRADE",
}
# Bound on each of a middleware's header-name memos: a flood of distinct
# names fills them once and is then handled without them.
_MAX_NAMES = 512

_ERROR_BODY = b"Internal Server Error"
_ERROR_HEADERS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_ERROR_BODY))),
)

_from_cgi = Request.from_cgi
_from_headers = Request.from_headers


def _request(scope: Scope, names: dict[bytes, str]) -> Request:
    """The :class:`~corecors.Request` of an ASGI ``http`` scope.

    It equals ``Request.from_headers(scope["method"], pairs)`` with every
    header decoded as Latin-1 (HTTP header bytes are Latin-1), at less cost:
    only the headers the decision reads are decoded, and when none of them
    is repeated, ``Request.from_cgi`` reads them. Repeated lines go to
    ``from_headers``, which holds the rule for them.

    *names* memoises the CGI variable of each raw name seen (``""`` for a
    header the decision does not read): ASGI servers should send names in
    lower case, but need not.
    """
    method = scope["method"]
    headers = scope["headers"]
    environ = {"REQUEST_METHOD": method}
    for name, value in headers:
        key = names.get(name)
        if key is None:
            key = _CGI_NAMES.get(name.lower(), "")
            if len(names) < _MAX_NAMES:
                names[name] = key
        if not key:
            continue
        if key in environ:
            read = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]
            return _from_headers(method, read)
        environ[key] = value.decode("latin-1")
    return _from_cgi(environ)


def _encode(
    headers: Iterable[tuple[str, str]], names: dict[str, bytes]
) -> list[tuple[bytes, bytes]]:
    """Header pairs as ASGI sends them: lower-case names, Latin-1 bytes.

    *names* memoises the bytes of each name.
    """
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        raw = names.get(name)
        if raw is None:
            raw = name.lower().encode("latin-1")
            if len(names) < _MAX_NAMES:
                names[name] = raw
        out.append((raw, value.encode("latin-1")))
    return out


class CORSMiddleware:
    """Wrap an ASGI 3 application with the CORS policy *config*.

    :param app: the ASGI application to protect. Wrap the outermost
        application object, so that the middleware sees every response.
    :param config: a :class:`corecors.Config`.
    :param propagate_exceptions: when the application raises before it has
        started a response, re-raise at once (for an error handler or a
        debugger outside this middleware) instead of first answering
        ``500`` with the CORS headers the browser needs to read the error.
        The exception is re-raised either way, for the server to log.
    """

    __slots__ = ("_names_in", "_names_out", "app", "config", "propagate_exceptions")

    def __init__(self, app: ASGIApp, config: Config, *, propagate_exceptions: bool = False) -> None:
        if not isinstance(config, Config):
            raise TypeError(f"config must be a corecors.Config, not {type(config).__name__}")
        self.app = app
        self.config = config
        self.propagate_exceptions = propagate_exceptions
        self._names_in: dict[bytes, str] = dict(_CGI_NAMES)
        self._names_out: dict[str, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # This runs on every request: keep it to the decision, one closure
        # and the header rewrite (see docs/performance.md before adding to it).
        if scope["type"] != "http":  # websocket, lifespan: not CORS
            await self.app(scope, receive, send)
            return
        decision = decide(_request(scope, self._names_in), self.config)
        scope[SCOPE_KEY] = decision
        names = self._names_out
        if decision.respond:
            headers = _encode(decision.headers, names)
            await send(
                {"type": "http.response.start", "status": decision.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if decision.untouched:
            await self.app(scope, receive, send)
            return
        started = False

        async def cors_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = message.get("headers", ())
                text = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]
                # The message is the application's to give away: rewritten
                # in place, not copied.
                message["headers"] = _encode(decision.apply(text), names)
            await send(message)

        try:
            await self.app(scope, receive, cors_send)
        except Exception:
            if not (started or self.propagate_exceptions):
                # No response has started: answer a 500 the browser can read.
                headers = _encode(decision.apply(list(_ERROR_HEADERS)), names)
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": _ERROR_BODY})
            # ASGI servers log what the application raises (and, once a
            # response is complete, send nothing more): re-raise for them.
            raise
